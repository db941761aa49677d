"""The helpdesk's background work: a new ticket's acknowledgement, breach notices and automatic closing."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from pyramid.registry import Registry

from cagou.kit import IMailer, deliver_mail, transaction_scope
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.mails import ticket_url
from cagou_helpdesk.models import CLOSED, OPEN_STATUSES, RESOLVED, Ticket
from cagou_helpdesk.rules import now

#: A ticket still without its acknowledgement this long after its opening lost its job: the worker
#: runs a job within seconds, and a failing one is retried a minute later.
ACKNOWLEDGE_GRACE = datetime.timedelta(minutes=3)
#: At most this many tickets per sweep, so that one run of the sweep stays short.
SWEEP_BATCH = 200


def acknowledge(registry: Registry, ticket_id: int) -> None:
    """Queued by the request that opened the ticket, in its transaction: the acknowledgement, written and sent.

    Composed and recorded (``Ticket.acknowledged_at``) in one transaction,
    once whatever the number of runs (``ITickets.acknowledge``). Sent at once
    after the commit, so that it leaves before the mails queued meanwhile (the
    ticket resolved before the worker ran); the delivery job queued with the
    mail then finds it sent, and a delivery that fails here is retried by the
    outbox as any mail.
    """
    with transaction_scope(registry) as request:
        ticket = request.db.get(Ticket, ticket_id)
        if ticket is None:  # the ticket's row commits with its job: only a purge removes it before
            return
        mail_id = request.find_service(ITickets).acknowledge(ticket)
    if mail_id is not None:
        deliver_mail(registry, mail_id)


def sweep_acknowledgements(registry: Registry) -> None:
    """The scheduled job ``helpdesk.acknowledge.sweep``, every minute."""
    acknowledge_forgotten(registry)


def acknowledge_forgotten(registry: Registry, grace: datetime.timedelta = ACKNOWLEDGE_GRACE) -> int:
    """Acknowledge the tickets whose job was lost; return how many were found.

    Huey takes a job off its queue before running it, and writes its retry in
    the same database: a worker killed while holding it, or a database outage
    while it runs, loses it. A ticket opened more than ``grace`` ago and not
    yet acknowledged is one of those.
    """
    with transaction_scope(registry) as request:
        limit = now(request) - grace
        query = (
            sa.select(Ticket.id)
            .where(Ticket.acknowledged_at.is_(None), Ticket.created_at <= limit)
            .order_by(Ticket.created_at)
            .limit(SWEEP_BATCH)
        )
        forgotten = list(request.db.scalars(query))
    for ticket_id in forgotten:
        acknowledge(registry, ticket_id)
    return len(forgotten)


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
