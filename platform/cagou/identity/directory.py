"""The directory backend: agents sign in with their LDAP or Active Directory account.

Switched on by ``cagou.ldap.url`` (empty by default) and described by the
other ``cagou.ldap.*`` settings (see the README). At a sign-in on the
intranet it:

1. binds to the first server of ``cagou.ldap.url`` that answers, as the
   service account (``cagou.ldap.bind_dn``) or anonymously, and finds the one
   entry that ``cagou.ldap.user_filter`` gives for the login, escaped;
2. binds as that entry with the password typed;
3. brings the local agent account up to date through :class:`IAccounts`, so
   that every change is audited: created on the first sign-in (without a
   local password; ``cagou_agent_created`` fires), then its name, address and
   directorate follow the directory, and the roles that ``cagou.ldap.roles``
   manages follow the person's groups. Other grants are left alone.

A login the directory does not know, and a wrong password, answer None: the
local backend then answers for local accounts (the IT administrators'). A
directory that cannot be reached answers :class:`AuthenticationUnavailable`,
so local accounts still sign in and agents read why they cannot. The
directory never takes over a local account of another kind, and never
reactivates a deactivated agent.
"""

from __future__ import annotations

import logging
import math
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core import results
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.request import Request

from cagou.contributions import INTRANET, AuthenticationUnavailable, HealthResult, Role
from cagou.hookspecs import hookimpl
from cagou.identity.models import AGENT, Account, Directorate
from cagou.interfaces import IAccounts, IAuditLog

log = logging.getLogger(__name__)

#: Shown on the login form when no server of the directory answers.
UNAVAILABLE_MESSAGE = (
    "L'annuaire de la Province est injoignable : les agents ne peuvent pas se connecter pour le moment. "
    "Les comptes informatiques locaux fonctionnent toujours."
)

#: Bind results that mean "the server cannot answer now", not "wrong password".
SERVER_TROUBLE = frozenset({results.RESULT_BUSY, results.RESULT_UNAVAILABLE, results.RESULT_OTHER})
#: Search results that still carry a usable answer.
SEARCH_ANSWERED = frozenset({results.RESULT_SUCCESS, results.RESULT_NO_SUCH_OBJECT, results.RESULT_SIZE_LIMIT_EXCEEDED})

ROLE_LINE_SYNTAX = "« DN du groupe = rôle » ou « DN du groupe = rôle@CODE-DIRECTION »"


class DirectoryError(Exception):
    """The directory could not answer: no server reachable, or the service account refused."""


#: What talking to the directory raises when it cannot answer (ssl errors are OSErrors).
UNREACHABLE = (LDAPException, DirectoryError, OSError)


# -- settings -------------------------------------------------------------------


@dataclass(frozen=True)
class RoleMapping:
    """One grant that a directory group gives: ``role``, platform-wide or within ``directorate``."""

    group: str  # the group's DN, normalised by :func:`normalise_dn`
    role: str
    directorate: str | None = None


@dataclass(frozen=True)
class DirectoryConfig:
    """The ``cagou.ldap.*`` settings, checked."""

    urls: tuple[str, ...]
    timeout: float
    ca_file: str | None
    bind_dn: str | None
    bind_password: str
    base_dn: str
    user_filter: str
    name_attribute: str
    mail_attribute: str
    directorate_attribute: str
    group_base_dn: str
    group_filter: str
    roles: tuple[RoleMapping, ...]

    @property
    def managed(self) -> frozenset[tuple[str, str | None]]:
        """The grants (role, directorate code) that the directory decides."""
        return frozenset((mapping.role, mapping.directorate) for mapping in self.roles)


def read_config(settings: Mapping[str, Any]) -> DirectoryConfig | None:
    """The directory settings, or None when ``cagou.ldap.url`` is empty; ConfigurationError in French."""
    urls = tuple(str(settings.get("cagou.ldap.url") or "").split())
    if not urls:
        return None
    for url in urls:
        parse_url(url)
    base_dn = setting(settings, "base_dn")
    if not base_dn:
        raise ConfigurationError("cagou.ldap.base_dn est obligatoire quand cagou.ldap.url est renseigné.")
    user_filter = setting(settings, "user_filter")
    if "{login}" not in user_filter:
        raise ConfigurationError("cagou.ldap.user_filter doit contenir {login}, remplacé par l'identifiant saisi.")
    roles = parse_roles(setting(settings, "roles"))
    group_filter = setting(settings, "group_filter")
    if roles and "{dn}" not in group_filter and "{login}" not in group_filter:
        raise ConfigurationError("cagou.ldap.group_filter doit contenir {dn} (DN de l'agent) ou {login}.")
    return DirectoryConfig(
        urls=urls,
        timeout=parse_timeout(settings.get("cagou.ldap.timeout", "5")),
        ca_file=setting(settings, "ca_file") or None,
        bind_dn=setting(settings, "bind_dn") or None,
        bind_password=str(settings.get("cagou.ldap.bind_password") or ""),
        base_dn=base_dn,
        user_filter=user_filter,
        name_attribute=setting(settings, "name_attribute") or "cn",
        mail_attribute=setting(settings, "mail_attribute") or "mail",
        directorate_attribute=setting(settings, "directorate_attribute"),
        group_base_dn=setting(settings, "group_base_dn") or base_dn,
        group_filter=group_filter,
        roles=roles,
    )


def setting(settings: Mapping[str, Any], name: str) -> str:
    return str(settings.get(f"cagou.ldap.{name}") or "").strip()


def parse_url(url: str) -> tuple[str, int, bool]:
    """``ldaps://dc1.province-sud.nc:636`` → host, port, TLS."""
    parts = urlsplit(url)
    if parts.scheme not in ("ldap", "ldaps") or not parts.hostname or parts.path not in ("", "/"):
        raise ConfigurationError(
            f"cagou.ldap.url : « {url} » n'est pas une adresse ldap://hôte[:port] ou ldaps://hôte[:port]."
        )
    try:
        port = parts.port
    except ValueError as error:
        raise ConfigurationError(f"cagou.ldap.url : le port de « {url} » n'est pas valide.") from error
    tls = parts.scheme == "ldaps"
    return parts.hostname, port or (636 if tls else 389), tls


def parse_timeout(value: Any) -> float:
    try:
        timeout = float(value)
    except (TypeError, ValueError):
        timeout = 0.0
    if timeout <= 0:
        raise ConfigurationError(f"cagou.ldap.timeout doit être un nombre de secondes positif (reçu : « {value} »).")
    return timeout


def parse_roles(text: str) -> tuple[RoleMapping, ...]:
    """One ``group DN = role[@DIRECTORATE] [role…]`` per line; empty lines and ``#`` comments are skipped.

    The roles come after the last ``=``: role names and directorate codes
    never contain one, a DN always does.
    """
    mappings: list[RoleMapping] = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        group, equals, grants = line.rpartition("=")
        if not equals or not group.strip() or not grants.split():
            raise ConfigurationError(f"cagou.ldap.roles : ligne « {line} » illisible ; attendu {ROLE_LINE_SYNTAX}.")
        try:
            group_dn = normalise_dn(group)
        except LDAPException as error:
            raise ConfigurationError(
                f"cagou.ldap.roles : « {group.strip()} » n'est pas un DN valide ; attendu {ROLE_LINE_SYNTAX}."
            ) from error
        for grant in grants.split():
            role, at, code = grant.partition("@")
            if not role or (at and not code):
                raise ConfigurationError(f"cagou.ldap.roles : « {grant} » illisible ; attendu {ROLE_LINE_SYNTAX}.")
            mappings.append(RoleMapping(group_dn, role, code or None))
    return tuple(mappings)


def normalise_dn(dn: str) -> str:
    """``CN=Techniciens, OU=Groupes,…`` → ``cn=techniciens,ou=groupes,…``, to compare DNs."""
    return ",".join(f"{kind.lower()}={value.lower()}" for kind, value, _ in parse_dn(dn.strip(), strip=True))


def check_roles(config: DirectoryConfig, roles: Mapping[str, Role]) -> None:
    """Every mapped role is declared, and only per-directorate roles are given a directorate."""
    for mapping in config.roles:
        role = roles.get(mapping.role)
        if role is None:
            raise ConfigurationError(f"cagou.ldap.roles : le rôle « {mapping.role} » n'est déclaré par aucun module.")
        if mapping.directorate and not role.per_directorate:
            raise ConfigurationError(
                f"cagou.ldap.roles : le rôle « {mapping.role} » s'accorde pour toute la plateforme, "
                f"sans « @{mapping.directorate} »."
            )


def includeme(config: Configurator) -> None:
    """Check the directory settings when the configuration is committed, once every role is declared."""

    def check() -> None:
        directory = read_config(config.registry.settings)
        if directory is not None:
            check_roles(directory, config.registry["cagou.roles"])

    config.action("cagou.ldap", check)


# -- talking to the directory ----------------------------------------------------


@dataclass(frozen=True)
class DirectoryPerson:
    """What the directory says about the person who signs in."""

    dn: str
    display_name: str | None
    email: str | None
    directorate: str | None
    groups: frozenset[str]  # normalised DNs


def make_server(config: DirectoryConfig, url: str) -> Server:
    host, port, use_tls = parse_url(url)
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=config.ca_file) if use_tls else None
    return Server(host, port=port, use_ssl=use_tls, tls=tls, connect_timeout=config.timeout, get_info=NONE)


def bind(config: DirectoryConfig, server: Server, user: str | None, password: str) -> Connection | None:
    """A connection bound as ``user`` (anonymously when None), or None when the server refuses the credentials.

    Raises LDAPException when the server cannot be reached or does not answer
    in time, DirectoryError when it says it cannot answer now.
    """
    connection = Connection(
        server,
        user=user,
        password=password if user else None,
        read_only=True,
        auto_referrals=False,  # Active Directory refers to its other partitions: not needed, and slow
        # ldap3 hands the receive timeout to setsockopt as whole seconds.
        receive_timeout=math.ceil(config.timeout),
    )
    if connection.bind():
        return connection
    code = connection.result.get("result")
    connection.unbind()
    if code in SERVER_TROUBLE:
        raise DirectoryError(f"{server.host} : {connection.result.get('description')}")
    return None


def service_connection(config: DirectoryConfig) -> Connection:
    """Bound as the service account (or anonymously), on the first server that answers."""
    troubles: list[str] = []
    for url in config.urls:
        try:
            connection = bind(config, make_server(config, url), config.bind_dn, config.bind_password)
        except UNREACHABLE as error:
            troubles.append(f"{url} : {error}")
            continue
        if connection is None:
            raise DirectoryError(f"{url} : le compte de service « {config.bind_dn or 'anonyme'} » est refusé")
        return connection
    raise DirectoryError("aucun serveur de l'annuaire ne répond (" + " ; ".join(troubles) + ")")


def search(connection: Connection, base: str, query: str, attributes: list[str], limit: int = 0) -> list[Any]:
    """The entries found (dicts with ``dn`` and ``attributes``); DirectoryError if the search failed."""
    connection.search(base, query, SUBTREE, attributes=attributes or ["1.1"], size_limit=limit)
    if connection.result.get("result") not in SEARCH_ANSWERED:
        raise DirectoryError(f"recherche « {query} » sous « {base} » : {connection.result.get('description')}")
    return [item for item in connection.response or [] if item.get("type") == "searchResEntry"]


def first_value(attributes: Mapping[str, Any], name: str) -> str | None:
    """The first value of attribute ``name``, stripped, or None when it has none."""
    if not name:
        return None
    value = attributes.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip() if value is not None else ""
    return text or None


def find_person(config: DirectoryConfig, login: str, password: str) -> DirectoryPerson | None:
    """The person whose login and password these are, or None; DirectoryError or LDAPException when unreachable."""
    connection = service_connection(config)
    try:
        query = config.user_filter.replace("{login}", escape_filter_chars(login))
        wanted = [config.name_attribute, config.mail_attribute, config.directorate_attribute]
        entries = search(connection, config.base_dn, query, [name for name in wanted if name], limit=2)
        if len(entries) != 1:
            if entries:
                log.warning("The directory has several entries for login %r: refused", login)
            return None
        dn: str = entries[0]["dn"]
        person_connection = bind(config, connection.server, dn, password)
        if person_connection is None:
            return None
        person_connection.unbind()
        groups: frozenset[str] = frozenset()
        if config.roles:
            query = config.group_filter.replace("{dn}", escape_filter_chars(dn))
            query = query.replace("{login}", escape_filter_chars(login))
            groups = frozenset(normalise_dn(item["dn"]) for item in search(connection, config.group_base_dn, query, []))
    finally:
        connection.unbind()
    attributes = entries[0]["attributes"]
    return DirectoryPerson(
        dn=dn,
        display_name=first_value(attributes, config.name_attribute),
        email=first_value(attributes, config.mail_attribute),
        directorate=first_value(attributes, config.directorate_attribute),
        groups=groups,
    )


# -- bringing the local account up to date ------------------------------------------


def directorate_by_code(request: Request, code: str | None) -> Directorate | None:
    if not code:
        return None
    query = sa.select(Directorate).where(sa.func.upper(Directorate.code) == code.upper())
    directorate: Directorate | None = request.db.scalars(query).one_or_none()
    if directorate is None:
        log.warning("The directory names directorate %r, which the platform does not know", code)
    return directorate


def held_grants(account: Account) -> dict[tuple[str, str | None], Any]:
    return {(grant.role, grant.directorate.code if grant.directorate else None): grant for grant in account.grants}


def synchronise_roles(request: Request, config: DirectoryConfig, account: Account, groups: frozenset[str]) -> None:
    """Grant what the person's groups give, revoke the managed grants they no longer give; leave the others."""
    accounts = request.find_service(IAccounts)
    wanted = {(mapping.role, mapping.directorate) for mapping in config.roles if mapping.group in groups}
    held = held_grants(account)
    for key, grant in held.items():
        if key in config.managed and key not in wanted:
            accounts.revoke(account, grant)
    for role, code in sorted(wanted - held.keys(), key=str):
        directorate = directorate_by_code(request, code)
        if code and directorate is None:
            continue
        accounts.grant(account, role, directorate)


def describe(account: Account) -> dict[str, Any]:
    """What the directory decides about an account, for the audit log."""
    return {
        "display_name": account.display_name,
        "email": account.email,
        "directorate": account.directorate.code if account.directorate else None,
        "roles": sorted(f"{role}@{code}" if code else role for role, code in held_grants(account)),
    }


def synchronise(request: Request, config: DirectoryConfig, login: str, person: DirectoryPerson) -> Account | None:
    """The local agent account of ``person``, created or brought up to date; None if the login is another kind's."""
    accounts = request.find_service(IAccounts)
    account: Account | None = accounts.by_login(login)
    if account is not None and account.kind != AGENT:
        log.warning("Login %r is a local %s account: the directory does not sign it in", login, account.kind)
        return None
    if account is not None and not account.active:
        return account  # refused by the core: the directory never reactivates an account
    directorate = directorate_by_code(request, person.directorate)
    if account is None:
        account = accounts.create(
            login, person.display_name or login, AGENT, email=person.email, directorate=directorate
        )
        before: dict[str, Any] = {}
    else:
        before = describe(account)
        accounts.update(account, person.display_name or account.display_name, person.email or account.email)
        if directorate is not None:
            accounts.move(account, directorate)
    synchronise_roles(request, config, account, person.groups)
    after = describe(account)
    if after != before:
        request.find_service(IAuditLog).record(
            "core:account:directory-sync",
            f"Compte « {account.login} » {'mis à jour' if before else 'créé'} depuis l'annuaire.",
            object_type="account",
            object_id=str(account.id),
            changes={"before": before, "after": after},
        )
    return account


# -- hooks ------------------------------------------------------------------------


@hookimpl
def cagou_authenticate(request: Request, login: str, password: str) -> Account | AuthenticationUnavailable | None:
    """Agents of the directory, on the intranet; None for everyone else."""
    config = read_config(request.registry.settings)
    # An empty password would make an anonymous bind, which every directory accepts.
    if config is None or request.site != INTRANET or not login or not password:
        return None
    try:
        person = find_person(config, login, password)
    except UNREACHABLE as error:
        log.warning("Directory unreachable while %r signs in: %s", login, error)
        return AuthenticationUnavailable(UNAVAILABLE_MESSAGE, reason=str(error))
    if person is None:
        return None
    return synchronise(request, config, login, person)


@hookimpl
def cagou_health_checks(request: Request) -> list[HealthResult]:
    """Can the platform reach the directory, with its service account?"""
    config = read_config(request.registry.settings)
    if config is None:
        return []
    try:
        connection = service_connection(config)
    except UNREACHABLE as error:
        return [HealthResult("annuaire", False, str(error))]
    connection.unbind()
    return [HealthResult("annuaire", True, f"{connection.server.host}:{connection.server.port}")]
