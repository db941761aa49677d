"""What every page shares: layout, languages, errors, sign-in, security headers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import webtest

from cagou import configure
from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.testing import csrf_token, give_second_factor, login, production


@pytest.fixture
def demo(registry, demonstration):
    """The demonstration data: these tests read what the core and the sample module contribute
    (the helpdesk's share is its own suite's, plugins/helpdesk/tests)."""


def test_every_page_shares_one_layout(app, demo):
    page = login(app, "agent", "demo-agent-2026")
    html = page.html
    assert html.find("a", class_="brand-name").text == "Cagou"
    assert "Paul Wahetra" in html.find(class_="who").text
    nav = html.find("nav", attrs={"aria-label": "Navigation principale"})
    assert [a.text for a in nav.find_all("a")] == ["Mon espace"]
    assert nav.find("a", attrs={"aria-current": "page"}).text == "Mon espace"
    assert html.find("footer") is not None
    assert html.find("html")["lang"] == "fr"


def test_navigation_shows_module_entries_the_person_may_follow(app, registry, demo):

    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("agent"), "sample:reader")
    page = login(app, "agent", "demo-agent-2026")
    nav = page.html.find("nav", attrs={"aria-label": "Navigation principale"})
    assert [a.text for a in nav.find_all("a")] == ["Mon espace", "Notes d'exemple"]
    public = app.get("/")
    nav = public.html.find("nav", attrs={"aria-label": "Navigation principale"})
    assert [a.text for a in nav.find_all("a")] == ["Accueil", "Exemple public"]


@pytest.fixture
def reader(registry, demo):
    """The demonstration agent may read the sample module's notes."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("agent"), "sample:reader")


def test_mon_espace_hides_widgets_the_person_may_not_use(app, demo):
    page = login(app, "agent", "demo-agent-2026")
    assert page.html.find("section", class_="widget") is None
    assert "Aucun module activé ne propose encore de contenu pour vous ici." in page.text


def test_mon_espace_shows_the_widgets_of_enabled_modules(app, reader):
    page = login(app, "agent", "demo-agent-2026")
    widget = page.html.find("section", class_="widget")
    assert widget.find("h2").text == "Mes notes d'exemple"
    assert "Nombre de notes : 2" in widget.text


def test_anonymous_visitors_are_sent_to_the_sign_in_page(app):
    response = app.get("/intranet/console/")
    assert response.status_int == 303
    assert response.location.endswith("/intranet/connexion?next=%2Fintranet%2Fconsole%2F")


def test_signing_in_returns_to_the_page_asked_for(app, demo):
    page = app.get("/intranet/console/").follow()
    page.forms[0]["login"] = "agent"
    page.forms[0]["password"] = "demo-agent-2026"
    response = page.forms[0].submit()
    assert response.location.endswith("/intranet/console/")  # then 403: the agent may not see it


def test_an_it_administrator_gives_the_second_factor_before_the_page_asked_for(app, demo):
    page = app.get("/intranet/console/").follow()
    page.forms[0]["login"] = "admin"
    page.forms[0]["password"] = "demo-admin-2026"
    response = page.forms[0].submit()
    assert "/intranet/second-facteur?next=%2Fintranet%2Fconsole%2F" in response.location
    landed = give_second_factor(app, "admin", response.follow())
    assert landed.request.path == "/intranet/console/"


def test_next_never_leads_to_another_site(app, demo):
    page = app.get("/intranet/connexion", {"next": "https://evil.example/"})
    page.forms[0]["login"] = "agent"
    page.forms[0]["password"] = "demo-agent-2026"
    response = page.forms[0].submit()
    assert response.location == "http://localhost/intranet/"


def test_wrong_credentials_get_a_french_message_and_401(app, registry, demo):
    page = app.get("/intranet/connexion")
    page.forms[0]["login"] = "agent"
    page.forms[0]["password"] = "pas-le-bon"
    response = page.forms[0].submit(status=401)
    assert "Identifiant ou mot de passe incorrect." in response.text
    assert response.html.find("input", attrs={"name": "login"})["value"] == "agent"
    with transaction_scope(registry) as request:
        failed = request.db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "core:session:login-failed")).one()
    assert "agent" in failed.summary


def test_empty_fields_get_messages_next_to_them(app):
    page = app.get("/intranet/connexion")
    response = page.forms[0].submit(status=400)
    login_error = response.html.find(id="erreur-login")
    assert login_error.text == "Saisissez votre identifiant."
    assert "erreur-login" in response.html.find(id="champ-login")["aria-describedby"]
    assert response.html.find(id="champ-login")["aria-invalid"] == "true"
    assert response.html.find(id="erreur-password").text == "Saisissez votre mot de passe."
    assert response.html.find("title").text.startswith("Erreur")


def test_citizens_sign_in_on_the_public_site_only(app, demo):
    page = login(app, "citoyen", "demo-citoyen-2026", site="public")
    assert "Jeanne Martin" in page.text
    app.reset()
    page = app.get("/intranet/connexion")
    page.forms[0]["login"] = "citoyen"
    page.forms[0]["password"] = "demo-citoyen-2026"
    page.forms[0].submit(status=401)


def test_signing_out_ends_the_session(app, demo):
    page = login(app, "agent", "demo-agent-2026")
    form = page.html.find("form", attrs={"action": "/intranet/deconnexion"})
    app.post("/intranet/deconnexion", {"csrf_token": form.find("input")["value"]}).follow()
    assert app.get("/intranet/").status_int == 303


def test_state_changing_requests_need_the_csrf_token(app, demo):
    login(app, "admin", "demo-admin-2026")
    refused = app.post("/intranet/console/modules/sample/intranet", {"enabled": "0"}, status=400)
    assert "Le formulaire a expiré" in refused.html.find("main").text
    assert "check_csrf_token" not in refused.text
    app.post(
        "/intranet/console/modules/sample/intranet",
        {"enabled": "0"},
        headers={"HX-Request": "true", "X-CSRF-Token": "forged"},
        status=400,
    )


def test_csrf_is_checked_before_permissions(app, demo):
    """A forged request is refused as forged, whoever sends it and whatever it targets."""
    app.post("/intranet/console/modules/sample/intranet", {"enabled": "0"}, status=400)  # anonymous
    login(app, "agent", "demo-agent-2026")
    app.post("/intranet/console/modules/sample/intranet", {"enabled": "0"}, status=400)  # no right either


def test_csrf_origin_is_checked_behind_a_tls_proxy(app, demo):
    """Behind the proxy the scheme is https, so the Origin of a form post must be ours."""
    page = login(app, "admin", "demo-admin-2026")
    https = {"wsgi.url_scheme": "https", "HTTP_HOST": "localhost"}
    forged = app.post(
        "/intranet/console/modules/sample/intranet",
        {"enabled": "0", "csrf_token": csrf_token(page)},
        headers={"Origin": "https://evil.example"},
        extra_environ=https,
        status=400,
    )
    assert "Le formulaire a expiré" in forged.html.find("main").text
    app.post(
        "/intranet/console/modules/sample/intranet",
        {"enabled": "0", "csrf_token": csrf_token(page)},
        headers={"Origin": "https://localhost"},
        extra_environ=https,
        status=303,
    )


def test_not_found_page_in_the_layout(app):
    page = app.get("/nulle-part", status=404)
    assert page.html.find("h1").text == "Page introuvable"
    assert page.html.find("footer") is not None


def test_forbidden_page_in_the_layout(app, demo):
    login(app, "agent", "demo-agent-2026")
    page = app.get("/intranet/console/", status=403)
    assert page.html.find("h1").text == "Accès refusé"
    assert "Paul Wahetra" in page.text


def test_server_error_page_in_the_layout_and_nothing_stored(app, registry, demo):
    from cagou_sample.models import SampleNote

    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("agent"), "sample:reader")
    page = login(app, "agent", "demo-agent-2026")
    token = csrf_token(page)
    response = app.post("/intranet/exemple/ajouter", {"title": "Jamais", "fail": "1", "csrf_token": token}, status=500)
    assert response.html.find("h1").text == "Erreur du serveur"
    assert response.headers["X-Request-Id"] in response.text
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(SampleNote).where(SampleNote.title == "Jamais")) is None


def test_http_errors_raised_by_views_keep_their_status(app, demo):
    login(app, "admin", "demo-admin-2026")
    page = app.get("/intranet/console/")
    response = app.post("/intranet/console/modules/sample/intranet", {"csrf_token": csrf_token(page)}, status=400)
    assert response.html.find("h1").text == "Requête invalide"


def test_french_by_default_and_english_on_request(app):
    assert "Se connecter" in app.get("/").text
    english = app.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Sign in" in english.text
    assert english.html.find("html")["lang"] == "en"
    chosen = app.get("/", {"_LOCALE_": "en"})
    assert "_LOCALE_=en" in chosen.headers["Set-Cookie"]
    assert "Sign in" in app.get("/").text  # the cookie keeps the choice
    assert "Se connecter" in app.get("/", {"_LOCALE_": "fr"}).text


def test_htmx_requests_get_a_fragment(app, demo):
    login(app, "agent", "demo-agent-2026")
    fragment = app.get("/intranet/", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert "<h1>Mon espace</h1>" in fragment.text
    assert fragment.headers["Vary"] == "HX-Request"


def test_security_headers_on_every_response(app):
    for response in (app.get("/"), app.get("/nulle-part", status=404), app.get("/sante")):
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers


def test_hsts_in_production(settings, monkeypatch):
    monkeypatch.setenv("CAGOU_SECRET", "x" * 40)
    app = webtest.TestApp(configure(production(settings)).make_wsgi_app())
    assert "max-age=" in app.get("/").headers["Strict-Transport-Security"]


def test_health_endpoint(app):
    assert app.get("/sante").json == {"status": "ok", "database": "ok"}


def test_health_says_when_the_database_is_unreachable(settings):
    broken = configure({**settings, "cagou.database_url": "sqlite:////nulle/part/cagou.sqlite"})
    response = webtest.TestApp(broken.make_wsgi_app()).get("/sante", status=503)
    assert response.json == {"status": "error", "database": "unreachable"}


def test_missing_assets_get_the_404_page(app, demo):
    login(app, "agent", "demo-agent-2026")
    page = app.get("/static/absent.css/", status=404)
    assert page.html.find("h1").text == "Page introuvable"


def test_assets_are_served(app):
    assert app.get("/static/cagou.css").status_int == 200
    assert app.get("/assets/htmx/htmx.min.js").status_int == 200


def test_every_page_has_the_platform_favicon(app):
    """An SVG icon of the core's own, linked from the shared layout (tabs and bookmarks tell Cagou apart)."""
    for path in ("/intranet/connexion", "/connexion"):
        icon = app.get(path).html.find("link", rel="icon")
        assert icon is not None and icon["type"] == "image/svg+xml"
        served = app.get(icon["href"])
        assert served.content_type == "image/svg+xml"
        assert served.text.lstrip().startswith("<svg") and "<script" not in served.text


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.1's relative luminance of a #rrggbb colour."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_destructive_buttons_are_red_and_set_apart_from_the_others(app, registry, demo):
    """Deactivate, delete, revoke: a danger style of their own (AA contrast), in a form set apart."""
    login(app, "admin", "demo-admin-2026")
    with transaction_scope(registry) as request:
        agent = request.find_service(IAccounts).by_login("agent")
        assert agent is not None
        agent_id = agent.id
    page = app.get(f"/intranet/console/comptes/{agent_id}")
    deactivate = page.html.find("button", string="Désactiver le compte")
    assert "danger" in deactivate["class"]
    assert "danger-zone" in deactivate.find_parent("form")["class"]
    app.post("/intranet/deconnexion", {"csrf_token": csrf_token(page)})
    login(app, "citoyen", "demo-citoyen-2026", site="public")
    delete = app.get("/mon-compte").html.find("button", string="Supprimer définitivement mon compte")
    assert "danger" in delete["class"]
    assert "danger-zone" in delete.find_parent("form")["class"]

    css = app.get("/static/cagou.css").text
    [generic] = [line for line in css.splitlines() if line.startswith('.button, button[type="submit"]')]
    assert ":not(.danger)" in generic and ":not(.link-danger)" in generic  # else the blue rule wins over red
    [danger] = [line for line in css.splitlines() if line.startswith("button.danger {")]
    assert "background: var(--error)" in danger and "color: #fff" in danger
    [error] = [line for line in css.splitlines() if line.strip().startswith("--error:")]
    red = error.split(":")[1].strip(" ;")
    assert (1.0 + 0.05) / (relative_luminance(red) + 0.05) >= 4.5
    [zone] = [line for line in css.splitlines() if line.startswith(".danger-zone {")]
    assert "margin-top: 2rem" in zone


def test_search_is_refused_when_too_long(app, demo):
    login(app, "agent", "demo-agent-2026")
    response = app.get("/intranet/recherche", {"q": "x" * 300}, status=400)
    assert "La recherche est trop longue" in response.text


def test_search_shows_only_what_the_person_may_open(app, demo):
    login(app, "agent", "demo-agent-2026")
    assert "Aucun résultat" in app.get("/intranet/recherche", {"q": "Première"}).text


def test_search_across_modules(app, reader):
    login(app, "agent", "demo-agent-2026")
    page = app.get("/intranet/recherche", {"q": "Première"})
    section = page.html.find("section")
    assert section.find("h2").text == "Module d'exemple"
    assert section.find("a").text == "Première note"
    assert "Aucun résultat" in app.get("/intranet/recherche", {"q": "introuvable"}).text


def test_the_public_home_shows_no_intranet_widget(app, reader):
    login(app, "agent", "demo-agent-2026")
    assert app.get("/").html.find("section", class_="widget") is None  # "Mes notes d'exemple" is the intranet's
