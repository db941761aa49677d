"""Reading the settings: the ``.ini`` file, then the environment, then defaults.

Every setting ``cagou.a.b`` can be given by the environment variable
``CAGOU_A_B``, which wins over the ``.ini`` file: that is how production
receives its secrets and its database address. The production environment
refuses to start with the development secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool, aslist

from cagou.contributions import SITES

DEVELOPMENT_SECRET = "développement-seulement-ne-pas-utiliser-en-production"  # noqa: S105  (refused in production)
MINIMUM_SECRET_LENGTH = 32

#: Every setting the core reads, with its default. ``%(var)s`` is the folder
#: for the platform's data (``cagou.var``).
#: argon2id's production minimum (OWASP, 2025), and the default: 19 MiB of memory, 2 iterations.
PASSWORD_COSTS = (19456, 2)

DEFAULTS: dict[str, str] = {
    "cagou.environment": "development",
    "cagou.var": "var",
    "cagou.database_url": "sqlite:///%(var)s/cagou.sqlite",
    # The threads serving requests (or running jobs) in this process: gunicorn.conf.py
    # and ``cagou worker`` set CAGOU_THREADS; 4 is waitress's default (development.ini).
    "cagou.threads": "4",
    # The connection pool: empty means cagou.threads + 1 kept open, and up to cagou.threads
    # more for short side transactions (see cagou.db and docs/deployment.md).
    "cagou.database.pool_size": "",
    "cagou.database.max_overflow": "",
    # Seconds a thread waits for a connection before the request gets a 503.
    "cagou.database.pool_timeout": "10",
    # Shown in PostgreSQL's pg_stat_activity, followed by the process id.
    "cagou.database.application_name": "cagou",
    # Addresses of the reverse proxies whose X-Forwarded-For gives the client's address.
    "cagou.proxies.trusted": "127.0.0.1 ::1",
    # One log line per request (cagou.web.request_log): development.ini turns it on.
    "cagou.log_requests": "false",
    "cagou.secret": DEVELOPMENT_SECRET,
    "cagou.sites": "public intranet",
    # Where people reach the platform: the links in mail sent by jobs and commands.
    "cagou.url": "http://localhost:6543",
    "cagou.timezone": "Pacific/Noumea",
    "cagou.ratelimits": "",
    # argon2id's costs for new passwords (a password is rehashed at sign-in when they change).
    "cagou.passwords.memory_kib": str(PASSWORD_COSTS[0]),
    "cagou.passwords.time_cost": str(PASSWORD_COSTS[1]),
    "cagou.sessions.idle_minutes": "30",
    "cagou.sessions.warning_minutes": "2",
    "cagou.modules.default_enabled": "true",
    "cagou.modules.refresh_seconds": "1",
    "cagou.plugins.entry_points": "true",
    "cagou.plugins.extra": "",
    "cagou.jobs.url": "",
    "cagou.mail.delivery": "folder",
    "cagou.mail.folder": "%(var)s/mail",
    "cagou.mail.sender": "Cagou <ne-pas-repondre@cagou.example.nc>",
    "cagou.mail.smtp_host": "localhost",
    "cagou.mail.smtp_port": "25",
    "cagou.mail.smtp_user": "",
    "cagou.mail.smtp_password": "",
    "cagou.mail.smtp_starttls": "false",
    "cagou.mail.max_attempts": "8",
    "cagou.files.directory": "%(var)s/files",
    # The virus scanner (cagou.files.scanner): clamd's socket, unix:///… or tcp://host:port; empty: none.
    "cagou.clamd": "",
    # Seconds to connect to clamd, and to wait for each of its answers (a scan's included).
    "cagou.clamd.timeout": "30",
    "cagou.audit.signing_key": "%(var)s/audit-signing.key",
    "cagou.audit.checkpoints": "%(var)s/audit-checkpoints",
    "cagou.audit.retention": "",
    # The HMAC keys that authenticate the audit log's entries (cagou.audit.keys): outside the database.
    "cagou.audit.keys": "%(var)s/audit.keys",
    # How far back of the entries sealed before it an entry may be dated (a long transaction commits late).
    "cagou.audit.order_tolerance_minutes": "60",
    # PostgreSQL: the role the purge (and only the purge) connects as, the one
    # `cagou db grant --purge` names; empty: the main database URL (one role).
    "cagou.audit.purge_database_url": "",
    # The key ring that encrypts the secrets stored in the database (cagou.secrets): outside the database.
    "cagou.secrets.keys": "%(var)s/secrets.keys",
    # The directory backend (cagou.identity.directory): off while cagou.ldap.url is empty.
    "cagou.ldap.url": "",
    "cagou.ldap.timeout": "5",
    "cagou.ldap.ca_file": "",
    "cagou.ldap.bind_dn": "",
    "cagou.ldap.bind_password": "",
    "cagou.ldap.base_dn": "",
    "cagou.ldap.user_filter": "(&(objectClass=inetOrgPerson)(uid={login}))",
    "cagou.ldap.name_attribute": "cn",
    "cagou.ldap.mail_attribute": "mail",
    "cagou.ldap.directorate_attribute": "departmentNumber",
    "cagou.ldap.group_base_dn": "",
    "cagou.ldap.group_filter": "(&(objectClass=groupOfNames)(member={dn}))",
    "cagou.ldap.roles": "",
    "cagou.assets.directory": "node_modules",
}

BOOLEANS = (
    "cagou.log_requests",
    "cagou.modules.default_enabled",
    "cagou.plugins.entry_points",
    "cagou.mail.smtp_starttls",
)
INTEGERS = (
    "cagou.mail.smtp_port",
    "cagou.mail.max_attempts",
    "cagou.passwords.memory_kib",
    "cagou.passwords.time_cost",
    "cagou.threads",
    "cagou.audit.order_tolerance_minutes",
)
FLOATS = (
    "cagou.clamd.timeout",
    "cagou.database.pool_timeout",
    "cagou.modules.refresh_seconds",
    "cagou.sessions.idle_minutes",
    "cagou.sessions.warning_minutes",
)
LISTS = ("cagou.sites", "cagou.plugins.extra", "cagou.proxies.trusted")


def environment_name(key: str) -> str:
    """``cagou.mail.smtp_host`` is read from ``CAGOU_MAIL_SMTP_HOST``."""
    return key.upper().replace(".", "_")


def normalize(settings: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Merge defaults, ``.ini`` values and the environment into typed settings."""
    environ = os.environ if environ is None else environ
    result: dict[str, Any] = dict(settings)
    for key, default in DEFAULTS.items():
        value = environ.get(environment_name(key), settings.get(key, default))
        result[key] = value
    here = Path(str(settings.get("here", "."))).resolve()
    var = (here / str(result["cagou.var"])).resolve()
    result["cagou.var"] = str(var)
    for key in DEFAULTS:
        if isinstance(result[key], str) and "%(var)s" in result[key]:
            result[key] = result[key].replace("%(var)s", str(var))
    result["cagou.assets.directory"] = str((here / str(result["cagou.assets.directory"])).resolve())
    for key in BOOLEANS:
        result[key] = asbool(result[key])
    for key in INTEGERS:
        result[key] = int(result[key])
    for key in FLOATS:
        result[key] = float(result[key])
    for key in LISTS:
        result[key] = tuple(aslist(result[key])) if isinstance(result[key], str) else tuple(result[key])
    # One connection per thread and one to refresh the module switches; a thread may briefly take
    # a second one for an audit entry written outside its transaction (see cagou.db).
    threads = result["cagou.threads"]
    for key, default in (("cagou.database.pool_size", threads + 1), ("cagou.database.max_overflow", threads)):
        result[key] = int(result[key]) if str(result[key]).strip() else default
    validate(result)
    return result


def validate(settings: Mapping[str, Any]) -> None:
    """Refuse settings that would run the platform unsafely or not at all."""
    unknown_sites = set(settings["cagou.sites"]) - set(SITES)
    if unknown_sites or not settings["cagou.sites"]:
        raise ConfigurationError(
            f"cagou.sites doit nommer public, intranet ou les deux (reçu : {' '.join(settings['cagou.sites'])})."
        )
    if settings["cagou.passwords.memory_kib"] < 8 or settings["cagou.passwords.time_cost"] < 1:
        raise ConfigurationError(
            "cagou.passwords.memory_kib vaut au moins 8 (Kio) et cagou.passwords.time_cost au moins 1 "
            "(les minimums d'argon2id)."
        )
    if settings["cagou.environment"] == "production":
        memory, time_cost = settings["cagou.passwords.memory_kib"], settings["cagou.passwords.time_cost"]
        if memory < PASSWORD_COSTS[0] or time_cost < PASSWORD_COSTS[1]:
            raise ConfigurationError(
                "En production, les mots de passe sont chiffrés au moins aux coûts recommandés par l'OWASP : "
                f"cagou.passwords.memory_kib = {PASSWORD_COSTS[0]}, cagou.passwords.time_cost = {PASSWORD_COSTS[1]}."
            )
        secret = str(settings["cagou.secret"])
        if secret == DEVELOPMENT_SECRET or len(secret) < MINIMUM_SECRET_LENGTH:
            raise ConfigurationError(
                "En production, CAGOU_SECRET doit contenir un secret propre à ce déploiement "
                f"d'au moins {MINIMUM_SECRET_LENGTH} caractères (par exemple : "
                'python -c "import secrets; print(secrets.token_urlsafe(48))").'
            )


def is_production(settings: Mapping[str, Any]) -> bool:
    return settings.get("cagou.environment") == "production"
