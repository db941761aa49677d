"""The ticket page's buttons: each POST through the kit's ``submit``, with a form class per button.

The forms declare fields and no validators: the ticket service checks what
they carry (``Invalid``, ``Refused``) and ``submit`` renders the ticket page
again with the message next to the button that was pressed, with the
refusal's status and nothing of the request kept. Pyramid checks the CSRF
token of every POST before any view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from cagou.kit import Form, IAccounts, Refused, TextField, submit, uploads_of
from cagou_helpdesk import permissions
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import NOTE, REPLY, Group, Ticket
from cagou_helpdesk.views import ATTACHMENTS, TICKET_TEMPLATE, TicketContext, me, ticket_by_reference, ticket_values


class ReplyForm(Form):
    body = TextField()
    kind = TextField()


class RatingForm(Form):
    rating = TextField()
    comment = TextField()


class AssignForm(Form):
    group = TextField()
    assignee = TextField()


class StatusForm(Form):
    status = TextField()
    waiting_for = TextField()


class PriorityForm(Form):
    priority = TextField()
    reason = TextField()


class LinkForm(Form):
    parent = TextField()


def ticket_button(
    request: Request,
    ticket: Ticket,
    posted: Form,
    save: Callable[[Any], Any],
    message: str | Callable[[Any], str],
    field: str,
    anchor: str = "",
    **extra: Callable[[Any], Any],
) -> Any:
    """A form of the ticket page through the kit's :func:`submit`: a refusal is shown next to its button (``field``).

    ``extra`` gives, from the refused form, what the page shows again (what
    was typed); the page is the ticket's, answered with the refusal's status.
    """

    def render(refused: Form) -> dict[str, Any]:
        errors = refused.field_errors()
        if "form" in errors:  # the action's refusal, next to the button that asked for it
            errors.add(field, errors.pop("form"))
        return ticket_values(request, ticket, errors, **{name: value(refused) for name, value in extra.items()})

    return submit(
        request,
        posted,
        save,
        message=message,
        redirect_to=request.route_path("helpdesk.ticket", id=ticket.id, _anchor=anchor),
        render=render,
    )


@view_config(
    route_name="helpdesk.reply", request_method="POST", renderer=TICKET_TEMPLATE, permission="helpdesk:ticket:create"
)
def reply(context: TicketContext, request: Request) -> Any:
    ticket = context.ticket
    kind = NOTE if request.POST.get("kind") == NOTE else REPLY
    return ticket_button(
        request,
        ticket,
        ReplyForm(request.POST),
        lambda form: request.find_service(ITickets).add_message(
            ticket, me(request), form.body.data, kind, uploads_of(request, ATTACHMENTS)
        ),
        "Note interne ajoutée." if kind == NOTE else "Réponse envoyée.",
        "body",
        "fil",
        reply_body=lambda form: form.body.data,
    )


@view_config(
    route_name="helpdesk.reopen", request_method="POST", renderer=TICKET_TEMPLATE, permission="helpdesk:ticket:create"
)
def reopen(context: TicketContext, request: Request) -> Any:
    ticket = context.ticket
    if request.identity.id != ticket.requester_id and not permissions.may_work_on(request, ticket):
        raise HTTPNotFound()
    return ticket_button(
        request,
        ticket,
        Form(request.POST),
        lambda form: request.find_service(ITickets).reopen(ticket, me(request)),
        f"Le ticket {ticket.reference} est rouvert.",
        "reopen",
    )


@view_config(
    route_name="helpdesk.rate", request_method="POST", renderer=TICKET_TEMPLATE, permission="helpdesk:ticket:create"
)
def rate(context: TicketContext, request: Request) -> Any:
    ticket = context.ticket
    if request.identity.id != ticket.requester_id:
        raise HTTPNotFound()
    return ticket_button(
        request,
        ticket,
        RatingForm(request.POST),
        lambda form: request.find_service(ITickets).rate(ticket, form.rating.data, form.comment.data),
        "Merci pour votre avis.",
        "rating",
    )


@view_config(
    route_name="helpdesk.take", request_method="POST", renderer=TICKET_TEMPLATE, permission="helpdesk:ticket:work"
)
def take(context: TicketContext, request: Request) -> Any:
    ticket = context.ticket
    return ticket_button(
        request,
        ticket,
        Form(request.POST),
        lambda form: request.find_service(ITickets).take(ticket, me(request)),
        f"Vous avez pris le ticket {ticket.reference}.",
        "take",
    )


def assign_ticket(request: Request, ticket: Ticket, form: AssignForm) -> None:
    """The group and the person the form names, found before the service checks the assignment itself."""
    group_id, login = form.group.data, form.assignee.data.strip()
    group = request.db.get(Group, int(group_id)) if group_id.isdigit() else None
    if group is None:
        raise Refused("Choisissez un groupe de la liste.", 400)
    assignee = request.find_service(IAccounts).by_login(login) if login else None
    if login and assignee is None:
        raise Refused(f"Aucun compte n'a l'identifiant « {login[:100]} ».", 400)
    request.find_service(ITickets).assign(ticket, group, assignee, me(request))


@view_config(
    route_name="helpdesk.assign", request_method="POST", renderer=TICKET_TEMPLATE, permission="helpdesk:ticket:work"
)
def assign(context: TicketContext, request: Request) -> Any:
    ticket = context.ticket
    return ticket_button(
        request,
        ticket,
        AssignForm(request.POST),
        lambda form: assign_ticket(request, ticket, form),
        f"Ticket {ticket.reference} attribué.",
        "assign",
    )


@view_config(
    route_name="helpdesk.status", request_method="POST", renderer=TICKET_TEMPLATE, permission="helpdesk:ticket:work"
)
def status(context: TicketContext, request: Request) -> Any:
    ticket = context.ticket
    return ticket_button(
        request,
        ticket,
        StatusForm(request.POST),
        lambda form: request.find_service(ITickets).change_status(
            ticket, form.status.data, form.waiting_for.data or None, me(request)
        ),
        lambda _: f"Ticket {ticket.reference} : {ticket.status_label.lower()}.",
        "status",
    )


@view_config(
    route_name="helpdesk.priority", request_method="POST", renderer=TICKET_TEMPLATE, permission="helpdesk:ticket:work"
)
def priority(context: TicketContext, request: Request) -> Any:
    ticket = context.ticket
    return ticket_button(
        request,
        ticket,
        PriorityForm(request.POST),
        lambda form: request.find_service(ITickets).override_priority(
            ticket, form.priority.data, form.reason.data, me(request)
        ),
        lambda _: f"Priorité du ticket {ticket.reference} : {ticket.priority_label}.",
        "priority",
        form=lambda form: form.data,
    )


def incident_of(request: Request, reference: str) -> Ticket:
    """The ticket a reference names, if the person may read it: a duplicate is linked to it."""
    parent = ticket_by_reference(request, reference)
    if parent is None or not permissions.may_read(request, parent):
        raise Refused(f"Aucun ticket « {reference.strip()[:40]} » : donnez une référence comme HD-000123.", 400)
    return parent


def link_ticket(request: Request, ticket: Ticket, reference: str) -> Ticket:
    parent = incident_of(request, reference)
    request.find_service(ITickets).link_to_incident(ticket, parent, me(request))
    return parent


@view_config(
    route_name="helpdesk.link", request_method="POST", renderer=TICKET_TEMPLATE, permission="helpdesk:ticket:work"
)
def link(context: TicketContext, request: Request) -> Any:
    ticket = context.ticket
    return ticket_button(
        request,
        ticket,
        LinkForm(request.POST),
        lambda form: link_ticket(request, ticket, form.parent.data),
        lambda parent: f"Ticket {ticket.reference} rattaché à l'incident {parent.reference}.",
        "parent",
        form=lambda form: {"parent": form.parent.data},
    )
