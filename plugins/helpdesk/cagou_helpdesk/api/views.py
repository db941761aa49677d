"""The API's views: listing, opening, reading, updating, replying, rating."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from cagou.kit import (
    ApiError,
    FormErrors,
    IAccounts,
    IFileStorage,
    Invalid,
    Refused,
    invalid,
    json_object,
    refusals,
)
from cagou_helpdesk import checks, permissions, queries
from cagou_helpdesk.api.answers import message_json, shows, ticket_json, worked_groups
from cagou_helpdesk.api.common import (
    ATTACHMENT_ROUTE,
    CREATE,
    CREATE_FIELDS,
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    MESSAGE_FIELDS,
    MESSAGES,
    PATCH_FIELDS,
    RATING,
    RATING_FIELDS,
    RATINGS,
    REQUESTED,
    TICKET,
    TICKETS,
    VIEWS,
    WORK,
)
from cagou_helpdesk.api.reading import (
    Body,
    body_and_files,
    load,
    me,
    readable,
    small_integer,
    ticket_id_of,
)
from cagou_helpdesk.api.schemas import not_found
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import (
    API,
    IMPACTS,
    NOTE,
    PRIORITIES,
    REFERENCE,
    REPLY,
    STATUSES,
    URGENCIES,
    WAITING,
    Attachment,
    Group,
    Ticket,
)


def given_parameters(request: Request) -> dict[str, str]:
    """The query string's parameters, those sent empty (``?sort=``) left out: an empty value is no value."""
    return {name: value for name, value in request.GET.items() if value != ""}


def list_filter(request: Request, technician: bool) -> tuple[queries.QueueFilter, int]:
    """The filter the query string asks for, checked: a wrong value is a 400, not a silent default."""
    params = given_parameters(request)
    errors = FormErrors()
    view = params.get("view", "group" if technician else REQUESTED)
    if view not in VIEWS:
        errors.add("view", f"Vue inconnue : « {view[:40]} ». Vues : {', '.join(VIEWS)}.")
    elif view != REQUESTED and not technician:
        raise ApiError(403, f"La vue « {view} » est celle des techniciens : il faut la permission {WORK}.")
    sort = params.get("sort", "recent" if view == REQUESTED else "priority")
    if view == REQUESTED and sort != "recent":
        errors.add("sort", "Vos demandes sont toujours triées des plus récentes aux plus anciennes (sort=recent).")
    elif sort not in queries.SORTS:
        errors.add("sort", f"Tri inconnu : « {sort[:40]} ». Tris : {', '.join(queries.SORTS)}.")
    status = params.get("status", "")
    if status and status not in STATUSES:
        errors.add("status", f"Statut inconnu : « {status[:40]} ». Statuts : {', '.join(STATUSES)}.")
    priority = params.get("priority", "")
    if priority and priority not in {str(value) for value in PRIORITIES}:
        errors.add("priority", f"Priorité inconnue : « {priority[:40]} ». Priorités : 1 à {max(PRIORITIES)}.")
    text = " ".join(params.get("q", "").split())
    reference = REFERENCE.search(text.upper())
    if len(text) > MAX_QUERY_LENGTH:
        errors.add("q", f"La recherche est trop longue ({MAX_QUERY_LENGTH} caractères au plus).")
    elif reference is not None and small_integer(reference.group(1)) is None:
        errors.add("q", f"Aucun ticket n'a la référence « {reference.group(0)[:40]} ».")
    category = params.get("category", "").strip()
    if len(category) > MAX_QUERY_LENGTH:
        errors.add("category", f"La catégorie est trop longue ({MAX_QUERY_LENGTH} caractères au plus).")
    limit_text = params.get("limit", str(DEFAULT_LIMIT))
    limit = int(limit_text) if limit_text.isdigit() and len(limit_text) <= 4 else 0
    if not 1 <= limit <= MAX_LIMIT:
        errors.add("limit", f"« limit » est un nombre de 1 à {MAX_LIMIT}.")
    after = params.get("after", "")
    if after and not errors and not valid_cursor(after, sort):
        errors.add("after", "Curseur invalide : reprenez la valeur « next » de la page précédente, sans la modifier.")
    if errors:
        raise invalid(errors)
    found = queries.QueueFilter(
        view=view, sort=sort, status=status, priority=priority, category=category, text=text, after=after
    )
    return found, limit


def valid_cursor(after: str, sort: str) -> bool:
    """A cursor this API gave for this sort: well formed, and values the database can compare."""
    cursor = queries.decode_cursor(after, sort)
    if cursor is None:
        return False
    value, ticket_id = cursor
    if not 0 < ticket_id <= MAX_ID:
        return False
    key, _descending = queries.SORT_KEYS[sort]
    if key == "priority":
        return isinstance(value, int) and not isinstance(value, bool) and value in PRIORITIES
    if key == "resolution_due":
        return isinstance(value, datetime.datetime) and value.tzinfo is not None
    return True


def requested_page(request: Request, filters: queries.QueueFilter, limit: int) -> queries.QueuePage:
    """The person's own tickets, the most recent first, a page at a time (the cursor holds the last id)."""
    cursor = queries.decode_cursor(filters.after, "recent") if filters.after else None
    tickets = queries.tickets_of(
        request,
        me(request),
        limit=limit + 1,
        before_id=cursor[1] if cursor is not None else None,
        filters=filters,
        detailed=True,
    )
    if len(tickets) <= limit:
        return queries.QueuePage(tickets, None)
    tickets = tickets[:limit]
    return queries.QueuePage(tickets, queries.encode_cursor(tickets[-1].id, tickets[-1].id))


@view_config(route_name=TICKETS, request_method="GET", renderer="json", permission=CREATE)
def list_tickets(request: Request) -> dict[str, Any]:
    technician = bool(request.can(WORK))
    filters, limit = list_filter(request, technician)
    if filters.view == REQUESTED:
        page = requested_page(request, filters, limit)
    else:
        page = queries.queue(request, me(request), filters, page_size=limit)
    groups = worked_groups(request)
    return {
        "items": [ticket_json(request, ticket, groups is None or ticket.group_id in groups) for ticket in page.tickets],
        "next": page.next_cursor,
    }


@view_config(route_name=TICKETS, request_method="POST", renderer="json", permission=CREATE)
def create_ticket(request: Request) -> dict[str, Any]:
    body, uploads = body_and_files(request, CREATE_FIELDS)
    data = checks.TicketInput(
        title=body.text("title") or "",
        description=body.text("description") or "",
        category=body.reference("category"),
        urgency=str(body.integer("urgency", URGENCIES, default=2)),
        impact=str(body.integer("impact", IMPACTS, default=1)),
        contact_phone=body.text("contact_phone") or "",
        uploads=uploads,
    )
    requester_login = (body.text("requester") or "").strip()
    body.check()
    requester, opened_by = me(request), None
    if requester_login and requester_login != requester.login:
        if not request.can(WORK):
            raise ApiError(
                403,
                f"Seul un technicien ouvre un ticket pour quelqu'un d'autre (permission {WORK}) : ôtez « requester ».",
            )
        found = request.find_service(IAccounts).by_login(requester_login)
        if found is None:
            raise invalid({"requester": f"Aucun compte n'a l'identifiant « {requester_login[:120]} »."})
        requester, opened_by = found, me(request)
    with refusals():
        ticket = request.find_service(ITickets).open(data, requester, opened_by=opened_by, source=API)
    request.response.status_int = 201
    request.response.location = request.route_url(TICKET, id=ticket.id)
    return ticket_json(request, ticket, permissions.may_work_on(request, ticket), detail=True)


@view_config(route_name=TICKET, request_method="GET", renderer="json", permission=CREATE)
def read_ticket(request: Request) -> dict[str, Any]:
    ticket, works_on = readable(request, ticket_id_of(request))
    return ticket_json(request, ticket, works_on, detail=True)


@view_config(route_name=TICKET, request_method="PATCH", renderer="json", permission=WORK)
def update_ticket(request: Request) -> dict[str, Any]:
    ticket = load(request, ticket_id_of(request))
    with refusals():
        permissions.check_may_work_on(request, ticket)
    body = Body(json_object(request), PATCH_FIELDS)
    if not body.data:
        raise ApiError(400, f"Rien à modifier : envoyez au moins un de ces champs : {', '.join(PATCH_FIELDS)}.")
    status = body.text("status") if "status" in body else None
    waiting_for = body.text("waiting_for") if "waiting_for" in body else None
    priority = body.integer("priority", PRIORITIES)
    reason = body.text("reason") or ""
    group_code = (body.text("group") or "").strip()
    assignee_login = body.text("assignee", null=True)
    parent_text = body.reference("parent").strip()
    if waiting_for is not None and status != WAITING:
        body.errors.add("waiting_for", "« waiting_for » accompagne le statut « waiting » : qui le ticket attend.")
    if "reason" in body and priority is None:
        body.errors.add("reason", "La raison accompagne un changement de priorité (« priority »).")
    if "group" in body and not group_code:
        body.errors.add("group", "« group » est le code d'un groupe de techniciens (BAU).")
    body.check()
    errors = FormErrors()
    group = ticket.group
    if group_code:
        found_group = request.db.scalars(sa.select(Group).where(Group.code == group_code)).first()
        if found_group is None:
            errors.add("group", f"Aucun groupe de techniciens n'a le code « {group_code[:32]} ».")
        else:
            group = found_group
    assignee = None
    if assignee_login:
        assignee = request.find_service(IAccounts).by_login(assignee_login.strip())
        if assignee is None:
            errors.add("assignee", f"Aucun compte n'a l'identifiant « {assignee_login.strip()[:120]} ».")
    parent = None
    if parent_text:
        found_reference = REFERENCE.fullmatch(parent_text.upper())
        parent_id = small_integer(found_reference.group(1) if found_reference else parent_text)
        parent = request.db.get(Ticket, parent_id) if parent_id is not None else None
        if parent is None:
            errors.add("parent", f"Aucun ticket « {parent_text[:40]} » : donnez une référence HD-000123.")
    if errors:
        raise invalid(errors)
    actor = me(request)
    with refusals():
        if status is not None:
            request.find_service(ITickets).change_status(ticket, status, waiting_for, actor)
        if priority is not None:
            request.find_service(ITickets).override_priority(ticket, str(priority), reason, actor)
        if parent is not None:
            request.find_service(ITickets).link_to_incident(ticket, parent, actor)
        if group_code or "assignee" in body:
            if "assignee" not in body:  # the assignee stays if the ticket stays in their group
                assignee = ticket.assignee if group.id == ticket.group_id else None
            request.find_service(ITickets).assign(ticket, group, assignee, actor)
    request.db.flush()
    return ticket_json(request, ticket, permissions.may_work_on(request, ticket), detail=True)


@view_config(route_name=MESSAGES, request_method="POST", renderer="json", permission=CREATE)
def add_message(request: Request) -> dict[str, Any]:
    ticket = load(request, ticket_id_of(request))
    if not permissions.may_read(request, ticket) and not request.can(WORK):
        raise not_found(ticket.id)
    body, uploads = body_and_files(request, MESSAGE_FIELDS)
    text = body.text("body") or ""
    kind = body.text("kind", default=REPLY) or REPLY
    if kind not in (REPLY, NOTE):
        body.errors.add("kind", f"« kind » vaut « {REPLY} » (réponse publique) ou « {NOTE} » (note interne).")
    body.check()
    with refusals():  # the files are checked there, by size and by content, as the web form's are
        message = request.find_service(ITickets).add_message(
            ticket, me(request), text, kind=kind, uploads=uploads, source=API
        )
    request.db.flush()  # the attachments' ids, for their addresses
    request.response.status_int = 201
    request.response.location = request.route_url(TICKET, id=ticket.id)
    return message_json(request, message)


@view_config(route_name=ATTACHMENT_ROUTE, request_method="GET", permission=CREATE)
def download_attachment(request: Request) -> Response:
    """The file as it was sent; the ticket's readers only, and those of internal notes its technicians only."""
    ticket, works_on = readable(request, ticket_id_of(request))
    text: str = request.matchdict["attachment"]
    attachment_id = small_integer(text)
    found = request.db.get(Attachment, attachment_id) if attachment_id is not None else None
    if found is None or found.ticket_id != ticket.id or not shows(found, works_on):
        raise ApiError(404, f"Pas de pièce jointe « {text[:20]} » parmi celles du ticket {ticket.reference}.")
    try:
        data = request.find_service(IFileStorage).open(found.file_key).read()
    except KeyError as error:
        raise ApiError(404, f"Le fichier « {found.filename} » n'est plus dans le stockage des fichiers.") from error
    response = Response(body=data, content_type=found.content_type)
    response.content_disposition = f"attachment; filename*=UTF-8''{quote(found.filename, safe='')}"
    return response


@view_config(route_name=RATING, request_method="PUT", renderer="json", permission=CREATE)
def rate_ticket(request: Request) -> dict[str, Any]:
    """The requester's rating of the answer, as on the ticket page; a new rating replaces the previous one."""
    ticket, works_on = readable(request, ticket_id_of(request))
    if ticket.requester_id != me(request).id:
        raise ApiError(403, f"Seul le demandeur, {ticket.requester.display_name}, note la réponse à son ticket.")
    body = Body(json_object(request), RATING_FIELDS)
    if body.data.get("rating") is None:
        body.errors.add("rating", "« rating » est obligatoire : une note de 1 (mauvaise) à 5 (excellente).")
    rating = body.integer("rating", RATINGS)
    comment = body.text("comment") or ""
    body.check()
    try:
        request.find_service(ITickets).rate(ticket, str(rating), comment)
    except Invalid as error:
        raise invalid(error.errors) from error
    except Refused as error:  # not resolved yet: the refusal is about the rating
        raise ApiError(error.status, error.message, {"rating": error.message}) from error
    return ticket_json(request, ticket, works_on, detail=True)
