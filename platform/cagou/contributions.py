"""What hook implementations return to the core.

Plain frozen dataclasses, so that a plugin builds them without knowing how the
core uses them, and the core can rely on their shape. Every class here is part
of the public API of the plugin contract (see ``docs/plugins.md``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: The two sites a route or a module may serve.
PUBLIC = "public"
INTRANET = "intranet"
SITES: tuple[str, ...] = (PUBLIC, INTRANET)


@dataclass(frozen=True)
class ModuleInfo:
    """Describes a module to the core and to the IT console.

    ``name`` is the short identifier (``helpdesk``): it prefixes the module's
    table names and its permissions, and it names its Alembic branch.
    ``migrations`` is an asset specification (``cagou_helpdesk:migrations``) of
    the folder that holds the module's Alembic revisions, or None.
    ``sites`` are the sites the module serves; it can be enabled on those only.
    ``closed_notice``, when given, is what the module's pages say (503) on a
    site where IT has disabled it, instead of the 404 they answer otherwise:
    a public service that is closed for a while says so.
    """

    name: str
    title: str
    version: str
    sites: tuple[str, ...] = SITES
    description: str = ""
    migrations: str | None = None
    closed_notice: str = ""


@dataclass(frozen=True)
class Permission:
    """A permission a module checks in its views: ``scope:resource:action``."""

    name: str
    title: str


@dataclass(frozen=True)
class Role:
    """A role that can be granted to an account, and the permissions it carries.

    ``per_directorate`` says that the role is granted within one directorate
    (an instructor of the economic directorate) rather than platform-wide.
    ``requires_second_factor`` makes the role count only in a session where
    the person gave their second factor (TOTP) after the password.
    ``granted_to_kinds`` gives the role, without any grant, to every account
    of these kinds (``("agent",)``: every agent may open a helpdesk ticket).
    """

    name: str
    title: str
    permissions: tuple[str, ...]
    per_directorate: bool = False
    requires_second_factor: bool = False
    granted_to_kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthenticationUnavailable:
    """What a sign-in backend answers when it could not check the credentials.

    Its server (a directory, an identity provider) is down, too slow, or
    refused the platform's own credentials. The core goes on asking the other
    backends, so local accounts still sign in; when none of them recognises
    the person, the login form shows ``message`` (French, for the person) and
    ``reason`` (technical) goes to the log.
    """

    message: str
    reason: str = ""


@dataclass(frozen=True)
class NavEntry:
    """A link in the main navigation of one site."""

    title: str
    route_name: str
    site: str
    order: int = 100
    permission: str | None = None


@dataclass(frozen=True)
class Widget:
    """A block of a signed-in person's home page: "Mon espace" on the intranet, or the public extension's home.

    ``template`` is a Jinja2 asset specification rendered with ``values``
    (plus ``request``); the core wraps it in a titled region. A widget whose
    ``permission`` the person lacks is dropped by the core; ``site`` says
    which home shows it (``INTRANET`` or ``PUBLIC``).
    """

    title: str
    template: str
    values: dict[str, Any] = field(default_factory=dict)
    order: int = 100
    permission: str | None = None
    site: str = INTRANET


@dataclass(frozen=True)
class SearchResult:
    """One hit of the global search."""

    title: str
    url: str
    summary: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Equipment:
    """An item a person holds, as a module that lends equipment knows it.

    ``kind`` says what it is (``ordinateur portable``, ``accès VPN``);
    ``identifier`` is what a technician reads on the label or in the
    inventory (an asset tag, a serial number); ``detail`` is free text
    (model, since when, until when).
    """

    kind: str
    identifier: str
    detail: str = ""
    module: str = ""


@dataclass(frozen=True)
class HealthResult:
    """The answer of one health check: ``ok`` False means the check failed."""

    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class RateLimit:
    """At most ``attempts`` per ``window`` for one subject, counted with :class:`cagou.interfaces.IRateLimits`.

    ``name`` starts with the module's name (``helpdesk.mail-refusals.sender``);
    the ``cagou.ratelimits`` setting may change it (``name = attempts/minutes``).
    """

    name: str
    attempts: int
    window: datetime.timedelta


@dataclass(frozen=True)
class ScheduledJob:
    """Work that runs on a schedule in the background worker.

    ``schedule`` is a cron expression with five fields (minute, hour, day of
    month, month, day of week) read in the platform's time zone. ``run``
    receives the application registry; it opens its own transaction with
    :func:`cagou.db.transaction_scope`. Each slot of the schedule runs once
    even when several workers share the database.
    """

    name: str
    schedule: str
    run: Callable[[Any], None]
    title: str = ""


@dataclass(frozen=True)
class AuditEntryView:
    """A committed audit entry, as handed to audit observers.

    ``category`` is ``action``, ``read`` (sensitive data read) or ``refused``
    (a failed or refused attempt); ``impersonator`` is who really acted when
    an IT administrator acted as ``actor``.
    """

    id: int
    occurred_at: datetime.datetime
    actor: str | None
    module: str
    action: str
    object_type: str | None
    object_id: str | None
    summary: str
    address: str | None
    request_id: str | None
    changes: dict[str, Any] | None
    category: str = "action"
    impersonator: str | None = None


@dataclass(frozen=True)
class NewAccount:
    """An account to create with ``IAccounts.create_many``: no password (directory sign-in, or none)."""

    login: str
    display_name: str
    kind: str = "agent"
    email: str | None = None
    #: The code of the agent's directorate (``DGS``, ``DEFE``…); unknown codes leave it without one.
    directorate: str | None = None
