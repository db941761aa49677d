"""IT administrators give a second factor (TOTP, or a single-use recovery code) to reach the console."""

from __future__ import annotations

import re

import pytest
import webtest

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing import totp_code

FORM = "formulaire-second-facteur"


@pytest.fixture
def demo(demonstration):
    """The demonstration data, copied from a template (``demonstration`` in cagou.testing)."""


def password_step(app: webtest.TestApp, login_name: str = "admin", password: str = "demo-admin-2026"):
    page = app.get("/intranet/connexion")
    page.forms[0]["login"] = login_name
    page.forms[0]["password"] = password
    return page.forms[0].submit()


def submit_code(page: webtest.TestResponse, code: str, status: int | str = "*") -> webtest.TestResponse:
    form = page.forms[FORM]
    form["code"] = code
    return form.submit(status=status)


def enrol(app: webtest.TestApp, registry) -> list[str]:
    enrolment = password_step(app).follow()
    codes_page = submit_code(enrolment, totp_code(registry, "admin"), status=200)
    return [code.text for code in codes_page.html.select(".recovery-codes code")]


def test_the_password_alone_does_not_open_the_console(app, demo):
    response = password_step(app)
    assert "/intranet/second-facteur" in response.location
    page = app.get("/intranet/")
    nav = page.html.find("nav", attrs={"aria-label": "Navigation principale"})
    assert nav is None or "Console informatique" not in nav.text
    console = app.get("/intranet/console/")
    assert "/intranet/second-facteur?next=%2Fintranet%2Fconsole%2F" in console.location


def test_no_module_menu_until_the_second_factor_is_given(app, registry, demo):
    """On the second-factor page the session is not fully signed in: no modules' menu, no search, only sign-out."""
    with transaction_scope(registry) as request:  # a module's menu entry the administrator may follow
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("admin"), "sample:reader")
    page = password_step(app).follow()
    assert page.html.find(id="formulaire-second-facteur") is not None
    assert page.html.find("nav", attrs={"aria-label": "Navigation principale"}) is None
    assert "Notes d'exemple" not in page.html.find("header").get_text()
    assert page.html.find("form", attrs={"role": "search"}) is None
    assert page.html.find("button", string="Se déconnecter") is not None
    submit_code(page, totp_code(registry, "admin"), status=200)
    space = app.get("/intranet/")
    nav = space.html.find("nav", attrs={"aria-label": "Navigation principale"})
    assert "Notes d'exemple" in nav.text and "Console informatique" in nav.text
    assert space.html.find("form", attrs={"role": "search"}) is not None


def test_enrolment_shows_a_qr_code_then_ten_recovery_codes_once(app, registry, demo):
    enrolment = password_step(app).follow()
    image = enrolment.html.find("img")
    assert image["src"].startswith("data:image/svg+xml")
    assert image["alt"]
    assert len(enrolment.html.find("code", class_="secret").text) == 32
    wrong = submit_code(enrolment, "000000", status=401)
    assert "n'est pas valable" in wrong.html.find(id="erreur-code").text
    codes_page = submit_code(wrong, totp_code(registry, "admin"), status=200)
    codes = codes_page.html.select(".recovery-codes code")
    assert len(codes) == 10
    # 80 random bits each: their SHA-256 in the database cannot be reversed by brute force.
    assert all(re.fullmatch(r"[0-9a-f]{5}(-[0-9a-f]{5}){3}", code.text) for code in codes)
    console = app.get(codes_page.html.find("a", class_="button")["href"])
    assert console.html.find("h1").text == "Mon espace"
    assert app.get("/intranet/console/").status_int == 200


def test_a_code_cannot_be_replayed(app, registry, demo):
    enrol(app, registry)
    used = totp_code(registry, "admin")
    other = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    verification = password_step(other).follow()
    replay = submit_code(verification, used, status=401)
    assert "déjà servi" in replay.html.find(id="erreur-code").text
    assert submit_code(replay, totp_code(registry, "admin", steps_ahead=1)).status_int == 303


def test_a_recovery_code_replaces_the_phone_once(app, registry, demo):
    codes = enrol(app, registry)
    first = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    page = password_step(first).follow()
    assert "Codes de secours restants : 10" in page.text
    assert submit_code(page, codes[0]).status_int == 303
    assert first.get("/intranet/console/").status_int == 200
    second = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    page = password_step(second).follow()
    assert "Codes de secours restants : 9" in page.text
    submit_code(page, codes[0], status=401)


def test_wrong_codes_are_rate_limited(app, registry, demo):
    enrol(app, registry)
    other = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "localhost"})
    page = password_step(other).follow()
    for _ in range(5):
        page = submit_code(page, "123456", status=401)
    blocked = submit_code(page, totp_code(registry, "admin", steps_ahead=1), status=429)
    assert "Trop de codes erronés" in blocked.html.find(id="erreur-code").text


def test_agents_without_a_strong_role_are_not_asked(app, demo):
    response = password_step(app, "agent", "demo-agent-2026")
    assert response.location.endswith("/intranet/")
    assert app.get("/intranet/second-facteur").status_int == 303
