"""What the API answers: tickets, messages and people as JSON."""

from __future__ import annotations

import datetime
from typing import Any

from pyramid.request import Request

from cagou.kit import (
    Account,
)
from cagou_helpdesk import permissions
from cagou_helpdesk.api.common import ATTACHMENT_ROUTE, WORK
from cagou_helpdesk.api.reading import me
from cagou_helpdesk.models import (
    Attachment,
    Message,
    Ticket,
    reference_of,
)


def instant(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.astimezone(datetime.UTC).isoformat(timespec="seconds")


def person(account: Account | None) -> dict[str, str] | None:
    return None if account is None else {"login": account.login, "display_name": account.display_name}


def attachment_json(request: Request, attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "created_at": instant(attachment.created_at),
        "message_id": attachment.message_id,
        "url": request.route_url(ATTACHMENT_ROUTE, id=attachment.ticket_id, attachment=attachment.id),
    }


def message_json(request: Request, message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind,
        "author": person(message.author),
        "body": message.body,
        "source": message.source,
        "created_at": instant(message.created_at),
        "attachments": [attachment_json(request, attachment) for attachment in message.attachments],
    }


def shows(attachment: Attachment, works_on: bool) -> bool:
    """Whether the file reaches the reader: those of internal notes only reach the technicians of the ticket's group."""
    return works_on or attachment.message is None or not attachment.message.is_note


def ticket_json(request: Request, ticket: Ticket, works_on: bool, detail: bool = False) -> dict[str, Any]:
    """The ticket as the API shows it; ``works_on``: to a technician of its group (reasons, notes)."""
    found: dict[str, Any] = {
        "id": ticket.id,
        "reference": ticket.reference,
        "url": request.route_url("helpdesk.ticket", id=ticket.id),
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status,
        "status_label": ticket.status_label,
        "waiting_for": ticket.waiting_for,
        "priority": ticket.priority,
        "priority_label": ticket.priority_label,
        "priority_reason": ticket.priority_reason if works_on else None,
        "urgency": ticket.urgency,
        "impact": ticket.impact,
        "category": ticket.category.path if ticket.category else None,
        "group": {"code": ticket.group.code, "name": ticket.group.name},
        "requester": person(ticket.requester),
        "opened_by": person(ticket.opened_by),
        "assignee": person(ticket.assignee),
        "source": ticket.source,
        "contact_phone": ticket.contact_phone,
        "parent": reference_of(ticket.parent_id) if ticket.parent_id else None,
        "reopened": ticket.reopened,
        "rating": ticket.rating,
        "rating_comment": ticket.rating_comment,
        "created_at": instant(ticket.created_at),
        "updated_at": instant(ticket.updated_at),
        "first_response_at": instant(ticket.first_response_at),
        "resolved_at": instant(ticket.resolved_at),
        "closed_at": instant(ticket.closed_at),
        "first_response_due": instant(ticket.first_response_due),
        "resolution_due": instant(ticket.resolution_due),
    }
    if detail:
        shown = [message for message in ticket.messages if works_on or not message.is_note]
        found["messages"] = [message_json(request, message) for message in shown]
        found["attachments"] = [
            attachment_json(request, attachment) for attachment in ticket.attachments if shows(attachment, works_on)
        ]
        # As on the ticket page: the duplicates of a major incident are the technicians' business.
        found["children"] = (
            [{"id": child.id, "reference": child.reference, "status": child.status} for child in ticket.children]
            if works_on
            else None
        )
    return found


def worked_groups(request: Request) -> set[int] | None:
    """The groups whose tickets the person works on (None: every group, a helpdesk administrator)."""
    if not request.can(WORK):
        return set()
    if permissions.is_admin(request):
        return None
    return {group.id for group in permissions.groups_of(request, me(request))}
