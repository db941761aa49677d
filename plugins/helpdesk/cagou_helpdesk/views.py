"""The agents' and technicians' pages: opening a ticket, following it, working the queues.

Every change goes through :mod:`cagou_helpdesk.services`. A refused change
re-renders its page with the French message next to the field and a 4xx
status, and dooms the transaction, so that nothing is stored half-way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from webob.multidict import MultiDict

from cagou.kit import (
    INTRANET,
    Account,
    Form,
    FormErrors,
    IAccounts,
    IFileStorage,
    Invalid,
    Refused,
    Root,
    call_enabled,
    flatten,
    submit,
    uploads_of,
)
from cagou_helpdesk import knowledge, permissions, queries, rules
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import (
    IMPACTS,
    NOTE,
    PHONE,
    PRIORITIES,
    REPLY,
    RESOLVED,
    STATUSES,
    URGENCIES,
    WAITING_FOR,
    WEB,
    Attachment,
    Category,
    Group,
    Ticket,
    as_id,
    id_of_reference,
)

TICKET = r"/assistance/tickets/{id:\d+}"
TICKET_TEMPLATE = "cagou_helpdesk:templates/ticket.jinja2"
#: The file field of the ticket forms.
ATTACHMENTS = "attachments"
NEW_TEMPLATE = "cagou_helpdesk:templates/new.jinja2"
QUEUE_TEMPLATE = "cagou_helpdesk:templates/queue.jinja2"
MAX_SELECTION = 200
#: Requests on a page of « Mes demandes »; a link leads to the older ones.
MINE_PAGE = 200


def includeme(config: Configurator) -> None:
    config.add_site_route(INTRANET, "helpdesk.mine", "/assistance/")
    config.add_site_route(INTRANET, "helpdesk.new", "/assistance/nouvelle")
    config.add_site_route(INTRANET, "helpdesk.suggest", "/assistance/suggestions")
    config.add_site_route(INTRANET, "helpdesk.ticket", TICKET, factory=ticket_context)
    config.add_site_route(INTRANET, "helpdesk.reply", TICKET + "/repondre", factory=ticket_context)
    config.add_site_route(INTRANET, "helpdesk.reopen", TICKET + "/rouvrir", factory=ticket_context)
    config.add_site_route(INTRANET, "helpdesk.rate", TICKET + "/noter", factory=ticket_context)
    config.add_site_route(INTRANET, "helpdesk.take", TICKET + "/prendre", factory=ticket_context)
    config.add_site_route(INTRANET, "helpdesk.assign", TICKET + "/attribuer", factory=ticket_context)
    config.add_site_route(INTRANET, "helpdesk.status", TICKET + "/statut", factory=ticket_context)
    config.add_site_route(INTRANET, "helpdesk.priority", TICKET + "/priorite", factory=ticket_context)
    config.add_site_route(INTRANET, "helpdesk.link", TICKET + "/incident", factory=ticket_context)
    config.add_site_route(INTRANET, "helpdesk.attachment", TICKET + r"/pieces/{attachment:\d+}", factory=ticket_context)
    config.add_site_route(INTRANET, "helpdesk.queue", "/assistance/file/")
    config.add_site_route(INTRANET, "helpdesk.take_next", "/assistance/file/suivant")
    config.add_site_route(INTRANET, "helpdesk.bulk", "/assistance/file/lot")
    config.scan("cagou_helpdesk.views")
    config.scan("cagou_helpdesk.ticket_actions")


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


class TicketContext:
    """A ticket as the resource of its pages; those who may not read it get 404, not a hint it exists."""

    def __init__(self, request: Request, ticket: Ticket) -> None:
        self.ticket = ticket
        self.__parent__ = Root(request)
        self.__acl__: list[Any] = []


def ticket_context(request: Request) -> TicketContext | Root:
    if not request.can("helpdesk:ticket:create"):
        return Root(request)  # the permission check refuses, or asks to sign in, before anything is looked up
    ticket_id = as_id(request.matchdict["id"])
    ticket = request.db.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket is None or not permissions.may_read(request, ticket):
        raise HTTPNotFound()
    return TicketContext(request, ticket)


def me(request: Request) -> Account:
    identity: Account = request.identity
    return identity


def refuse(request: Request, status: int) -> None:
    """Answer ``status`` and make sure the transaction stores nothing of the refused change."""
    request.tm.doom()
    request.response.status_int = status


def category_paths(request: Request) -> list[str]:
    query = sa.select(Category.path).where(Category.active.is_(True)).order_by(Category.path)
    return list(request.db.scalars(query))


def is_technician(request: Request) -> bool:
    return bool(request.can("helpdesk:ticket:work"))


# ---------------------------------------------------------------------------
# Agents: my requests, a new request, the live suggestion
# ---------------------------------------------------------------------------


@view_config(
    route_name="helpdesk.mine", renderer="cagou_helpdesk:templates/mine.jinja2", permission="helpdesk:ticket:create"
)
def mine(request: Request) -> dict[str, Any]:
    """The person's requests, the most recent first, :data:`MINE_PAGE` at a time (``?avant=<id>``: older ones)."""
    before_id = as_id(request.params.get("avant", ""))
    tickets = queries.tickets_of(request, me(request), limit=MINE_PAGE + 1, before_id=before_id)
    older = tickets[MINE_PAGE - 1].id if len(tickets) > MINE_PAGE else None
    tickets = tickets[:MINE_PAGE]
    return {
        "open_tickets": [ticket for ticket in tickets if ticket.is_open],
        "other_tickets": [ticket for ticket in tickets if not ticket.is_open],
        "older": older,
        "paged": before_id is not None,
    }


def new_ticket_values(request: Request, errors: FormErrors, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "errors": errors,
        "values": values,
        "categories": category_paths(request),
        "urgencies": URGENCIES,
        "impacts": IMPACTS,
        "for_someone": is_technician(request),
        "max_mb": helpdesk_settings.get(request.registry).max_attachment_bytes // (1024 * 1024),
        "suggestions": queries.search_articles(request, str(values.get("title", ""))) if values else [],
    }


@view_config(
    route_name="helpdesk.new", request_method="GET", renderer=NEW_TEMPLATE, permission="helpdesk:ticket:create"
)
def new_form(request: Request) -> dict[str, Any]:
    return new_ticket_values(request, FormErrors(), {"urgency": "2", "impact": "1"})


@view_config(
    route_name="helpdesk.new", request_method="POST", renderer=NEW_TEMPLATE, permission="helpdesk:ticket:create"
)
def new_submit(request: Request) -> Any:
    post = request.POST
    data = TicketInput(
        title=post.get("title", ""),
        description=post.get("description", ""),
        category=post.get("category", ""),
        urgency=post.get("urgency", ""),
        impact=post.get("impact", ""),
        contact_phone=post.get("contact_phone", ""),
        uploads=uploads_of(request, ATTACHMENTS),
    )
    requester, opened_by, source = me(request), None, WEB
    values = {key: value for key, value in post.items() if isinstance(value, str)}
    if is_technician(request) and post.get("requester", "").strip():
        found = find_agent(request, post["requester"])
        if found is None:
            errors = FormErrors()
            errors.add(
                "requester", f"Aucun agent actif n'a l'identifiant ou l'adresse « {post['requester'].strip()[:100]} »."
            )
            refuse(request, 400)
            return new_ticket_values(request, errors, values)
        requester, opened_by, source = found, me(request), PHONE
    try:
        ticket = request.find_service(ITickets).open(data, requester, opened_by=opened_by, source=source)
    except Invalid as invalid:
        if data.uploads and "attachments" not in invalid.errors:
            invalid.errors.add("attachments", "Joignez à nouveau vos fichiers : le navigateur ne les garde pas.")
        refuse(request, 400)
        return new_ticket_values(request, invalid.errors, values)
    except Refused as refused:
        errors = FormErrors()
        errors.add("form", refused.message)
        refuse(request, refused.status)
        return new_ticket_values(request, errors, values)
    request.session.flash(f"Votre demande est enregistrée sous la référence {ticket.reference}.")
    return HTTPSeeOther(request.route_path("helpdesk.ticket", id=ticket.id))


def find_agent(request: Request, text: str) -> Account | None:
    found: Account | None = request.find_service(IAccounts).find_agent(text)
    return found


@view_config(
    route_name="helpdesk.suggest",
    renderer="cagou_helpdesk:templates/suggestions.jinja2",
    permission="helpdesk:article:read",
)
def suggest(request: Request) -> dict[str, Any]:
    """The articles that may answer the question being typed (htmx, under the title field)."""
    return {"suggestions": queries.search_articles(request, request.params.get("title", "")[:200])}


# ---------------------------------------------------------------------------
# One ticket
# ---------------------------------------------------------------------------


def ticket_values(request: Request, ticket: Ticket, errors: FormErrors | None = None, **extra: Any) -> dict[str, Any]:
    working = permissions.may_work_on(request, ticket)
    messages = [message for message in ticket.messages if working or message.kind == REPLY]
    values: dict[str, Any] = {
        "ticket": ticket,
        "messages": messages,
        "errors": errors or FormErrors(),
        "working": working,
        "is_requester": request.identity is not None and request.identity.id == ticket.requester_id,
        "breaching": queries.is_breaching(request, ticket),
        "reopen_until": rules.reopen_deadline(request, ticket),
        "can_reopen": ticket.status == RESOLVED and rules.can_still_reopen(request, ticket),
        "statuses": STATUSES,
        "transitions": rules.TRANSITIONS[ticket.status],
        "waiting_for": WAITING_FOR,
        "priorities": PRIORITIES,
        "reply_body": "",
        "form": {},
    }
    if working:
        values["equipment"] = flatten(call_enabled(request, "cagou_equipment_held", account=ticket.requester))
        groups = list(request.db.scalars(sa.select(Group).order_by(Group.name)))
        values["groups"] = groups
        # An assignee who has left the ticket's group stays selected, rather than being dropped at the next change.
        members = [member for group in groups if group.id == ticket.group_id for member in group.members]
        values["assignee_is_member"] = any(member.id == ticket.assignee_id for member in members)
        values.update(knowledge.canned_choice_values(request, ticket.id))
        values["reply_body"] = knowledge.canned_answer_text(request, request.params.get(knowledge.CANNED_PARAMETER, ""))
    values.update(extra)
    return values


@view_config(route_name="helpdesk.ticket", renderer=TICKET_TEMPLATE, permission="helpdesk:ticket:create")
def ticket_page(context: TicketContext, request: Request) -> dict[str, Any]:
    return ticket_values(request, context.ticket)


def ticket_by_reference(request: Request, text: str) -> Ticket | None:
    text = text.strip().upper()
    ticket_id = as_id(text) if text.isdigit() else id_of_reference(text)
    return request.db.get(Ticket, ticket_id) if ticket_id is not None else None


@view_config(route_name="helpdesk.attachment", permission="helpdesk:ticket:create")
def attachment(context: TicketContext, request: Request) -> Response:
    attachment_id = as_id(request.matchdict["attachment"])
    found = request.db.get(Attachment, attachment_id) if attachment_id is not None else None
    if found is None or found.ticket_id != context.ticket.id:
        raise HTTPNotFound()
    if (
        found.message is not None
        and found.message.kind == NOTE
        and not permissions.may_work_on(request, context.ticket)
    ):
        raise HTTPNotFound()
    try:
        body = request.find_service(IFileStorage).open(found.file_key).read()
    except KeyError as error:
        raise HTTPNotFound() from error
    response = Response(body=body, content_type=found.content_type)
    response.content_disposition = f"attachment; filename*=UTF-8''{quote_filename(found.filename)}"
    return response


def quote_filename(name: str) -> str:
    return quote(name, safe="")


# ---------------------------------------------------------------------------
# Technicians: the queues
# ---------------------------------------------------------------------------


def queue_values(request: Request, errors: FormErrors | None = None) -> dict[str, Any]:
    filters = queries.QueueFilter.from_params(request.params)
    groups = permissions.groups_of(request, me(request))
    views = queries.VIEWS
    if not groups:
        # "Mon groupe" is for the members of a group; the others (an administrator) start on the unassigned tickets.
        views = {key: title for key, title in queries.VIEWS.items() if key != "group"}
        filters.view = "unassigned" if filters.view == "group" else filters.view
    page = queries.queue(request, me(request), filters)
    all_groups = list(request.db.scalars(sa.select(Group).order_by(Group.name)))
    return {
        "filters": filters,
        "page": page,
        "views": views,
        "sorts": queries.SORTS,
        "statuses": STATUSES,
        "priorities": PRIORITIES,
        "groups": groups,
        "all_groups": all_groups,
        # An administrator sees every queue; a technician, their own groups'.
        "filter_groups": all_groups if permissions.is_admin(request) else groups,
        "breaching": {ticket.id: queries.is_breaching(request, ticket) for ticket in page.tickets},
        "errors": errors or FormErrors(),
        "now": rules.now(request),
    }


@view_config(route_name="helpdesk.queue", renderer=QUEUE_TEMPLATE, permission="helpdesk:ticket:work")
def queue(request: Request) -> dict[str, Any]:
    return queue_values(request)


@view_config(
    route_name="helpdesk.take_next", request_method="POST", renderer=QUEUE_TEMPLATE, permission="helpdesk:ticket:work"
)
def take_next(request: Request) -> Any:
    """The queue's button: the most urgent ticket of one's groups, or a word that there is none."""
    return submit(
        request,
        Form(request.POST),
        lambda form: request.find_service(ITickets).take_next(me(request)),
        message=lambda ticket: (
            f"Vous avez pris le ticket {ticket.reference}."
            if ticket is not None
            else "Aucun ticket non attribué dans vos files : bravo !"
        ),
        redirect_to=lambda ticket: (
            request.route_path("helpdesk.ticket", id=ticket.id)
            if ticket is not None
            else request.route_path("helpdesk.queue")
        ),
        render=lambda form: queue_values(request, form.field_errors()),
    )


BULK_ACTIONS = {"take": "Me les attribuer", "assign": "Attribuer", "status": "Changer le statut", "link": "Rattacher"}


@view_config(route_name="helpdesk.bulk", request_method="POST", permission="helpdesk:ticket:work")
def bulk(request: Request) -> Any:
    """One action on a selection, all or nothing: one refusal and no ticket changes."""
    post = request.POST
    ids = [int(value) for value in post.getall("ticket") if value.isdigit()][:MAX_SELECTION]
    errors = FormErrors()
    try:
        if not ids:
            raise Refused("Cochez au moins un ticket.", 400)
        tickets = list(request.db.scalars(sa.select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)))
        apply_bulk(request, post, tickets)
    except Refused as refused:
        errors.add("bulk", refused.message)
        refuse(request, refused.status)
        return render_to_response(
            QUEUE_TEMPLATE, queue_values(request, errors), request=request, response=request.response
        )
    request.session.flash(f"{len(tickets)} ticket(s) modifié(s).")
    return HTTPSeeOther(
        request.route_path("helpdesk.queue", _query=queries.QueueFilter.from_params(post).params(after=""))
    )


def apply_bulk(request: Request, post: MultiDict[str, Any], tickets: list[Ticket]) -> None:
    action = post.get("action", "")
    technician = me(request)
    if action == "take":
        for ticket in tickets:
            request.find_service(ITickets).assign(ticket, ticket.group, technician, technician)
    elif action == "assign":
        group_id = post.get("group", "")
        group = request.db.get(Group, int(group_id)) if group_id.isdigit() else None
        if group is None:
            raise Refused("Choisissez le groupe à qui attribuer la sélection.", 400)
        for ticket in tickets:
            request.find_service(ITickets).assign(ticket, group, None, technician)
    elif action == "status":
        for ticket in tickets:
            request.find_service(ITickets).change_status(
                ticket, post.get("status", ""), post.get("waiting_for") or None, technician
            )
    elif action == "link":
        parent = ticket_by_reference(request, post.get("parent", ""))
        if parent is None or not permissions.may_work_on(request, parent):
            raise Refused("Donnez la référence de l'incident principal (HD-000123).", 400)
        for ticket in tickets:
            if ticket.id != parent.id:
                request.find_service(ITickets).link_to_incident(ticket, parent, technician)
    else:
        raise Refused("Choisissez une action de la liste.", 400)
