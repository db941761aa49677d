"""The directory backend (cagou.identity.directory) against a real OpenLDAP server.

The server is Debian's slapd, started by tests/ldap_server.py on a free
loopback port with the Province Sud's organisation: agents in ou=people,
groups in ou=groupes. Agents sign in through the real login form.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from ldap_server import (
    EDITORS_DEFE,
    GROUPS,
    PEOPLE,
    READERS,
    DirectoryAgent,
    Slapd,
    agent,
    closed_port_url,
    directory_settings,
)
from pyramid.exceptions import ConfigurationError

from cagou import configure
from cagou.audit.models import AuditEntry
from cagou.db import get_engine, transaction_scope
from cagou.demo import load_demo
from cagou.identity.directory import UNAVAILABLE_MESSAGE, RoleMapping, read_config
from cagou.identity.models import Directorate
from cagou.interfaces import IAccounts
from cagou.plugins import flatten, get_plugins
from cagou.testing import login, require_program
from cagou_sample.models import SampleEvent

MARIE = agent("mwamytan")
HENRI = agent("hpoadja")
ELISE = agent("eneaoutyine")
INCORRECT = "Identifiant ou mot de passe incorrect."


@pytest.fixture
def settings(settings: dict[str, Any], ldap_directory: Slapd) -> dict[str, Any]:
    """The platform of these tests signs agents in with the test directory."""
    return {**settings, **directory_settings(ldap_directory)}


@pytest.fixture
def demo(registry) -> None:
    """The demonstration data: local accounts (admin, agent…) and the directorates."""
    with transaction_scope(registry) as request:
        load_demo(request)


@pytest.fixture
def make_app(settings: dict[str, Any], demo: None) -> Iterator[Callable[..., webtest.TestApp]]:
    """Another platform on the same database, whose ``cagou.ldap.*`` settings differ."""
    registries = []

    def make(**overrides: str) -> webtest.TestApp:
        config = configure({**settings, **{f"cagou.ldap.{key}": value for key, value in overrides.items()}})
        registries.append(config.registry)
        return webtest.TestApp(config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})

    yield make
    for registry in registries:
        get_engine(registry).dispose()


def refused(app: webtest.TestApp, login_name: str, password: str, site: str = "/intranet") -> str:
    """Sign in and expect a refusal; return the form's alert."""
    form = app.get(f"{site}/connexion").forms[0]
    form["login"], form["password"] = login_name, password
    page = form.submit(status=401)
    return str(page.html.find(class_="alert-error").get_text(" ", strip=True))


@dataclass(frozen=True)
class Snapshot:
    display_name: str
    email: str | None
    kind: str
    directorate: str | None
    has_password: bool
    active: bool
    grants: frozenset[tuple[str, str | None]]


def snapshot(registry, login_name: str) -> Snapshot | None:
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(login_name)
        if account is None:
            return None
        return Snapshot(
            account.display_name,
            account.email,
            account.kind,
            account.directorate.code if account.directorate else None,
            account.password_hash is not None,
            account.active,
            frozenset((g.role, g.directorate.code if g.directorate else None) for g in account.grants),
        )


def audit_actions(registry) -> list[str]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def sample_events(registry, kind: str) -> list[str]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.select(SampleEvent.detail).where(SampleEvent.kind == kind)))


def grant_by_hand(registry, login_name: str, role: str, code: str | None) -> None:
    """What an IT administrator does in the console."""
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(login_name)
        directorate = request.db.scalars(sa.select(Directorate).where(Directorate.code == code)).one_or_none()
        request.find_service(IAccounts).grant(account, role, directorate)


# -- signing in -----------------------------------------------------------------------


def test_a_directory_agent_signs_in_and_gets_an_agent_account(app, registry, demo):
    page = login(app, MARIE.uid, MARIE.password)
    assert "Marie Wamytan" in page.text
    assert snapshot(registry, MARIE.uid) == Snapshot(
        "Marie Wamytan",
        "marie.wamytan@province-sud.nc",
        "agent",
        "DSI-BAU",
        has_password=False,
        active=True,
        grants=frozenset({("sample:reader", None)}),
    )
    assert MARIE.uid in sample_events(registry, "created")  # cagou_agent_created fired
    actions = audit_actions(registry)
    for action in ("core:account:create", "core:account:grant", "core:account:directory-sync", "core:session:login"):
        assert action in actions


def test_a_role_within_a_directorate_and_accented_names(app, registry, demo):
    login(app, HENRI.uid, HENRI.password)
    henri = snapshot(registry, HENRI.uid)
    assert henri is not None
    assert henri.grants == {("sample:reader", None), ("sample:editor", "DEFE")}
    assert henri.directorate == "DEFE-SAE"
    app.reset()
    assert "Élise Néaoutyine" in login(app, ELISE.uid, ELISE.password).text
    elise = snapshot(registry, ELISE.uid)
    assert elise is not None
    assert (elise.directorate, elise.grants) == ("DFI-SB", frozenset())


def test_roles_name_and_directorate_follow_the_directory_at_the_next_sign_in(app, registry, demo, ldap_directory):
    login(app, HENRI.uid, HENRI.password)
    grant_by_hand(registry, HENRI.uid, "sample:editor", "DFI")  # not managed by the directory: kept
    ldap_directory.set_members(READERS, (MARIE.uid,))
    ldap_directory.modify_agent(
        HENRI.uid, cn="Henri Poadja-Waheo", mail="h.poadja@province-sud.nc", departmentNumber="DFI-SB"
    )
    app.reset()
    login(app, HENRI.uid, HENRI.password)
    henri = snapshot(registry, HENRI.uid)
    assert henri is not None
    assert henri.grants == {("sample:editor", "DEFE"), ("sample:editor", "DFI")}
    assert (henri.display_name, henri.email, henri.directorate) == (
        "Henri Poadja-Waheo",
        "h.poadja@province-sud.nc",
        "DFI-SB",
    )
    assert sample_events(registry, "moved") == [f"{HENRI.uid}:DEFE-SAE->DFI-SB"]  # cagou_agent_moved fired

    ldap_directory.set_members(EDITORS_DEFE, ())
    app.reset()
    login(app, HENRI.uid, HENRI.password)
    henri = snapshot(registry, HENRI.uid)
    assert henri is not None
    assert henri.grants == {("sample:editor", "DFI")}
    actions = audit_actions(registry)
    assert actions.count("core:account:revoke") == 2
    assert "core:account:move" in actions and "core:account:update" in actions


def test_a_wrong_password_is_refused(app, registry, demo):
    assert refused(app, MARIE.uid, "pas-le-bon-mot-de-passe") == INCORRECT
    assert snapshot(registry, MARIE.uid) is None


def test_logins_the_directory_does_not_know_fall_through_to_local_accounts(app, demo):
    assert "Claire Dubois" in login(app, "admin", "demo-admin-2026").text
    app.reset()
    assert "Paul Wahetra" in login(app, "agent", "demo-agent-2026").text


def test_a_directory_entry_never_takes_over_a_local_account_of_another_kind(app, registry, demo, ldap_directory):
    impostor = DirectoryAgent("admin", "Faux", "Administrateur", "faux@province-sud.nc", "DSI", "usurpation-2026")
    ldap_directory.add_agent(impostor)
    assert refused(app, "admin", impostor.password) == INCORRECT
    assert "Claire Dubois" in login(app, "admin", "demo-admin-2026").text
    admin = snapshot(registry, "admin")
    assert admin is not None
    assert (admin.kind, admin.display_name) == ("admin", "Claire Dubois")


@pytest.mark.parametrize("login_name", ["*", "*)(uid=*", "mwamytan)(uid=*", "mwamytan)(|(uid=*)"])
def test_an_injection_in_the_login_is_refused(app, registry, demo, login_name):
    assert refused(app, login_name, MARIE.password) == INCORRECT
    assert snapshot(registry, login_name) is None
    assert snapshot(registry, MARIE.uid) is None


def test_a_deactivated_agent_is_not_reactivated_by_the_directory(app, registry, demo):
    login(app, MARIE.uid, MARIE.password)
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        accounts.deactivate(accounts.by_login(MARIE.uid))
    app.reset()
    assert refused(app, MARIE.uid, MARIE.password) == INCORRECT
    marie = snapshot(registry, MARIE.uid)
    assert marie is not None
    assert not marie.active


def test_agents_of_the_directory_do_not_sign_in_on_the_public_site(app, registry, demo):
    assert refused(app, MARIE.uid, MARIE.password, site="") == INCORRECT
    assert snapshot(registry, MARIE.uid) is None


# -- when the directory cannot answer ---------------------------------------------------


def test_a_stopped_directory_is_announced_and_local_accounts_still_sign_in(app, registry, demo, ldap_directory):
    login(app, MARIE.uid, MARIE.password)
    app.reset()
    ldap_directory.stop()
    assert refused(app, MARIE.uid, MARIE.password) == UNAVAILABLE_MESSAGE
    assert "Claire Dubois" in login(app, "admin", "demo-admin-2026").text
    assert "core:session:login-failed" in audit_actions(registry)
    ldap_directory.start()
    app.reset()
    assert "Marie Wamytan" in login(app, MARIE.uid, MARIE.password).text


def test_an_unreachable_directory_is_announced(make_app):
    app = make_app(url=closed_port_url())
    assert refused(app, MARIE.uid, MARIE.password) == UNAVAILABLE_MESSAGE
    assert "Claire Dubois" in login(app, "admin", "demo-admin-2026").text


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"ldap://127.0.0.1:{listener.getsockname()[1]}"


def test_a_directory_that_does_not_answer_in_time_is_announced(make_app, silent_server):
    app = make_app(url=silent_server, timeout="0.5")
    assert refused(app, MARIE.uid, MARIE.password) == UNAVAILABLE_MESSAGE
    assert "Claire Dubois" in login(app, "admin", "demo-admin-2026").text


def test_the_next_server_answers_when_the_first_is_down(make_app, ldap_directory):
    app = make_app(url=f"{closed_port_url()} {ldap_directory.url}")
    assert "Marie Wamytan" in login(app, MARIE.uid, MARIE.password).text


def test_a_refused_service_account_is_announced(make_app):
    app = make_app(bind_password="pas-le-mot-de-passe-du-service")
    assert refused(app, MARIE.uid, MARIE.password) == UNAVAILABLE_MESSAGE


def test_without_a_service_account_the_search_is_anonymous(make_app):
    app = make_app(bind_dn="", bind_password="")
    assert "Marie Wamytan" in login(app, MARIE.uid, MARIE.password).text


def test_ldaps_checks_the_certificate_of_the_directory(make_app, ldap_directory):
    require_program("openssl", "openssl")  # the directory has no certificate without it
    trusted = make_app(url=ldap_directory.ldaps_url, ca_file=str(ldap_directory.ca_file))
    assert "Marie Wamytan" in login(trusted, MARIE.uid, MARIE.password).text
    unknown_authority = make_app(url=ldap_directory.ldaps_url)
    assert refused(unknown_authority, MARIE.uid, MARIE.password) == UNAVAILABLE_MESSAGE


def test_the_console_shows_whether_the_directory_answers(registry, make_app):
    def checks(app_registry) -> list[Any]:
        with transaction_scope(app_registry) as request:
            results = flatten(get_plugins(app_registry).call("cagou_health_checks", None, request=request))
        return [check for check in results if check.name == "annuaire"]

    [up] = checks(registry)
    assert up.ok
    [down] = checks(make_app(url=closed_port_url()).app.registry)
    assert not down.ok
    assert "aucun serveur de l'annuaire ne répond" in down.detail


# -- settings ---------------------------------------------------------------------------


def test_the_directory_is_off_by_default():
    assert read_config({}) is None
    assert read_config({"cagou.ldap.url": "  "}) is None


def test_settings_are_read():
    config = read_config(
        {
            "cagou.ldap.url": "ldaps://dc1.province-sud.nc ldap://dc2.province-sud.nc:3389/",
            "cagou.ldap.timeout": "2.5",
            "cagou.ldap.base_dn": PEOPLE,
            "cagou.ldap.user_filter": "(&(objectClass=user)(sAMAccountName={login}))",
            "cagou.ldap.group_filter": "(member={dn})",
            "cagou.ldap.roles": f"""
                # the technicians of the user-assistance bureau
                cn=techniciens,{GROUPS} = sample:reader sample:editor@DSI-BAU
                CN=Redacteurs-DEFE, OU=Groupes, DC=Province-Sud, DC=NC = sample:editor@DEFE
            """,
        }
    )
    assert config is not None
    assert config.urls == ("ldaps://dc1.province-sud.nc", "ldap://dc2.province-sud.nc:3389/")
    assert config.timeout == 2.5
    assert config.group_base_dn == PEOPLE  # the base DN when not given
    assert config.roles == (
        RoleMapping(f"cn=techniciens,{GROUPS}", "sample:reader"),
        RoleMapping(f"cn=techniciens,{GROUPS}", "sample:editor", "DSI-BAU"),
        RoleMapping(f"cn=redacteurs-defe,{GROUPS}", "sample:editor", "DEFE"),
    )
    assert config.managed == {("sample:reader", None), ("sample:editor", "DSI-BAU"), ("sample:editor", "DEFE")}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cagou.ldap.url": "http://annuaire"}, "n'est pas une adresse ldap://"),
        ({"cagou.ldap.url": "ldap://annuaire:port"}, "le port de"),
        ({"cagou.ldap.timeout": "0"}, "nombre de secondes positif"),
        ({"cagou.ldap.timeout": "vite"}, "nombre de secondes positif"),
        ({"cagou.ldap.base_dn": ""}, "cagou.ldap.base_dn est obligatoire"),
        ({"cagou.ldap.user_filter": "(uid=*)"}, "doit contenir {login}"),
        ({"cagou.ldap.roles": "sample:reader"}, "illisible"),
        ({"cagou.ldap.roles": "cn=x,dc=nc ="}, "illisible"),
        ({"cagou.ldap.roles": "pas un dn = sample:reader"}, "n'est pas un DN valide"),
        ({"cagou.ldap.roles": "cn=x,dc=nc = sample:editor@"}, "illisible"),
        ({"cagou.ldap.roles": "cn=x,dc=nc = sample:reader", "cagou.ldap.group_filter": "(objectClass=*)"}, "{dn}"),
    ],
)
def test_wrong_settings_are_explained(overrides, message):
    values = {"cagou.ldap.url": "ldap://annuaire", "cagou.ldap.base_dn": PEOPLE}
    values.update({"cagou.ldap.user_filter": "(uid={login})", "cagou.ldap.group_filter": "(member={dn})"})
    with pytest.raises(ConfigurationError, match=message.replace("{", r"\{").replace("}", r"\}")):
        read_config({**values, **overrides})


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ("cn=x,dc=nc = sample:inconnu", "n'est déclaré par aucun module"),
        ("cn=x,dc=nc = sample:reader@DEFE", "s'accorde pour toute la plateforme"),
    ],
)
def test_the_platform_does_not_start_with_a_mapping_to_a_wrong_role(settings, roles, message):
    with pytest.raises(Exception, match=message):
        configure({**settings, "cagou.ldap.roles": roles})
