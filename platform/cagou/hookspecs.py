"""The hooks a Cagou module may implement: the contract between core and modules.

A module implements a hook by defining a function of the same name, decorated
with :data:`cagou.hookimpl`, in the object it registers under the entry point
group ``cagou.plugins`` (usually its package). A function whose name starts
with ``cagou_`` and matches no hook below stops the platform at start-up, so a
misspelled hook never goes silently unused.

Each hook says when the core calls it, what it receives, what it returns, and
which modules are asked. "Enabled modules" means the modules switched on for
the site of the current request; "active modules" means the modules switched
on for at least one site. Built-in features of the core answer these hooks too,
through the same plugin manager.

A hook implementation that raises does not break the page: the core logs the
error, shows the module as faulty in the IT console, and uses the other
modules' answers.

Hooks are grouped under headings, as in the documentation (``docs/plugins.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from pyramid.registry import Registry
    from pyramid.request import Request

    from cagou.contributions import (
        AuditEntryView,
        AuthenticationUnavailable,
        Equipment,
        HealthResult,
        ModuleInfo,
        NavEntry,
        Permission,
        RateLimit,
        Role,
        ScheduledJob,
        SearchResult,
        Widget,
    )
    from cagou.identity.models import Account, Directorate

PROJECT_NAME = "cagou"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -------------------------------------------------------------------------
# Describing the module
# -------------------------------------------------------------------------


@hookspec
def cagou_module_info() -> ModuleInfo:
    """Describe the module: its name, title, version and the sites it serves.

    Called once per module when the platform starts; every module must answer.
    The name must be unique, lowercase, and prefixes the module's tables.

    :return: a :class:`cagou.contributions.ModuleInfo`.

    Asked: every installed module.
    """


@hookspec
def cagou_permissions() -> list[Permission]:
    """Declare the permissions the module's views check.

    Names follow ``scope:resource:action`` with the module name as scope
    (``helpdesk:ticket:assign``). Called at start-up.

    :return: a list of :class:`cagou.contributions.Permission`.

    Asked: every installed module (a permission exists even while its module
    is disabled, so that grants survive).
    """


@hookspec
def cagou_roles() -> list[Role]:
    """Declare the roles the module adds, each with the permissions it grants.

    Called at start-up. A role name is unique across the platform and should
    start with the module name (``helpdesk:technician``).

    :return: a list of :class:`cagou.contributions.Role`.

    Asked: every installed module.
    """


@hookspec
def cagou_rate_limits() -> list[RateLimit]:
    """Declare the rate limits the module counts through :class:`cagou.interfaces.IRateLimits`.

    Called at start-up. A name is unique across the platform and starts with
    the module name (``helpdesk.mail-refusals.sender``); the
    ``cagou.ratelimits`` setting may change the attempts and the window.

    :return: a list of :class:`cagou.contributions.RateLimit`.

    Asked: every installed module.
    """


# -------------------------------------------------------------------------
# Pages: navigation, dashboard, search
# -------------------------------------------------------------------------


@hookspec
def cagou_navigation(request: Request) -> list[NavEntry]:
    """Contribute entries to the main navigation of the current site.

    Called when a page is rendered. Return only the entries that make sense
    for ``request.site`` and ``request.identity``; entries whose
    ``permission`` the person lacks are dropped by the core.

    :param request: the current request.
    :return: a list of :class:`cagou.contributions.NavEntry`.

    Asked: enabled modules.
    """


@hookspec
def cagou_dashboard_widgets(request: Request) -> list[Widget]:
    """Contribute blocks to "Mon espace", the signed-in person's home page.

    :param request: the current request; ``request.identity`` is set.
    :return: a list of :class:`cagou.contributions.Widget`, sorted by the core
        on ``order``; those whose ``permission`` the person lacks are dropped.

    Asked: enabled modules.
    """


@hookspec
def cagou_search(request: Request, query: str, limit: int) -> list[SearchResult]:
    """Answer the global search.

    Return at most ``limit`` results that ``request.identity`` may see.

    :param request: the current request.
    :param query: what the person typed, stripped, never empty.
    :param limit: the largest number of results the core will show.
    :return: a list of :class:`cagou.contributions.SearchResult`.

    Asked: enabled modules.
    """


# -------------------------------------------------------------------------
# Signing in
# -------------------------------------------------------------------------


@hookspec
def cagou_authenticate(request: Request, login: str, password: str) -> Account | AuthenticationUnavailable | None:
    """Check a login and password, and return the account they identify.

    Backends are asked in turn until one returns an Account: a module's
    backend (an SSO, a directory of its own) first, then the core's directory
    backend (``cagou.ldap.*``, when configured), and the core's local-account
    backend last (it is registered ``trylast``). Return None for a login you
    do not know, and for a password you refuse: the next backend is asked,
    and the core refuses when none recognises the person. Return
    :class:`cagou.contributions.AuthenticationUnavailable` when you could not
    check (your server is down or too slow): the next backends are asked all
    the same, so local accounts still sign in, and if none recognises the
    person the login form shows your French ``message``. An inactive account
    is refused by the core, whatever the backend that returned it.

    Create the account on first sign-in with ``IAccounts.create`` (agents then
    reach ``cagou_agent_created``) and keep it up to date through ``IAccounts``,
    so that every change is audited. The login form of each site lets in only
    its own kinds of account: check ``request.site`` to avoid asking your
    server for nothing.

    :param request: the current request (``request.db`` is the session, ``request.site`` the site).
    :param login: the login as typed, stripped and lowercased.
    :param password: the password as typed.
    :return: the :class:`cagou.identity.models.Account`, an
        :class:`cagou.contributions.AuthenticationUnavailable`, or None.

    Asked: enabled modules.
    """


# -------------------------------------------------------------------------
# People's lifecycle
# -------------------------------------------------------------------------


@hookspec
def cagou_agent_created(request: Request, account: Account) -> None:
    """An agent's account was created. Called in the creating transaction.

    :param request: the current request (or the command's).
    :param account: the new :class:`cagou.identity.models.Account`.

    Asked: active modules.
    """


@hookspec
def cagou_agent_moved(request: Request, account: Account, previous: Directorate | None) -> None:
    """An agent moved to another directorate (``account.directorate``).

    :param request: the current request (or the command's).
    :param account: the agent, already in the new directorate.
    :param previous: the directorate the agent belonged to before, or None.

    Called in the transaction that records the move. Asked: active modules.
    """


@hookspec
def cagou_agent_deactivated(request: Request, account: Account) -> None:
    """An agent's account was deactivated (the agent left, for instance).

    Called in the deactivating transaction, once per deactivation: release
    what the agent held (tickets, laptops, VPN access).

    :param request: the current request (or the command's).
    :param account: the agent, already inactive.

    Asked: active modules.
    """


@hookspec
def cagou_equipment_held(request: Request, account: Account) -> list[Equipment]:
    """What ``account`` holds from the administration: laptops, VPN access, phones.

    Asked by a module that wants to show it (the helpdesk, on a ticket, so
    the technician sees which laptop is concerned) without knowing which
    module lends equipment. Answers are joined.

    :param request: the current request.
    :param account: the person the question is about.
    :return: a list of :class:`cagou.contributions.Equipment`, empty when
        the module lends nothing to this person.

    Asked: enabled modules.
    """


# -------------------------------------------------------------------------
# Audit
# -------------------------------------------------------------------------


@hookspec
def cagou_audit_observed(registry: Registry, entry: AuditEntryView) -> None:
    """Observe an audit entry after its transaction committed.

    Use it to forward entries elsewhere (a SIEM). An observer that raises is
    logged and never loses or blocks the entry.

    :param registry: the application registry (settings, services).
    :param entry: the committed :class:`cagou.contributions.AuditEntryView`.

    Asked: active modules.
    """


@hookspec(firstresult=True)
def cagou_audit_object_visible(request: Request, object_type: str, object_id: str) -> bool | None:
    """Say whether the signed-in person may see the audit history of one object.

    Called by the object's history page (``/intranet/journal/{object_type}/{object_id}``),
    which lists every audit entry recorded about that object: agents follow
    there what happened to a file they handle, without reading the rest of
    the log. Answer for the object types your module records entries about,
    with the same rule as for opening the object itself; return None for the
    other types. Stops at the first non-None result: True shows the history,
    False (or no answer at all) answers 404. IT administrators who may read
    the whole log (``core:audit:view``) see every history without asking.

    :param request: the current request; ``request.identity`` is an agent or an IT administrator.
    :param object_type: the ``object_type`` the entries were recorded with (``note``).
    :param object_id: the ``object_id`` they were recorded with, as a string.
    :return: True, False, or None when the object type is not the module's.

    Asked: enabled modules.
    """


# -------------------------------------------------------------------------
# Background work, health, command line, demonstration data
# -------------------------------------------------------------------------


@hookspec
def cagou_scheduled_jobs() -> list[ScheduledJob]:
    """Declare work the background worker runs on a schedule.

    Called when the worker starts. Each slot runs once across all workers;
    the slots that fall while the module is disabled are skipped.

    :return: a list of :class:`cagou.contributions.ScheduledJob`, whose names
        must start with the module name.

    Asked: every installed module (the core skips disabled ones when a slot
    comes due).
    """


@hookspec
def cagou_health_checks(request: Request) -> list[HealthResult]:
    """Check the module's own dependencies (a mail listener, a remote API).

    Called by the IT console; keep it fast.

    :param request: the current request (``request.db`` is available).
    :return: a list of :class:`cagou.contributions.HealthResult`.

    Asked: every installed module.
    """


@hookspec
def cagou_cli_commands(cli: click.Group) -> None:
    """Add subcommands to the ``cagou`` command with ``cli.add_command``.

    Called before the command line is parsed. A command that needs the
    application uses :func:`cagou.cli.pass_env` to get the environment
    (``env.registry``, ``env.transaction()``).

    :param cli: the ``cagou`` :class:`click.Group`.

    Asked: every installed module.
    """


@hookspec
def cagou_load_demo(request: Request) -> None:
    """Load the module's demonstration data.

    Called by ``cagou demo`` after the core's own demonstration data
    (directorates, the demonstration accounts). Must be idempotent: running it
    twice neither duplicates nor overwrites what is there.

    :param request: a request in the loading transaction.

    Asked: every installed module.
    """


def hook_names() -> list[str]:
    """The names of every hook above, in the order they are declared."""
    return [name for name, value in globals().items() if name.startswith("cagou_") and callable(value)]


def hook_docstring(name: str) -> str:
    """The documentation of hook ``name``."""
    value: Any = globals()[name]
    return value.__doc__ or ""
