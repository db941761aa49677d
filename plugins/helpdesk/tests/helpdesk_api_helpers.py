"""What the tests of the helpdesk's JSON API share: tickets set up through the services, and what was stored."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from helpdesk_api_client import TICKETS, ApiClient

from cagou.audit.models import AuditEntry
from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou_helpdesk import checks
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import RESOLVED, Ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def open_ticket(registry, requester: str, title: str = "Écran noir", category: str = "Logiciels", **more: str) -> int:
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(requester)
        data = checks.TicketInput(title=title, description="Rien ne s'affiche.", category=category, **more)
        ticket_id: int = request.find_service(ITickets).open(data, account).id
    return ticket_id


def act(registry, login_name: str, action, *args: Any) -> None:
    """Run a service as ``login_name`` (a technician working the ticket), outside the API."""
    with transaction_scope(registry) as request:
        account = request.find_service(IAccounts).by_login(login_name)
        action(request, account, *args)


def ticket_state(registry, ticket_id: int) -> dict[str, Any]:
    with transaction_scope(registry) as request:
        ticket = request.db.get_one(Ticket, ticket_id)
        return {
            "status": ticket.status,
            "priority": ticket.priority,
            "assignee": ticket.assignee.login if ticket.assignee else None,
            "group": ticket.group.code,
            "parent": ticket.parent_id,
            "messages": len(ticket.messages),
        }


def count(registry, model, *where) -> int:
    with transaction_scope(registry) as request:
        return int(request.db.scalar(sa.select(sa.func.count()).select_from(model).where(*where)))


def send_files(api: ApiClient, path: str, fields: dict[str, str], files: list[tuple[str, bytes]], status: int = 201):
    """POST ``fields`` and ``files`` (name, bytes) as multipart/form-data, each file in a part named attachments."""
    uploads = [("attachments", name, data) for name, data in files]
    return api.app.post(path, fields, upload_files=uploads, headers=api.headers, status=status)


def rate(api: ApiClient, ticket_id: int, body: object, status: int = 200):
    return api.app.put_json(f"{TICKETS}/{ticket_id}/rating", body, headers=api.headers, status=status)


def resolve(registry, ticket_id: int, technician: str = "tech1") -> None:
    act(
        registry,
        technician,
        lambda r, t: r.find_service(ITickets).change_status(r.db.get(Ticket, ticket_id), RESOLVED, None, t),
    )


def stored_rating(registry, ticket_id: int) -> tuple[int | None, str | None]:
    with transaction_scope(registry) as request:
        ticket = request.db.get_one(Ticket, ticket_id)
        return ticket.rating, ticket.rating_comment


def audit_actions(registry, ticket_id: int | None = None) -> list[str]:
    query = sa.select(AuditEntry.action).where(AuditEntry.action.startswith("helpdesk:")).order_by(AuditEntry.id)
    if ticket_id is not None:
        query = query.where(AuditEntry.object_id == str(ticket_id))
    with transaction_scope(registry) as request:
        return list(request.db.scalars(query))


NEW_TICKET = {
    "title": "Le VPN refuse mon mot de passe",
    "description": "Depuis ce matin, le client VPN dit « identifiants invalides ».",
    "category": "Réseau > VPN",
    "urgency": 3,
    "impact": 1,
    "contact_phone": "+687 27 00 00",
}
