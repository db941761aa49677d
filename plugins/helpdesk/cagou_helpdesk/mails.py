"""The mails the helpdesk writes to a ticket's requester: their text, and the link back to the ticket."""

from __future__ import annotations

from pyramid.request import Request

from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.models import Message, Ticket


def ticket_url(request: Request, ticket: Ticket) -> str:
    url: str = request.route_url("helpdesk.ticket", id=ticket.id)
    return url


def acknowledgement(request: Request, ticket: Ticket, group_name: str) -> str:
    return (
        f"Bonjour,\n\nVotre demande d'intervention est enregistrée sous la référence {ticket.reference}.\n"
        f"Elle est dans la file du groupe « {group_name} » avec la priorité {ticket.priority_label}.\n\n"
        f"Pour la suivre : {ticket_url(request, ticket)}\n"
        "Vous pouvez aussi répondre à ce courriel : votre réponse sera ajoutée au ticket.\n"
    )


def reply_mail(request: Request, ticket: Ticket, message: Message) -> str:
    return (
        f"Bonjour,\n\n{message.author.display_name} a répondu à votre demande {ticket.reference} :\n\n"
        f"{message.body}\n\n"
        f"Pour répondre, répondez simplement à ce courriel ou ouvrez : {ticket_url(request, ticket)}\n"
    )


def resolved_mail(request: Request, ticket: Ticket) -> str:
    days = helpdesk_settings.get(request.registry).reopen_days
    return (
        f"Bonjour,\n\nVotre demande {ticket.reference} « {ticket.title} » est résolue.\n\n"
        f"Dites-nous ce que vous pensez de la réponse (de 1 à 5) : {ticket_url(request, ticket)}\n"
        f"Si le problème persiste, rouvrez-la dans les {days} jours, "
        "depuis la même page ou en répondant à ce courriel.\n"
    )
