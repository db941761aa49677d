"""Step definitions of features/identity/annuaire.feature (French Gherkin), against a real slapd."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from ldap_server import GROUPS, Slapd, agent, directory_settings
from pytest_bdd import given, parsers, scenarios, then, when

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.identity.directory import RoleMapping, normalise_dn, read_config
from cagou.identity.models import Directorate
from cagou.interfaces import IAccounts
from cagou.testing import login
from cagou_sample.models import SampleEvent

# The scenarios ask for slapd through their steps, which pytest does not see at
# collection: the marker says they are directory tests (never skipped in CI).
pytestmark = pytest.mark.directory

scenarios("identity/annuaire.feature")
# Every scenario here begins with "les données de démonstration": a template's copy, put in place
# before the platform starts (``demonstration`` in cagou.testing) rather than loaded by the step.
pytestmark = pytest.mark.usefixtures("demonstration")


@pytest.fixture
def settings(settings: dict[str, Any], ldap_directory: Slapd) -> dict[str, Any]:
    return {**settings, **directory_settings(ldap_directory)}


class Browser:
    def __init__(self, app: webtest.TestApp) -> None:
        self.app = app
        self.page: webtest.TestResponse | None = None


@pytest.fixture
def browser(app) -> Browser:
    return Browser(app)


def group_dn(name: str) -> str:
    return f"cn={name},{GROUPS}"


@given("les données de démonstration")
def demo_data(demonstration):
    """Copied before the scenario starts (``pytestmark`` above): every scenario's background begins with them."""


@given(
    parsers.parse(
        'l\'annuaire de la Province, qui donne le rôle "{role}" au groupe "{group}" '
        'et le rôle "{scoped_role}" dans la direction "{code}" au groupe "{scoped_group}"'
    )
)
def directory_with_roles(registry, ldap_directory, role, group, scoped_role, code, scoped_group):
    """The platform's cagou.ldap.roles says what the scenario says."""
    config = read_config(registry.settings)
    assert config is not None
    assert set(config.roles) == {
        RoleMapping(normalise_dn(group_dn(group)), role),
        RoleMapping(normalise_dn(group_dn(scoped_group)), scoped_role, code),
    }


@given("l'annuaire de la Province s'est arrêté")
def directory_stopped(ldap_directory):
    ldap_directory.stop()


def sign_in(browser: Browser, uid: str, password: str) -> None:
    browser.app.reset()
    form = browser.app.get("/intranet/connexion").forms[0]
    form["login"], form["password"] = uid, password
    browser.page = form.submit(expect_errors=True).maybe_follow()


@given(parsers.parse('"{uid}" s\'est déjà connecté une fois'))
@when(parsers.parse("\"{uid}\" se connecte à l'intranet avec son mot de passe de l'annuaire"))
def sign_in_with_directory_password(browser, uid):
    sign_in(browser, uid, agent(uid).password)


@when(parsers.parse('"{uid}" se connecte à l\'intranet avec le mot de passe "{password}"'))
def sign_in_with(browser, uid, password):
    sign_in(browser, uid, password)


@given(parsers.parse('l\'informatique a accordé à la main le rôle "{role}" dans la direction "{code}" à "{uid}"'))
def granted_by_hand(registry, role, code, uid):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        directorate = request.db.scalars(sa.select(Directorate).where(Directorate.code == code)).one()
        accounts.grant(accounts.by_login(uid), role, directorate)


@given(parsers.parse('l\'informatique a désactivé le compte "{uid}"'))
def deactivated(registry, uid):
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.deactivate(accounts.by_login(uid))


@when(parsers.parse('l\'annuaire retire "{uid}" du groupe "{group}"'))
def leave_group(ldap_directory, uid, group):
    dn = group_dn(group)
    with ldap_directory.admin() as connection:
        connection.search(dn, "(objectClass=*)", attributes=["member"])
        members = [str(member) for member in connection.entries[0].member.values]
    remaining = tuple(m.split(",")[0].removeprefix("uid=") for m in members if m != agent(uid).dn)
    ldap_directory.set_members(dn, remaining)


@then(parsers.parse("la page d'accueil montre « {name} »"))
def home_shows(browser, name):
    assert browser.page is not None
    assert browser.page.status_int == 200
    assert browser.page.html.find("h1").get_text() == "Mon espace"
    assert name in browser.page.html.get_text()  # the header names who is signed in


@then(parsers.parse('"{uid}" est un agent de la direction "{code}" à l\'adresse "{email}"'))
def agent_account(registry, uid, code, email):
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(uid)
        assert (account.kind, account.directorate.code, account.email) == ("agent", code, email)
        assert account.password_hash is None  # the directory checks the password, never the platform


@then(parsers.parse('"{uid}" a les rôles "{roles}"'))
def has_roles(registry, uid, roles):
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(uid)
        held = {f"{g.role}@{g.directorate.code}" if g.directorate else g.role for g in account.grants}
    assert held == {role.strip() for role in roles.split(",")}


@then(parsers.parse('les modules ont été prévenus de l\'arrivée de "{uid}"'))
def modules_told(registry, uid):
    with transaction_scope(registry) as request:
        query = sa.select(SampleEvent.detail).where(SampleEvent.kind == "created")
        assert uid in set(request.db.scalars(query))


@then(parsers.parse("le journal d'audit contient « {summary} »"))
def audit_contains(registry, summary):
    with transaction_scope(registry) as request:
        assert summary in set(request.db.scalars(sa.select(AuditEntry.summary)))


@then(parsers.parse("la connexion est refusée avec « {message} »"))
def refused_with(browser, message):
    assert browser.page is not None
    assert browser.page.status_int == 401
    assert browser.page.html.find(class_="alert-error").get_text(" ", strip=True) == message


@then(parsers.parse('"{uid}" n\'a pas de compte sur la plateforme'))
def no_account(registry, uid):
    with transaction_scope(registry) as request:
        assert request.find_service(IAccounts).by_login(uid) is None


@then(parsers.parse('"{login_name}" se connecte toujours avec "{password}"'))
def still_signs_in(browser, login_name, password):
    browser.app.reset()
    page = login(browser.app, login_name, password)
    assert page.status_int == 200
    assert page.html.find("main") is not None


@then(parsers.parse('le compte "{uid}" reste désactivé'))
def still_inactive(registry, uid):
    with transaction_scope(registry) as request:
        assert not request.find_service(IAccounts).by_login(uid).active
