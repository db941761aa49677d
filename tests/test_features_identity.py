"""Step definitions of features/identity/*.feature (French Gherkin)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
import webtest
from pytest_bdd import given, parsers, scenarios, then, when

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.demo import load_demo
from cagou.identity.models import Account
from cagou.testing import delivered_mail, login
from cagou_sample.models import SampleEvent, SampleNote

scenarios("identity/inscription.feature", "identity/comptes.feature")

PASSWORD = "corail-manguier-pirogue"
LINK = re.compile(r"http://localhost(/\S+)")


class Browser:
    def __init__(self, app: webtest.TestApp) -> None:
        self.app = app
        self.page: webtest.TestResponse | None = None
        self.link: str | None = None
        self.others: dict[str, webtest.TestApp] = {}


@pytest.fixture
def browser(app) -> Browser:
    return Browser(app)


def new_browser(browser: Browser) -> webtest.TestApp:
    return webtest.TestApp(browser.app.app, extra_environ={"HTTP_HOST": "localhost"})


def last_link(registry) -> str:
    found = LINK.search(delivered_mail(registry)[-1].get_content())
    assert found is not None
    return found.group(1)


@given("les données de démonstration")
def demo_data(registry):
    with transaction_scope(registry) as request:
        load_demo(request)


@given(parsers.parse('je suis connecté comme "{name}" avec "{password}"'))
def signed_in(browser, name, password):
    browser.page = login(browser.app, name, password)


@given(parsers.parse('"{name}" est connecté de son côté'))
def other_signed_in(browser, name):
    other = new_browser(browser)
    login(other, name, f"demo-{name}-2026")
    browser.others[name] = other


def register_form(browser: Browser, kind: str, name: str, email: str, ridet: str = "") -> None:
    form = browser.app.get("/inscription").forms[0]
    form["kind"] = kind
    form["display_name"] = name
    form["email"] = email
    form["ridet"] = ridet
    form["password"] = form["password_confirm"] = PASSWORD
    browser.page = form.submit(expect_errors=True)


@when(parsers.parse('je m\'inscris comme particulier "{name}" avec l\'adresse "{email}"'))
def register_citizen(browser, name, email):
    register_form(browser, "particulier", name, email)


@when(parsers.parse('je m\'inscris comme entreprise "{name}" avec le RIDET "{ridet}"'))
def register_company(browser, name, ridet):
    register_form(browser, "entreprise", name, "contact@entreprise.nc", ridet)


@then(parsers.parse('je reçois un courriel « {subject} » à "{email}"'))
def mail_received(registry, subject, email):
    mail = delivered_mail(registry)[-1]
    assert (mail["Subject"], mail["To"]) == (subject, email)


@then(parsers.parse('je ne peux pas encore me connecter avec "{email}"'))
def cannot_sign_in_yet(browser, email):
    form = new_browser(browser).get("/connexion").forms[0]
    form["login"], form["password"] = email, PASSWORD
    assert "pas encore confirmée" in form.submit(status=403).text


@when("j'ouvre le dernier lien reçu")
def open_last_link(browser, registry):
    browser.link = last_link(registry)
    browser.page = browser.app.get(browser.link, expect_errors=True)


@when("j'ouvre encore le même lien")
def open_same_link(browser):
    browser.page = browser.app.get(browser.link, expect_errors=True)


@then(parsers.parse("la page dit « {title} »"))
def page_says(browser, title):
    assert browser.page.html.find("h1").text == title


@then(parsers.parse('je peux me connecter sur l\'extension publique avec "{email}"'))
def can_sign_in(browser, email):
    assert "Mon compte" in login(new_browser(browser), email, PASSWORD, site="public").text


@then(parsers.parse('je peux me connecter sur l\'extension publique avec "{email}" et "{password}"'))
def can_sign_in_with(browser, email, password):
    assert "Mon compte" in login(new_browser(browser), email, password, site="public").text


@then(parsers.parse('le champ "{name}" signale « {text} »'))
def field_error(browser, name, text):
    assert browser.page.status_int == 400
    assert text in browser.page.html.find(id=f"erreur-{name}").text


@then("aucun compte n'a été créé")
def no_account(registry):
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


@when(parsers.parse('je demande un nouveau mot de passe pour "{email}"'))
def ask_reset(browser, email):
    form = browser.app.get("/mot-de-passe-oublie").forms[0]
    form["email"] = email
    browser.page = form.submit().follow()


@when(parsers.parse('je choisis le nouveau mot de passe "{password}" depuis le lien reçu'))
def choose_password(browser, registry, password):
    form = browser.app.get(last_link(registry)).forms[0]
    form["password"] = form["password_confirm"] = password
    browser.page = form.submit().follow()


def account_page(browser: Browser, registry, login_name: str) -> webtest.TestResponse:
    with transaction_scope(registry) as request:
        account_id = request.db.scalar(sa.select(Account.id).where(Account.login == login_name))
    return browser.app.get(f"/intranet/console/comptes/{account_id}")


@when(parsers.parse('j\'accorde le rôle « {title} » à "{login_name}" dans la direction "{code}"'))
def grant_role(browser, registry, title, login_name, code):
    page = account_page(browser, registry, login_name)
    form = next(f for f in page.forms.values() if f.action.endswith("/roles"))
    role = next(option for option, _, text in form["role"].options if text.startswith(title))
    form["role"] = role
    form["role_directorate"] = code
    browser.page = form.submit().follow()


@then(parsers.parse('la fiche de "{login_name}" montre la permission "{permission}" pour « {scope} »'))
def effective_permission(browser, registry, login_name, permission, scope):
    row = account_page(browser, registry, login_name).html.find("tbody").find("tr")
    assert permission in row.text and scope in row.text


def edit_status(browser: Browser, registry, login_name: str, title: str) -> int:
    with transaction_scope(registry) as request:
        note_id = request.db.scalar(sa.select(SampleNote.id).where(SampleNote.title == title))
    other = new_browser(browser)
    login(other, login_name, f"demo-{login_name}-2026")
    return other.get(f"/intranet/exemple/{note_id}/modifier", expect_errors=True).status_int


@then(parsers.parse('"{login_name}" peut modifier la note « {title} »'))
def may_edit(browser, registry, login_name, title):
    assert edit_status(browser, registry, login_name, title) == 200


@then(parsers.parse('"{login_name}" ne peut pas modifier la note « {title} »'))
def may_not_edit(browser, registry, login_name, title):
    assert edit_status(browser, registry, login_name, title) == 403


@when(parsers.parse('je désactive le compte "{login_name}"'))
def deactivate(browser, registry, login_name):
    page = account_page(browser, registry, login_name)
    form = next(f for f in page.forms.values() if f.action.endswith("/etat"))
    browser.page = form.submit().follow()


@then(parsers.parse('la session de "{login_name}" est fermée'))
def session_closed(browser, login_name):
    assert browser.others[login_name].get("/intranet/").status_int == 303


@then(parsers.parse('les modules ont été prévenus du départ de "{login_name}"'))
def modules_told(registry, login_name):
    with transaction_scope(registry) as request:
        query = sa.select(SampleEvent.detail).where(SampleEvent.kind == "deactivated")
        assert list(request.db.scalars(query)) == [login_name]


@then(parsers.parse("le journal d'audit contient « {summary} »"))
def audit_contains(registry, summary):
    with transaction_scope(registry) as request:
        assert summary in set(request.db.scalars(sa.select(AuditEntry.summary)))
