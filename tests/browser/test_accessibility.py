"""Every kind of page passes axe-core's WCAG 2.0/2.1 A and AA rules.

Only "serious" and "critical" violations fail a test; the others are printed
(``pytest -rP``) so they can be fixed too.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pyramid.registry import Registry

from cagou.db import transaction_scope
from cagou.interfaces import IMailer
from cagou.testing import run_jobs
from cagou.testing_browser import OpenPage, assert_accessible, sign_in

pytestmark = pytest.mark.browser

AGENT = ("agent", "demo-agent-2026")
ADMIN = ("admin", "demo-admin-2026")


@pytest.fixture
def page(open_page: OpenPage) -> Page:
    # The application's Content-Security-Policy (script-src 'self') blocks the
    # inline script that carries axe-core; these tests check markup, not the CSP.
    return open_page(bypass_csp=True)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/", 200, id="public-home"),
        pytest.param("/connexion", 200, id="public-login"),
        pytest.param("/intranet/connexion", 200, id="intranet-login"),
        pytest.param("/page-inexistante", 404, id="public-404"),
        pytest.param("/?_LOCALE_=en", 200, id="public-home-english"),
        pytest.param("/inscription", 200, id="register"),
        pytest.param("/mot-de-passe-oublie", 200, id="forgotten-password"),
        pytest.param("/mot-de-passe/nouveau?jeton=faux", 400, id="reset-link-refused"),
    ],
)
def test_anonymous_pages(page: Page, path: str, status: int) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status
    assert_accessible(page)


def test_login_form_with_errors(page: Page) -> None:
    page.goto("/connexion")
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs")
    expect(page.get_by_label("Identifiant")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_registration_form_with_errors(page: Page) -> None:
    page.goto("/inscription")
    page.get_by_label("Une entreprise").check()
    page.get_by_label("RIDET (entreprises)").fill("12345")
    with page.expect_navigation():
        page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_label("RIDET (entreprises)")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_second_factor_enrolment(page: Page) -> None:
    page.goto("/intranet/connexion")
    page.get_by_label("Identifiant").fill("admin")
    page.get_by_label("Mot de passe").fill("demo-admin-2026")
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Second facteur")).to_be_visible()
    assert_accessible(page)


def test_public_account_page(page: Page) -> None:
    sign_in(page, "citoyen", "demo-citoyen-2026", site="public")
    page.goto("/mon-compte")
    assert_accessible(page)


def test_login_form_with_wrong_password(page: Page) -> None:
    page.goto("/intranet/connexion")
    page.get_by_label("Identifiant").fill("agent")
    page.get_by_label("Mot de passe").fill("pas le bon")
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect")
    assert_accessible(page)


@pytest.mark.parametrize(
    ("account", "path", "status"),
    [
        pytest.param(AGENT, "/intranet/", 200, id="space-agent"),
        pytest.param(ADMIN, "/intranet/", 200, id="space-admin"),
        pytest.param(ADMIN, "/intranet/console/", 200, id="console-modules"),
        pytest.param(ADMIN, "/intranet/console/journal/", 200, id="console-audit"),
        pytest.param(AGENT, "/intranet/recherche?q=note", 200, id="search"),
        pytest.param(AGENT, "/intranet/recherche?q=introuvable", 200, id="search-no-result"),
        pytest.param(AGENT, "/intranet/page-inexistante", 404, id="intranet-404"),
        pytest.param(AGENT, "/intranet/console/", 403, id="forbidden-403"),
        pytest.param(ADMIN, "/intranet/console/?_LOCALE_=en", 200, id="console-english"),
        pytest.param(ADMIN, "/intranet/console/comptes/", 200, id="console-accounts"),
        pytest.param(ADMIN, "/intranet/console/comptes/nouveau", 200, id="console-account-new"),
        pytest.param(ADMIN, "/intranet/console/comptes/2", 200, id="console-account-detail"),
    ],
)
def test_staff_pages(page: Page, account: tuple[str, str], path: str, status: int) -> None:
    sign_in(page, *account)
    response = page.goto(path)
    assert response is not None and response.status == status
    assert_accessible(page)


def test_console_mail_pages(page: Page, registry: Registry) -> None:
    # One message in the development mail folder, so the list shows a table.
    with transaction_scope(registry) as request:
        request.find_service(IMailer).send("jeanne.martin@example.nc", "Accusé de réception", "Bonjour,\nc'est reçu.")
    run_jobs(registry)
    sign_in(page, *ADMIN)
    page.goto("/intranet/console/courriels/")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Accusé de réception").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accusé de réception")
    assert_accessible(page)


def test_citizen_home(page: Page) -> None:
    sign_in(page, "citoyen", "demo-citoyen-2026", site="public")
    expect(page.get_by_text("Bienvenue, Jeanne Martin.")).to_be_visible()
    assert_accessible(page)
