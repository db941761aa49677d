"""The aids module's API views: they read, and answer JSON (the core answers every refusal)."""

from __future__ import annotations

import datetime
from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from cagou.kit import ApiError, IAuditLog, local
from cagou_aids.api import APPLICATIONS, ONE_APPLICATION, PROCEDURES, READ, SCHEMA_ROUTE
from cagou_aids.api.schemas import DEFAULT_LIMIT, MAX_LIMIT, definition_schema
from cagou_aids.models import Application, Procedure
from cagou_aids.queries import (
    ApplicationFilters,
    application_by_receipt,
    applications,
    cursor_of,
    files_sent,
    read_cursor,
)
from cagou_aids.views.instruction import ProcedureContext, readable_procedures


def procedure_json(procedure: Procedure) -> dict[str, Any]:
    return {
        "id": procedure.id, "slug": procedure.slug, "title": procedure.title, "state": procedure.state,
        "audience": procedure.audience, "receipt_prefix": procedure.receipt_prefix,
        "directorate": procedure.directorate.code if procedure.directorate is not None else None,
    }  # fmt: skip


def summary_json(request: Request, application: Application) -> dict[str, Any]:
    return {
        "receipt": application.receipt, "state": application.state, "email": application.email,
        "submitted_at": local(request.registry, application.submitted_at).isoformat(),
        "version": application.version.number,
        "duplicate_of": application.duplicate_of.receipt if application.duplicate_of is not None else None,
    }  # fmt: skip


@view_config(route_name=PROCEDURES, request_method="GET", renderer="json", permission=READ)
def api_procedures(request: Request) -> list[dict[str, Any]]:
    return [procedure_json(procedure) for procedure in readable_procedures(request)]


@view_config(route_name=SCHEMA_ROUTE, request_method="GET", renderer="json", permission=READ)
def api_schema(context: ProcedureContext, request: Request) -> dict[str, Any]:
    procedure = context.procedure
    return definition_schema(procedure.latest.parsed, procedure.title)


def cursor(text: str) -> tuple[datetime.datetime, int] | None:
    try:
        return read_cursor(text)
    except ValueError:
        raise ApiError(400, "Curseur « after » invalide : reprenez la valeur « next » de la page précédente.") from None


def limit_of(text: str) -> int:
    if not text:
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise ApiError(400, f"« limit » est un nombre de 1 à {MAX_LIMIT}.", {"limit": f"De 1 à {MAX_LIMIT}."})
    return int(text)


@view_config(route_name=APPLICATIONS, request_method="GET", renderer="json", permission=READ)
def api_applications(context: ProcedureContext, request: Request) -> dict[str, Any]:
    size = limit_of(request.GET.get("limit", ""))
    filters = ApplicationFilters(text=request.GET.get("q", ""), after=cursor(request.GET.get("after", "")))
    rows = applications(request.db, context.procedure, filters, size + 1)
    more, rows = len(rows) > size, rows[:size]
    following = cursor_of(rows[-1]) if more else None
    return {"items": [summary_json(request, row) for row in rows], "next": following}


@view_config(route_name=ONE_APPLICATION, request_method="GET", renderer="json", permission=READ)
def api_application(context: ProcedureContext, request: Request) -> dict[str, Any]:
    application = application_by_receipt(request.db, context.procedure, request.matchdict["receipt"])
    if application is None:
        raise ApiError(404, "Cette demande n'existe pas.")
    request.find_service(IAuditLog).record_read(
        "aids:application:read", f"Demande {application.receipt} consultée (API).", "aids", "aids_application",
        str(application.id),
    )  # fmt: skip
    files = [{"name": f.filename, "sha256": f.sha256, "size": f.size, "content_type": f.content_type,
              "scan_state": f.scan_state} for f in files_sent(request.db, application)]  # fmt: skip
    return {**summary_json(request, application), "answers": application.answers, "files": files}
