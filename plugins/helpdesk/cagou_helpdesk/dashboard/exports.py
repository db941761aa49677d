"""Exports: the tickets opened in the period that match the filters, as CSV or XLSX."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy.engine import Engine

from cagou.kit import (
    FormErrors,
    IAuditLog,
    account_names,
    csv_response,
    get_engine,
    timezone,
    xlsx_file,
    xlsx_response,
)
from cagou_helpdesk.dashboard.common import PERMISSION, TEMPLATE
from cagou_helpdesk.dashboard.figures import local_midnight, within
from cagou_helpdesk.dashboard.filters import Filters, Scope, conditions, read_filters, scope_of
from cagou_helpdesk.dashboard.page import page_values
from cagou_helpdesk.models import PRIORITIES, STATUSES, Category, Group, Ticket, reference_of
from cagou_helpdesk.rules import now

EXPORT_COLUMNS = (
    "Référence",
    "Ouvert le (heure de Nouméa)",
    "Titre",
    "Catégorie",
    "Groupe",
    "Attribué à",
    "Demandeur",
    "Priorité",
    "Statut",
    "Première réponse le",
    "Résolu le",
    "Délais respectés",
    "Note de satisfaction",
)
#: Column widths of the spreadsheet, in characters.
EXPORT_WIDTHS = (11, 17, 50, 34, 34, 24, 24, 14, 11, 17, 17, 10, 10)
EXPORT_BATCH = 500

Cell = str | int | datetime.datetime | None
#: The export's select: many columns, of several types.
ExportQuery = sa.Select[*tuple[Any, ...]]


def export_query(request: Request, filters: Filters, scope: Scope) -> ExportQuery:
    zone = timezone(request.registry)
    start, stop = local_midnight(zone, filters.start), local_midnight(zone, filters.end + datetime.timedelta(days=1))
    assignee, requester = account_names("assignee"), account_names("requester")
    return (
        sa.select(
            Ticket.id,
            Ticket.created_at,
            Ticket.title,
            Category.path.label("category"),
            Group.name.label("group"),
            assignee.c.display_name.label("assignee"),
            requester.c.display_name.label("requester"),
            Ticket.priority,
            Ticket.status,
            Ticket.first_response_at,
            Ticket.resolved_at,
            Ticket.first_response_due,
            Ticket.resolution_due,
            Ticket.paused_since,
            Ticket.rating,
        )
        .select_from(Ticket)
        .join(Group, Ticket.group_id == Group.id)
        .join(requester, Ticket.requester_id == requester.c.id)
        .outerjoin(Category, Ticket.category_id == Category.id)
        .outerjoin(assignee, Ticket.assignee_id == assignee.c.id)
        .where(*conditions(filters, scope), within(Ticket.created_at, start, stop))
        .order_by(Ticket.id)
    )


def service_levels_met(row: Any, instant: datetime.datetime) -> bool | None:
    """Were both delays kept: yes or no once resolved; no as soon as one is missed; None while it can still be."""
    response_at = row.first_response_at or row.resolved_at
    response_late = row.first_response_due is not None and (
        (response_at is not None and response_at > row.first_response_due)
        or (response_at is None and row.paused_since is None and instant > row.first_response_due)
    )
    if row.resolved_at is not None:
        resolution_late = row.resolution_due is not None and row.resolved_at > row.resolution_due
        return not (response_late or resolution_late)
    resolution_late = row.paused_since is None and row.resolution_due is not None and instant > row.resolution_due
    return False if response_late or resolution_late else None


def export_cells(row: Any, zone: ZoneInfo, instant: datetime.datetime) -> list[Cell]:
    """One ticket's row, dates in Nouméa's time without a zone (what spreadsheets show)."""

    def when(value: datetime.datetime | None) -> datetime.datetime | None:
        return value.astimezone(zone).replace(tzinfo=None) if value is not None else None

    met = service_levels_met(row, instant)
    return [
        reference_of(row.id),
        when(row.created_at),
        row.title,
        row.category or "",
        row.group,
        row.assignee or "",
        row.requester,
        PRIORITIES.get(row.priority, str(row.priority)),
        STATUSES.get(row.status, row.status),
        when(row.first_response_at),
        when(row.resolved_at),
        "" if met is None else ("Oui" if met else "Non"),
        row.rating,
    ]


def export_rows(engine: Engine, query: ExportQuery, zone: ZoneInfo, instant: datetime.datetime) -> Iterator[list[Cell]]:
    """The rows, read a batch at a time on a connection of the export's own."""
    with engine.connect() as connection:
        result = connection.execute(query, execution_options={"yield_per": EXPORT_BATCH})
        for batch in result.partitions():
            for row in batch:
                yield export_cells(row, zone, instant)


def start_export(request: Request, kind: str) -> tuple[Filters, Scope, ExportQuery] | Response:
    """Check the filters (a 400 page next to the fields when bad), audit the export, give its query."""
    scope = scope_of(request)
    errors = FormErrors()
    filters = read_filters(request, request.params, scope, errors)
    if errors:
        values = page_values(request)
        response = render_to_response(TEMPLATE, values, request=request)
        response.status_int = 400
        return response
    query = export_query(request, filters, scope)
    count = request.db.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    request.find_service(IAuditLog).record(
        "helpdesk:ticket:export",
        f"Export {kind.upper()} de {count} ticket{'s' if count > 1 else ''} de l'assistance ({filters.described()}).",
        module="helpdesk",
        changes={"format": kind, "filters": filters.params(), "count": count},
    )
    return filters, scope, query


def file_name(request: Request, kind: str) -> str:
    stamp = now(request).astimezone(timezone(request.registry)).strftime("%Y%m%d-%H%M")
    return f"tickets-assistance-{stamp}.{kind}"


@view_config(route_name="helpdesk.dashboard_csv", permission=PERMISSION)
def export_csv(request: Request) -> Response:
    """The filtered tickets as CSV for French Excel, streamed; the export is in the audit log (personal data)."""
    started = start_export(request, "csv")
    if isinstance(started, Response):
        return started
    _, _, query = started
    rows = export_rows(get_engine(request.registry), query, timezone(request.registry), now(request))
    return csv_response(file_name(request, "csv"), EXPORT_COLUMNS, rows, EXPORT_BATCH)


@view_config(route_name="helpdesk.dashboard_xlsx", permission=PERMISSION)
def export_xlsx(request: Request) -> Response:
    """The filtered tickets as an Excel workbook, dates as real dates; audited like the CSV."""
    started = start_export(request, "xlsx")
    if isinstance(started, Response):
        return started
    _, _, query = started
    zone, instant = timezone(request.registry), now(request)
    result = request.db.execute(query, execution_options={"yield_per": EXPORT_BATCH})
    workbook = xlsx_file("Tickets", EXPORT_COLUMNS, (export_cells(row, zone, instant) for row in result), EXPORT_WIDTHS)
    return xlsx_response(file_name(request, "xlsx"), workbook)
