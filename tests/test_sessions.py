"""Sign-in sessions kept on the server: rotation, logout, inactivity, ending them everywhere."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import webtest

from cagou import FLASH_MESSAGES_KEPT, configure
from cagou.db import transaction_scope
from cagou.identity.models import LoginSession
from cagou.interfaces import IAccounts
from cagou.testing import csrf_token, login, production


@pytest.fixture
def demo(demonstration):
    """The demonstration data, copied from a template (``demonstration`` in cagou.testing)."""


def session_cookie(app: webtest.TestApp) -> str:
    return app.cookies.get("cagou_session", "")


def open_sessions(registry, login_name: str) -> list[LoginSession]:
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(login_name)
        query = sa.select(LoginSession).where(LoginSession.account_id == account.id, LoginSession.ended_at.is_(None))
        return list(request.db.scalars(query))


def test_signing_in_starts_a_new_session(app, registry, demo):
    app.get("/intranet/connexion")
    before = session_cookie(app)
    login(app, "agent", "demo-agent-2026")
    assert session_cookie(app) != before
    [session] = open_sessions(registry, "agent")
    assert session.id not in session_cookie(app)  # the cookie carries a token, the table its digest


def test_the_session_cookie_is_httponly_and_samesite(app, demo):
    page = app.get("/intranet/connexion")
    page.forms[0]["login"] = "agent"
    page.forms[0]["password"] = "demo-agent-2026"
    cookie = page.forms[0].submit().headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "secure" not in cookie.lower()


def test_production_cookies_are_secure(settings, monkeypatch, registry, demo):
    monkeypatch.setenv("CAGOU_SECRET", "s" * 48)
    app = webtest.TestApp(configure(production(settings)).make_wsgi_app())
    response = app.get("/intranet/connexion", extra_environ={"wsgi.url_scheme": "https"})
    assert "secure" in response.headers["Set-Cookie"].lower()
    # The language chosen too: every cookie the platform sets.
    response = app.get("/intranet/connexion?_LOCALE_=en", extra_environ={"wsgi.url_scheme": "https"})
    cookies = response.headers.getall("Set-Cookie")
    assert any(cookie.startswith("_LOCALE_=en") for cookie in cookies)
    assert all("secure" in cookie.lower() for cookie in cookies)


def test_the_language_cookie_is_not_secure_in_development(app):
    cookie = app.get("/?_LOCALE_=en").headers["Set-Cookie"]
    assert cookie.startswith("_LOCALE_=en") and "secure" not in cookie.lower()


def test_logging_out_ends_the_session_on_the_server(app, registry, demo):
    page = login(app, "agent", "demo-agent-2026")
    stolen = session_cookie(app)
    app.post("/intranet/deconnexion", {"csrf_token": csrf_token(page)})
    assert open_sessions(registry, "agent") == []
    thief = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    thief.set_cookie("cagou_session", stolen)
    assert thief.get("/intranet/").status_int == 303


def test_deactivating_an_account_signs_it_out_in_every_process(app, settings, registry, demo):
    other = webtest.TestApp(configure(settings).make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    login(app, "agent", "demo-agent-2026")
    login(other, "agent", "demo-agent-2026")
    assert len(open_sessions(registry, "agent")) == 2
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.deactivate(accounts.by_login("agent"))
    assert app.get("/intranet/").status_int == 303
    assert other.get("/intranet/").status_int == 303
    assert open_sessions(registry, "agent") == []


def test_changing_the_password_ends_every_session(app, registry, demo):
    login(app, "agent", "demo-agent-2026")
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.set_password(accounts.by_login("agent"), "un-tout-nouveau-secret")
    assert app.get("/intranet/").status_int == 303


def test_a_session_expires_after_inactivity(app, registry, demo, clock):
    login(app, "agent", "demo-agent-2026")
    clock.advance(minutes=29)
    assert app.get("/intranet/").status_int == 200  # activity keeps it alive
    clock.advance(minutes=29)
    assert app.get("/intranet/").status_int == 200
    clock.advance(minutes=31)
    response = app.get("/intranet/")
    assert response.status_int == 303
    assert "expiree=1" in response.location
    page = response.follow()
    assert "Votre session a expiré après une période d'inactivité" in page.html.get_text()


def test_the_layout_warns_before_expiry_and_lets_one_stay(app, registry, demo, clock):
    page = login(app, "agent", "demo-agent-2026")
    timer = page.html.find(id="minuteur-session")
    assert timer["hx-trigger"] == "load delay:1680s"  # 28 minutes: 2 before the 30-minute limit
    status = app.get(timer["hx-get"], headers={"HX-Request": "true"})
    assert 'role="alertdialog"' not in status.text
    clock.advance(minutes=28, seconds=30)
    warning = app.get(timer["hx-get"], headers={"HX-Request": "true"})
    dialog = warning.html.find(id="minuteur-session")
    assert dialog["role"] == "alertdialog"
    assert "dans 2 minute(s)" in dialog.text
    clock.advance(minutes=1)
    assert app.get(timer["hx-get"]).html.find(role="alertdialog") is not None  # asking did not extend it
    extended = app.post(timer["hx-get"], headers={"HX-Request": "true", "X-CSRF-Token": csrf_token(page)})
    assert extended.html.find(id="minuteur-session")["hx-trigger"].startswith("load delay:16")
    clock.advance(minutes=10)
    assert app.get("/intranet/").status_int == 200


def test_the_timer_says_when_the_session_is_gone(app, registry, demo, clock):
    page = login(app, "agent", "demo-agent-2026")
    timer = page.html.find(id="minuteur-session")
    clock.advance(minutes=31)
    gone = app.get(timer["hx-get"], headers={"HX-Request": "true"})
    assert gone.html.find(role="alert").find("a")["href"] == "/intranet/connexion"
    assert "Envoyez-le quand même : rien ne sera perdu" in gone.text


def test_flash_messages_a_client_never_reads_do_not_overflow_the_cookie(app, demo):
    """Each creation queues a message; a client that posts without following the redirects never reads them.

    Only the last few are kept (``cagou.FLASH_MESSAGES_KEPT``): the signed
    cookie stays under the browsers' 4096 bytes, where it used to grow until
    the server answered 500 ("Cookie value is too long").
    """
    token = csrf_token(login(app, "admin", "demo-admin-2026"))
    for number in range(200):
        fields = {"login": f"agent.{number:03d}", "display_name": f"Agent {number:03d}", "kind": "agent"}
        response = app.post("/intranet/console/comptes/nouveau", {"csrf_token": token, **fields})
        assert response.status_int == 303
        assert len(f"cagou_session={session_cookie(app)}") < 4096
    page = app.get("/intranet/")
    shown = [p.get_text(strip=True) for p in page.html.select("#contenu > p[role=status]")]
    assert shown == [f"Compte « agent.{number:03d} » créé." for number in range(200 - FLASH_MESSAGES_KEPT, 200)]
    assert app.get("/intranet/").html.select("#contenu > p[role=status]") == []  # shown once
