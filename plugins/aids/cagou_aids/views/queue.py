"""The instructors' queue: a procedure's applications filtered, searched and paged, saved views, bulk actions.

The list reads everything from its query string (:mod:`cagou_aids.queue`):
a view is a bookmark, and a parameter it cannot read is a 400 with the French
reason. The bulk form posts the ticked applications, or "every result of the
filter" with the filter's query string; its report lists each file done or
refused, and why.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qsl

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from webob.multidict import MultiDict

from cagou.kit import FormErrors, Invalid, Refused, local
from cagou_aids.answers import applicant_name
from cagou_aids.assignment import badges_for, groups_filter
from cagou_aids.bulk import AMOUNT_INPUT, MAX_BULK, MOTIVATION_INPUT, REQUEST_INPUT, offered
from cagou_aids.interfaces import IBulkActions, ISavedViews
from cagou_aids.models.queue import SavedView
from cagou_aids.queries import (
    PAGE_SIZE,
    SORTS,
    ApplicationFilters,
    applications,
    cursor_of,
    filtered_count,
    filtered_ids,
    state_counts,
)  # fmt: skip
from cagou_aids.queue import (
    KIND_OF_TYPE,
    BadQueryError,
    cell,
    filter_options,
    filterable,
    page_query,
    read_queue,
    view_query,
)  # fmt: skip
from cagou_aids.services.requests import askable_fields
from cagou_aids.services.saved_views import saved_views
from cagou_aids.states import state_labels
from cagou_aids.views import refuse
from cagou_aids.views.instruction import READ, ProcedureContext

QUEUE_PAGE = "cagou_aids:templates/applications.jinja2"
REPORT_PAGE = "cagou_aids:templates/bulk_report.jinja2"
ERROR_QUERY_PAGE = "cagou_aids:templates/queue_error.jinja2"


def bad_query(request: Request, message: str) -> Response:
    """A 400 that says which parameter of the address could not be read (quoting it: as text, hence not the
    core's error page, whose message is translated, and a translation is trusted markup)."""
    request.tm.doom()
    values = {"message": message, "procedure": request.context.procedure}
    response = render_to_response(ERROR_QUERY_PAGE, values, request)
    response.status_int = 400
    return response


def states_of(context: ProcedureContext) -> dict[str, str]:
    version = context.procedure.workflow_version
    return state_labels(version.parsed if version else None)


def mine(request: Request, filters: ApplicationFilters, params: MultiDict[str, str]) -> ApplicationFilters:
    """``filters`` with the filter "Mes groupes" when ``params`` ask for it (or, by default, for a member of one
    of the procedure's groups of instructors)."""
    if groups_filter(request, request.context.procedure, params) != "miens":
        return filters
    return dataclasses.replace(filters, member=request.identity.id)


def queue_values(
    context: ProcedureContext, request: Request, params: MultiDict[str, str], errors: FormErrors | None = None
) -> dict[str, Any]:
    """What the list page shows for ``params``; :class:`BadQueryError` for a parameter it cannot read."""
    procedure = context.procedure
    definition = procedure.latest.parsed
    states = states_of(context)
    queue = read_queue(request.registry, params, definition, list(states), request.identity.id)
    filters = mine(request, queue.filters, params)
    rows = applications(request.db, procedure, filters, PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    if filters.before is not None:
        rows = rows[-PAGE_SIZE:]
        previous, following = more, True
    else:
        rows = rows[:PAGE_SIZE]
        previous, following = filters.after is not None, more
    registry = request.registry
    kept = view_query(params)
    return {
        "procedure": procedure, "rows": rows, "filters": filters, "params": params, "columns": queue.columns,
        "cell": cell, "specs": filterable(definition), "options": filter_options, "kinds": KIND_OF_TYPE, "sorts": SORTS,
        "following": page_query(params, "apres", cursor_of(rows[-1])) if rows and following else None,
        "previous": page_query(params, "avant", cursor_of(rows[0])) if rows and previous else None,
        "states": states, "local": lambda instant: local(registry, instant), "name_of": applicant_name,
        "counts": state_counts(request.db, procedure),
        "badges": badges_for(request.db, request.identity.id, [row.id for row in rows]),
        "total": filtered_count(request.db, procedure, filters, MAX_BULK + 1),
        "workflow": procedure.workflow_version, "view_query": kept,
        "views": saved_views(request, procedure, request.identity), "actions": offered(request, procedure),
        "askable": askable_fields(definition), "max_bulk": MAX_BULK, "errors": errors or FormErrors(),
        "motivation_input": MOTIVATION_INPUT, "amount_input": AMOUNT_INPUT, "request_input": REQUEST_INPUT,
        "posted": request.POST,
    }  # fmt: skip


@view_config(route_name="aids.applications", request_method="GET", renderer=QUEUE_PAGE, permission=READ)
def applications_page(context: ProcedureContext, request: Request) -> Any:
    try:
        return queue_values(context, request, request.GET)
    except BadQueryError as bad:
        return bad_query(request, str(bad))


def posted_filter(request: Request) -> MultiDict[str, str]:
    """The list's query string the form carried (``filtre``), as the list reads its own."""
    return MultiDict(parse_qsl(request.POST.get("filtre", "")[:4000], keep_blank_values=False))


def queue_again(context: ProcedureContext, request: Request, errors: FormErrors, status: int) -> Any:
    """The list as it was, with the form's messages next to their fields, nothing kept."""
    try:
        values = queue_values(context, request, posted_filter(request), errors)
    except BadQueryError as bad:
        return bad_query(request, str(bad))
    refuse(request, status)
    return render_to_response(QUEUE_PAGE, values, request, response=request.response)


def selection(context: ProcedureContext, request: Request) -> list[int]:
    """The ticked applications, or every result of the filter (one more than the most, to refuse it)."""
    if request.POST.get("tous") == "1":
        states = states_of(context)
        definition = context.procedure.latest.parsed
        params = posted_filter(request)
        queue = read_queue(request.registry, params, definition, list(states), request.identity.id)
        return filtered_ids(request.db, context.procedure, mine(request, queue.filters, params), MAX_BULK + 1)
    return [int(value) for value in request.POST.getall("dossier") if value.isdigit() and len(value) < 12]


@view_config(route_name="aids.bulk", request_method="POST", permission=READ)
def bulk_action(context: ProcedureContext, request: Request) -> Any:
    post = request.POST
    inputs = {"motivation": post.get("motivation", ""), "demande": post.get("demande", ""),
              "montant": post.get("montant", ""), "champs": post.getall("champs")}  # fmt: skip
    try:
        ids = selection(context, request)
        report = request.find_service(IBulkActions).run(context.procedure, post.get("action", ""), ids, inputs)
    except BadQueryError as bad:
        return bad_query(request, str(bad))
    except Invalid as refused:
        return queue_again(context, request, refused.errors, 400)
    except Refused as refused:
        return queue_again(context, request, FormErrors(form=refused.message), refused.status)
    values = {"procedure": context.procedure, "report": report, "back": post.get("filtre", "")}
    return render_to_response(REPORT_PAGE, values, request)


@view_config(route_name="aids.saved_views", request_method="POST", permission=READ)
def save_view(context: ProcedureContext, request: Request) -> Any:
    query = view_query(posted_filter(request))
    try:
        request.find_service(ISavedViews).save(context.procedure, request.identity, request.POST.get("nom", ""),
                                               query)  # fmt: skip
    except Invalid as refused:
        return queue_again(context, request, refused.errors, 400)
    request.session.flash("Vue enregistrée.")
    return HTTPSeeOther(request.route_path("aids.applications", id=context.procedure.id) + (f"?{query}" if query
                                                                                            else ""))  # fmt: skip


@view_config(route_name="aids.saved_view_delete", request_method="POST", permission=READ)
def delete_view(context: ProcedureContext, request: Request) -> Any:
    view = request.db.get(SavedView, int(request.matchdict["view"]))
    if view is None or view.procedure_id != context.procedure.id:
        raise HTTPNotFound("Cette vue n'existe pas.")
    try:
        request.find_service(ISavedViews).delete(view, request.identity)
    except Refused as refused:
        raise HTTPNotFound(refused.message) from None
    request.session.flash("Vue supprimée.")
    return HTTPSeeOther(request.route_path("aids.applications", id=context.procedure.id))
