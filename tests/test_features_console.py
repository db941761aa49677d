"""Step definitions of features/console/*.feature (French Gherkin)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import webtest
from pytest_bdd import given, parsers, scenarios, then, when

from cagou import configure
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts, IMailer
from cagou.modules.services import module_states
from cagou.testing import csrf_token, login, run_jobs
from cagou_sample.models import SampleNote

scenarios("console")
# Every scenario here begins with "les données de démonstration": a template's copy, put in place
# before the platform starts (``demonstration`` in cagou.testing) rather than loaded by the step.
pytestmark = pytest.mark.usefixtures("demonstration")

SITES = {"l'intranet": "intranet", "l'extension publique": "public"}


class Browser:
    """What the person sees: the application and the last page it answered."""

    def __init__(self, app: webtest.TestApp) -> None:
        self.app = app
        self.page: webtest.TestResponse | None = None


@pytest.fixture
def browser(app) -> Browser:
    return Browser(app)


@given("les données de démonstration")
def demo_data(demonstration):
    """Copied before the scenario starts (``pytestmark`` above): every scenario's background begins with them."""


@given(parsers.parse('"{login_name}" a le rôle "{role}"'))
def has_role(registry, login_name, role):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login(login_name), role)


@given(parsers.parse('je suis connecté comme "{name}" avec "{password}"'))
def signed_in(browser, name, password):
    browser.app.reset()
    browser.page = login(browser.app, name, password)


@given(parsers.re(r'le module "(?P<name>\w+)" est désactivé sur (?P<site>.+)$'))
def module_disabled(registry, name, site):
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, name, SITES[site], False)


@given(parsers.parse('le module "{package}" est installé mais ne peut pas être importé'))
def broken_module_installed(browser, settings, package):
    config = configure({**settings, "cagou.plugins.extra": f"cagou_sample {package}"})
    browser.app = webtest.TestApp(config.make_wsgi_app())
    login(browser.app, "admin", "demo-admin-2026")


@given(parsers.parse('un courriel "{subject}" a été envoyé à "{address}"'))
def mail_sent(registry, subject, address):
    with transaction_scope(registry) as request:
        request.find_service(IMailer).send(address, subject, "Bonjour,\nnous avons bien reçu votre demande.")
    run_jobs(registry)


@when("j'ouvre la console informatique")
def open_console(browser):
    browser.page = browser.app.get("/intranet/console/")


@when("j'ouvre la page des courriels envoyés")
def open_mail(browser):
    browser.page = browser.app.get("/intranet/console/courriels/")


@when("j'ouvre le journal d'audit")
def open_audit(browser):
    browser.page = browser.app.get("/intranet/console/journal/")


def switch(browser, name: str, site: str, enabled: bool, status: int | str = "*") -> webtest.TestResponse:
    token = csrf_token(browser.page or browser.app.get("/intranet/"))
    return browser.app.post(
        f"/intranet/console/modules/{name}/{SITES[site]}",
        {"csrf_token": token, "enabled": "1" if enabled else "0"},
        status=status,
    )


@when(parsers.re(r'je désactive le module "(?P<name>\w+)" sur (?P<site>.+)$'))
def disable(browser, name, site):
    browser.page = browser.app.get("/intranet/console/")
    browser.page = switch(browser, name, site, False).follow()


@when(parsers.re(r'j\'active le module "(?P<name>\w+)" sur (?P<site>.+)$'))
def enable(browser, name, site):
    browser.page = browser.app.get("/intranet/console/")
    browser.page = switch(browser, name, site, True).follow()


@when(parsers.re(r'je tente de désactiver le module "(?P<name>\w+)" sur (?P<site>.+)$'))
def try_disable(browser, name, site):
    browser.page = switch(browser, name, site, False)


@when("la plateforme redémarre")
def restart(browser, settings):
    browser.app = webtest.TestApp(configure(settings).make_wsgi_app())
    login(browser.app, "admin", "demo-admin-2026")


@then(parsers.parse('je vois le module "{title}" en version "{version}"'))
def module_listed(browser, title, version):
    row = next(row for row in browser.page.html.select("tbody tr") if title in row.find("th").text)
    assert row.find_all("td")[0].text.strip() == version


def site_cell(browser, name: str, site: str):
    page = browser.app.get("/intranet/console/")
    cells = page.html.find(id=f"module-{name}").find_all("td")
    return cells[1] if SITES[site] == "intranet" else cells[2]


@then(parsers.re(r'le module "(?P<name>\w+)" est "(?P<state>[^"]+)" sur (?P<site>.+)$'))
def module_state(browser, name, state, site):
    assert site_cell(browser, name, site).find("span").text == state


@then(parsers.re(r'le module "(?P<name>\w+)" est toujours activé sur (?P<site>.+)$'))
def still_enabled(registry, name, site):
    module_states(registry).forget()
    assert module_states(registry).is_enabled(name, SITES[site])


@then(parsers.parse('le cœur de la plateforme est "{state}"'))
def core_state(browser, state):
    cells = browser.page.html.find(id="module-core").find_all("td")
    assert [cell.text.strip() for cell in cells[1:3]] == [state, state]


@then(parsers.parse('je lis le message "{message}"'))
def message_shown(browser, message):
    assert message in browser.page.html.find(class_="alert-ok").text


@then(parsers.parse('la page "{path}" répond {status:d}'))
def page_status(browser, path, status):
    assert browser.app.get(path, expect_errors=True).status_int == status


@then(parsers.parse('la navigation de "Mon espace" ne propose plus "{entry}"'))
def navigation_without(browser, entry):
    nav = browser.app.get("/intranet/").html.find("nav", attrs={"aria-label": "Navigation principale"})
    assert entry not in [a.text for a in nav.find_all("a")]


@then(parsers.parse('la navigation de "Mon espace" propose "{entry}"'))
def navigation_with(browser, entry):
    nav = browser.app.get("/intranet/").html.find("nav", attrs={"aria-label": "Navigation principale"})
    assert entry in [a.text for a in nav.find_all("a")]


@then(parsers.parse('le journal d\'audit contient "{summary}"'))
def audit_contains(browser, summary):
    assert summary in browser.app.get("/intranet/console/journal/").text.replace("&#39;", "'")


@then("les notes du module d'exemple sont conservées")
def notes_kept(registry):
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(SampleNote)) == 2


@then(parsers.parse("la réponse est refusée avec le statut {status:d}"))
def refused(browser, status):
    assert browser.page.status_int == status


@then(parsers.parse('le module "{name}" est signalé "{state}"'))
def module_flagged(browser, name, state):
    assert state in browser.page.html.find(id=f"module-{name}").text


@then(parsers.parse('l\'erreur mentionne "{text}"'))
def error_mentions(browser, text):
    assert text in browser.page.html.find("pre", class_="error-detail").text


@then(parsers.parse('je vois le courriel "{subject}" adressé à "{address}"'))
def mail_listed(browser, subject, address):
    row = browser.page.html.find("a", string=subject).find_parent("tr")
    assert address in row.text


@then(parsers.parse('la dernière entrée est l\'action "{action}" de "{login_name}"'))
def last_audit_entry(browser, action, login_name):
    first = browser.page.html.select("tbody tr")[0].find_all("td")
    assert first[1].text == login_name
    assert first[4].text == action
