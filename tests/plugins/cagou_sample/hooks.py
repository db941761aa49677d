"""The sample module's hook implementations: one of each."""

from __future__ import annotations

import datetime

import click
import sqlalchemy as sa
from pyramid.registry import Registry
from pyramid.request import Request

from cagou.kit import (
    AGENT,
    INTRANET,
    PUBLIC,
    Account,
    AuditEntryView,
    Directorate,
    Equipment,
    HealthResult,
    IAccounts,
    ModuleInfo,
    NavEntry,
    Permission,
    RateLimit,
    Role,
    ScheduledJob,
    SearchResult,
    Widget,
    hookimpl,
)
from cagou_sample.jobs import tick
from cagou_sample.models import SampleEvent, SampleNote

__all__ = [
    "cagou_agent_created",
    "cagou_agent_deactivated",
    "cagou_agent_moved",
    "cagou_audit_object_visible",
    "cagou_audit_observed",
    "cagou_authenticate",
    "cagou_cli_commands",
    "cagou_dashboard_widgets",
    "cagou_equipment_held",
    "cagou_health_checks",
    "cagou_load_demo",
    "cagou_module_info",
    "cagou_navigation",
    "cagou_permissions",
    "cagou_rate_limits",
    "cagou_roles",
    "cagou_scheduled_jobs",
    "cagou_search",
]

#: Where the audit observer puts what it sees, keyed by registry (tests only).
OBSERVED: dict[int, list[AuditEntryView]] = {}


@hookimpl
def cagou_module_info() -> ModuleInfo:
    return ModuleInfo(
        name="sample",
        title="Module d'exemple",
        version="1.0",
        sites=(INTRANET, PUBLIC),
        migrations="cagou_sample:migrations",
    )


@hookimpl
def cagou_permissions() -> list[Permission]:
    return [
        Permission("sample:note:view", "Voir les notes d'exemple"),
        Permission("sample:note:edit", "Modifier une note d'exemple"),
    ]


@hookimpl
def cagou_roles() -> list[Role]:
    return [
        Role("sample:reader", "Lecteur des notes d'exemple", ("sample:note:view",)),
        Role("sample:editor", "Rédacteur des notes d'exemple", ("sample:note:edit",), per_directorate=True),
    ]


@hookimpl
def cagou_rate_limits() -> list[RateLimit]:
    return [RateLimit("sample.notes.account", 3, datetime.timedelta(minutes=10))]


@hookimpl
def cagou_navigation(request: Request) -> list[NavEntry]:
    return [
        NavEntry("Notes d'exemple", "sample.notes", INTRANET, order=50, permission="sample:note:view"),
        NavEntry("Exemple public", "sample.public", PUBLIC, order=50),
    ]


@hookimpl
def cagou_dashboard_widgets(request: Request) -> list[Widget]:
    count = request.db.scalar(sa.select(sa.func.count()).select_from(SampleNote))
    values = {"count": count}
    return [Widget("Mes notes d'exemple", "cagou_sample:templates/widget.jinja2", values, 10, "sample:note:view")]


@hookimpl
def cagou_search(request: Request, query: str, limit: int) -> list[SearchResult]:
    if not request.has_permission("sample:note:view"):
        return []
    notes = request.db.scalars(sa.select(SampleNote).where(SampleNote.title.contains(query)).limit(limit))
    return [SearchResult(note.title, request.route_path("sample.notes"), kind="note") for note in notes]


@hookimpl
def cagou_health_checks(request: Request) -> list[HealthResult]:
    return [HealthResult("exemple", True, "tout va bien")]


#: The one person the sample directory backend knows, and their password there.
DIRECTORY_LOGIN = "annuaire.agent"
DIRECTORY_PASSWORD = "mot-de-passe-de-l-annuaire"


@hookimpl
def cagou_authenticate(request: Request, login: str, password: str) -> Account | None:
    """A stand-in directory: it knows one agent, and creates the account on first sign-in."""
    if login != DIRECTORY_LOGIN or password != DIRECTORY_PASSWORD:
        return None
    accounts = request.find_service(IAccounts)
    return accounts.by_login(login) or accounts.create(login, "Agent de l'annuaire", AGENT)


@hookimpl
def cagou_agent_created(request: Request, account: Account) -> None:
    request.db.add(SampleEvent(kind="created", detail=account.login))


@hookimpl
def cagou_agent_moved(request: Request, account: Account, previous: Directorate | None) -> None:
    previous_code = previous.code if previous else "-"
    target = account.directorate.code if account.directorate else "-"
    request.db.add(SampleEvent(kind="moved", detail=f"{account.login}:{previous_code}->{target}"))


@hookimpl
def cagou_agent_deactivated(request: Request, account: Account) -> None:
    request.db.add(SampleEvent(kind="deactivated", detail=account.login))


#: What the sample module lends, by login (tests only): the helpdesk shows it on a ticket.
LENT: dict[str, list[Equipment]] = {}


@hookimpl
def cagou_equipment_held(request: Request, account: Account) -> list[Equipment]:
    return LENT.get(account.login, [])


@hookimpl
def cagou_audit_observed(registry: Registry, entry: AuditEntryView) -> None:
    OBSERVED.setdefault(id(registry), []).append(entry)


@hookimpl
def cagou_audit_object_visible(request: Request, object_type: str, object_id: str) -> bool | None:
    """A note's history is for those who may read the notes; other object types are not ours."""
    if object_type != "note":
        return None
    if not object_id.isdigit() or request.db.get(SampleNote, int(object_id)) is None:
        return False
    return bool(request.can("sample:note:view"))


@hookimpl
def cagou_scheduled_jobs() -> list[ScheduledJob]:
    return [ScheduledJob("sample.tick", "*/5 * * * *", tick, title="Compter les minutes")]


@hookimpl
def cagou_cli_commands(cli: click.Group) -> None:
    @cli.command("sample-hello")
    def hello() -> None:
        """Saluer (commande du module d'exemple)."""
        click.echo("Bonjour de la part du module d'exemple.")


@hookimpl
def cagou_load_demo(request: Request) -> None:
    directorates = {d.code: d for d in request.db.scalars(sa.select(Directorate))}
    for title, code in (("Première note", "DEFE-SAE"), ("Seconde note", "DSI")):
        exists = request.db.scalar(sa.select(SampleNote.id).where(SampleNote.title == title))
        if exists is None:
            request.db.add(SampleNote(title=title, directorate=directorates.get(code)))
