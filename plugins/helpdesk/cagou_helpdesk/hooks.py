"""The helpdesk's hook implementations: how it plugs into the platform."""

from __future__ import annotations

import click
import sqlalchemy as sa
from pyramid.request import Request

from cagou.kit import (
    AGENT,
    INTRANET,
    Account,
    HealthResult,
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
from cagou_helpdesk import jobs, queries
from cagou_helpdesk.demo.loading import load_demo
from cagou_helpdesk.inbound.common import REFUSALS_OVERALL, REFUSALS_PER_SENDER
from cagou_helpdesk.inbound.listener import mail_command
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import OPEN_STATUSES, Group, Ticket
from cagou_helpdesk.permissions import may_read

__all__ = [
    "cagou_agent_deactivated",
    "cagou_audit_object_visible",
    "cagou_cli_commands",
    "cagou_dashboard_widgets",
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

REQUESTER = "helpdesk:requester"
TECHNICIAN = "helpdesk:technician"
MANAGER = "helpdesk:manager"
ADMINISTRATOR = "helpdesk:admin"


@hookimpl
def cagou_module_info() -> ModuleInfo:
    return ModuleInfo(
        name="helpdesk",
        title="Assistance informatique",
        version="0.1.0",
        sites=(INTRANET,),
        description="Demandes d'intervention des agents, files des techniciens, niveaux de service et tableau de bord.",
        migrations="cagou_helpdesk:migrations",
    )


@hookimpl
def cagou_permissions() -> list[Permission]:
    return [
        Permission("helpdesk:ticket:create", "Ouvrir et suivre ses demandes d'intervention"),
        Permission("helpdesk:article:read", "Lire la base de connaissances"),
        Permission("helpdesk:ticket:work", "Traiter les tickets de ses groupes"),
        Permission("helpdesk:article:write", "Rédiger les articles de la base de connaissances"),
        Permission("helpdesk:dashboard:view", "Voir le tableau de bord de l'assistance"),
        Permission(
            "helpdesk:settings:manage", "Administrer l'assistance (catégories, groupes, priorités, niveaux de service)"
        ),
    ]


#: What each role adds to the one before it: a technician is also a requester, and so on.
REQUESTING = ("helpdesk:ticket:create", "helpdesk:article:read")
WORKING = (*REQUESTING, "helpdesk:ticket:work", "helpdesk:article:write")
MANAGING = (*WORKING, "helpdesk:dashboard:view")
ADMINISTERING = (*MANAGING, "helpdesk:settings:manage")


@hookimpl
def cagou_roles() -> list[Role]:
    return [
        Role(REQUESTER, "Demandeur (tout agent)", REQUESTING, granted_to_kinds=(AGENT,)),
        Role(TECHNICIAN, "Technicien de l'assistance", WORKING),
        Role(MANAGER, "Responsable d'un groupe de techniciens", MANAGING),
        Role(ADMINISTRATOR, "Administrateur de l'assistance", ADMINISTERING),
    ]


@hookimpl
def cagou_rate_limits() -> list[RateLimit]:
    return [REFUSALS_PER_SENDER, REFUSALS_OVERALL]


@hookimpl
def cagou_navigation(request: Request) -> list[NavEntry]:
    return [
        NavEntry("Assistance", "helpdesk.mine", INTRANET, order=20, permission="helpdesk:ticket:create"),
        NavEntry("Files des techniciens", "helpdesk.queue", INTRANET, order=21, permission="helpdesk:ticket:work"),
        NavEntry(
            "Tableau de bord de l'assistance",
            "helpdesk.dashboard",
            INTRANET,
            order=22,
            permission="helpdesk:dashboard:view",
        ),
        NavEntry(
            "Administration de l'assistance",
            "helpdesk.admin",
            INTRANET,
            order=23,
            permission="helpdesk:settings:manage",
        ),
    ]


@hookimpl
def cagou_dashboard_widgets(request: Request) -> list[Widget]:
    account = request.identity
    if account is None:
        return []
    widgets = []
    if request.can("helpdesk:ticket:create"):
        mine = queries.open_tickets_of(request, account, limit=5)
        widgets.append(
            Widget(
                "Mes demandes en cours",
                "cagou_helpdesk:templates/widget_mine.jinja2",
                {"tickets": mine},
                20,
                "helpdesk:ticket:create",
            )
        )
    if request.can("helpdesk:ticket:work"):
        values = {
            "assigned": queries.open_tickets_assigned_to(request, account, limit=5),
            "breaching": [
                (ticket, queries.is_breaching(request, ticket))
                for ticket in queries.breaching_soon(request, account, limit=5)
            ],
        }
        widgets.append(
            Widget(
                "Ma file d'assistance",
                "cagou_helpdesk:templates/widget_queue.jinja2",
                values,
                21,
                "helpdesk:ticket:work",
            )
        )
    return widgets


@hookimpl
def cagou_search(request: Request, query: str, limit: int) -> list[SearchResult]:
    results = []
    if request.can("helpdesk:article:read"):
        for article in queries.search_articles(request, query, limit):
            url = request.route_path("helpdesk.article", id=article.id)
            results.append(SearchResult(article.title, url, article.body[:160], kind="Article d'aide"))
    if request.identity is not None and request.can("helpdesk:ticket:create"):
        for ticket in queries.search_visible_tickets(request, request.identity, query, limit):
            url = request.route_path("helpdesk.ticket", id=ticket.id)
            results.append(
                SearchResult(f"{ticket.reference} — {ticket.title}", url, ticket.status_label, kind="Ticket")
            )
    return results[:limit]


@hookimpl
def cagou_agent_deactivated(request: Request, account: Account) -> None:
    request.find_service(ITickets).release_assigned(account)


@hookimpl
def cagou_audit_object_visible(request: Request, object_type: str, object_id: str) -> bool | None:
    if object_type in ("category", "group", "priority_matrix", "service_level"):
        return bool(request.can("helpdesk:settings:manage"))
    if object_type in ("article", "canned_answer"):
        return bool(request.can("helpdesk:article:write"))
    if object_type != "ticket":
        return None
    ticket = request.db.get(Ticket, int(object_id)) if object_id.isdigit() else None
    return ticket is not None and may_read(request, ticket)


@hookimpl
def cagou_scheduled_jobs() -> list[ScheduledJob]:
    return [
        ScheduledJob(
            "helpdesk.acknowledge.sweep",
            "* * * * *",
            jobs.sweep_acknowledgements,
            title="Envoyer les accusés de réception dont la tâche a été perdue",
        ),
        ScheduledJob(
            "helpdesk.breaches",
            "*/5 * * * *",
            jobs.notify_breaches,
            title="Prévenir les responsables des dépassements de délai",
        ),
        ScheduledJob(
            "helpdesk.close",
            "15 * * * *",
            jobs.close_resolved,
            title="Clore les tickets résolus depuis le délai de réouverture",
        ),
    ]


@hookimpl
def cagou_health_checks(request: Request) -> list[HealthResult]:
    groups = request.db.scalar(sa.select(sa.func.count()).select_from(Group))
    if not groups:
        return [HealthResult("assistance", False, "aucun groupe de techniciens : les tickets n'ont pas de file")]
    waiting = request.db.scalar(sa.select(sa.func.count()).select_from(Ticket).where(Ticket.status.in_(OPEN_STATUSES)))
    return [HealthResult("assistance", True, f"{groups} groupes, {waiting} tickets ouverts")]


@hookimpl
def cagou_cli_commands(cli: click.Group) -> None:
    cli.add_command(mail_command)


@hookimpl
def cagou_load_demo(request: Request) -> None:
    load_demo(request)
