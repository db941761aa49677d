"""The helpdesk's rules read from its configuration: the time, priorities, queues, due dates, reopening.

Nothing here writes to the database: the services (:mod:`cagou_helpdesk.services`)
apply these rules when they change a ticket, and the views and the demonstration
data ask the same questions, so that a rule lives in one place.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from pyramid.request import Request

from cagou.kit import IClock, Refused
from cagou_helpdesk import reference
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.models import (
    ASSIGNED,
    CLOSED,
    IN_PROGRESS,
    NEW,
    RESOLVED,
    WAITING,
    Category,
    Group,
    Ticket,
)
from cagou_helpdesk.reference import DEFAULT_MATRIX as DEFAULT_MATRIX  # the defaults, read here by many
from cagou_helpdesk.reference import DEFAULT_SERVICE_LEVELS as DEFAULT_SERVICE_LEVELS

MODULE = "helpdesk"
#: The worker's job that writes a new ticket's acknowledgement (cagou_helpdesk.jobs.acknowledge).
ACKNOWLEDGE_JOB = "helpdesk.acknowledge"
NO_GROUP = "Aucun groupe de techniciens n'est configuré : prévenez l'administrateur de l'assistance."

#: What a technician may move a ticket to, from each status.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (IN_PROGRESS, WAITING, RESOLVED),
    ASSIGNED: (IN_PROGRESS, WAITING, RESOLVED),
    IN_PROGRESS: (WAITING, RESOLVED),
    WAITING: (IN_PROGRESS, RESOLVED),
    RESOLVED: (IN_PROGRESS, CLOSED),
    CLOSED: (),
}


def now(request: Request) -> datetime.datetime:
    instant: datetime.datetime = request.find_service(IClock).now()
    return instant


def priority_matrix(request: Request) -> dict[tuple[int, int], int]:
    return dict(reference.current(request).matrix)


def service_levels(request: Request) -> dict[int, tuple[int, int]]:
    return dict(reference.current(request).levels)


def find_category(request: Request, text: str) -> Category | None:
    """The active category a form names by id or by its full path."""
    text = text.strip()
    query = sa.select(Category).where(Category.active.is_(True))
    if text.isdigit():
        query = query.where(Category.id == int(text))
    else:
        query = query.where(sa.func.lower(Category.path) == text.lower())
    found: Category | None = request.db.scalars(query).first()
    return found


def group_for(request: Request, category: Category | None) -> Group:
    """The queue a new ticket lands in: its category's group (or its parent's), else the default group."""
    known = reference.current(request)
    group_id = known.categories[category.id].group_id if category is not None else known.default_group_id
    group: Group | None = request.db.get(Group, group_id) if group_id is not None else None
    if group is None:
        raise Refused(NO_GROUP, 503)
    return group


# Due dates: the services set them on the ticket they change; the demonstration data computes the same.


def set_service_levels(request: Request, ticket: Ticket, start: datetime.datetime) -> None:
    ticket.first_response_due, ticket.resolution_due = service_level_dates(request, ticket.priority, start)


def service_level_dates(
    request: Request, priority: int, start: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """When a ticket of ``priority`` opened at ``start`` must be answered, and resolved."""
    first_response, resolution = reference.current(request).levels[priority]
    calendar = helpdesk_settings.get(request.registry).calendar
    return (
        calendar.add(start, datetime.timedelta(minutes=first_response)),
        calendar.add(start, datetime.timedelta(minutes=resolution)),
    )


def shift_due_dates(request: Request, ticket: Ticket, instant: datetime.datetime) -> None:
    """The time spent waiting does not count: push the due dates back by the business time it lasted."""
    if ticket.paused_since is None:
        return
    calendar = helpdesk_settings.get(request.registry).calendar
    paused = calendar.between(ticket.paused_since, instant)
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        ticket.first_response_due = calendar.add(ticket.first_response_due, paused)
    if ticket.resolution_due is not None:
        ticket.resolution_due = calendar.add(ticket.resolution_due, paused)
    ticket.paused_since = None


def reopen_deadline(request: Request, ticket: Ticket) -> datetime.datetime | None:
    if ticket.resolved_at is None:
        return None
    return ticket.resolved_at + datetime.timedelta(days=helpdesk_settings.get(request.registry).reopen_days)


def can_still_reopen(request: Request, ticket: Ticket) -> bool:
    deadline = reopen_deadline(request, ticket)
    return ticket.status == RESOLVED and (deadline is None or now(request) <= deadline)


def takes_replies(request: Request, ticket: Ticket) -> bool:
    """Would a requester's reply be taken: not closed; resolved, but within its reopening delay."""
    return ticket.status != CLOSED and (ticket.status != RESOLVED or can_still_reopen(request, ticket))
