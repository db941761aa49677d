"""The helpdesk's background work: a new ticket's acknowledgement, breach notices and automatic closing."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from pyramid.registry import Registry

from cagou.kit import IMailer, transaction_scope
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.mails import ticket_url
from cagou_helpdesk.models import CLOSED, OPEN_STATUSES, RESOLVED, Ticket
from cagou_helpdesk.rules import now


def breached_condition(instant: datetime.datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        Ticket.status.in_(OPEN_STATUSES),
        Ticket.paused_since.is_(None),
        Ticket.breach_notified_at.is_(None),
        sa.or_(
            sa.and_(Ticket.first_response_at.is_(None), Ticket.first_response_due < instant),
            Ticket.resolution_due < instant,
        ),
    )


def notify_breaches(registry: Registry) -> None:
    """Tell each group's manager, once per ticket, that a ticket is past its service level."""
    with transaction_scope(registry) as request:
        instant = now(request)
        query = (
            sa.select(Ticket).where(breached_condition(instant)).order_by(Ticket.id).with_for_update(skip_locked=True)
        )
        tickets = request.find_service(ITickets)
        for ticket in request.db.scalars(query):
            which = (
                "première réponse"
                if ticket.first_response_at is None
                and ticket.first_response_due
                and ticket.first_response_due < instant
                else "résolution"
            )
            tickets.mark_breached(ticket, which)
            manager = ticket.group.manager
            if manager is not None and manager.email and manager.active:
                body = (
                    f"Bonjour,\n\nLe ticket {ticket.reference} « {ticket.title} » du groupe « {ticket.group.name} » "
                    f"a dépassé son délai de {which} ({ticket.priority_label}).\n"
                    f"Attribué à : {ticket.assignee.display_name if ticket.assignee else 'personne'}.\n\n"
                    f"{ticket_url(request, ticket)}\n"
                )
                request.find_service(IMailer).send(
                    manager.email, f"[{ticket.reference}] Hors délai : {ticket.title}", body
                )


def close_resolved(registry: Registry) -> None:
    """Close the tickets resolved longer ago than the reopening delay."""
    with transaction_scope(registry) as request:
        days = helpdesk_settings.get(registry).reopen_days
        limit = now(request) - datetime.timedelta(days=days)
        query = sa.select(Ticket).where(Ticket.status == RESOLVED, Ticket.resolved_at < limit).order_by(Ticket.id)
        tickets = request.find_service(ITickets)
        for ticket in request.db.scalars(query.with_for_update(skip_locked=True)):
            tickets.set_status(ticket, CLOSED)
