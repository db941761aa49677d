"""A small helpdesk bureau and its tickets, for the tests that serve the platform as in production.

The servers themselves come from :mod:`cagou.testing_production`; every
password is its :data:`~cagou.testing_production.PASSWORD`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cagou.testing_production import PASSWORD

CATEGORY = "Production > Poste de travail"
NEW_TICKET = "/intranet/assistance/nouvelle"
NEXT_TICKET = "/intranet/assistance/file/suivant"
QUEUE = "/intranet/assistance/file/"
TICKET_PATH = re.compile(r"/intranet/assistance/tickets/(\d+)$")


@dataclass(frozen=True)
class Bureau:
    agents: list[str]
    technicians: list[str]


def make_bureau(registry: Any, agents: int, technicians: int) -> Bureau:
    """Agents who open tickets, technicians of one group that receives them; the helpdesk enabled on the intranet.

    Production enables no module by default (production.ini).
    """
    from cagou.db import transaction_scope
    from cagou.identity.models import AGENT
    from cagou.interfaces import IAccounts
    from cagou.modules.services import module_states
    from cagou_helpdesk.models import Category, Group, Member

    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        group = Group(code="PROD", name="Bureau de la production")
        request.db.add(group)
        request.db.flush()
        parent = Category(name="Production", path="Production")
        request.db.add(parent)
        request.db.add(Category(name="Poste de travail", path=CATEGORY, parent=parent, default_group=group))
        made = Bureau([f"agent{n}" for n in range(agents)], [f"tech{n}" for n in range(technicians)])
        for login in made.agents + made.technicians:
            account = accounts.create(login, login.capitalize(), AGENT, email=f"{login}@province-sud.nc",
                                      password=PASSWORD)  # fmt: skip
            if login in made.technicians:
                accounts.grant(account, "helpdesk:technician")
                request.db.add(Member(group_id=group.id, account_id=account.id))
        module_states(registry).set_enabled(request, "helpdesk", "intranet", True)
    return made


def ticket_form(token: str, title: str) -> dict[str, str]:
    return {
        "csrf_token": token, "title": title, "description": "Mon poste ne démarre plus depuis ce matin.",
        "category": CATEGORY, "urgency": "2", "impact": "1", "contact_phone": "27 45 12",
    }  # fmt: skip


def stored_tickets(registry: Any) -> dict[str, list[int]]:
    """Title -> ids of the tickets with that title."""
    from cagou.db import transaction_scope
    from cagou_helpdesk.models import Ticket

    found: dict[str, list[int]] = {}
    with transaction_scope(registry) as request:
        for ticket_id, title in request.db.execute(sa.select(Ticket.id, Ticket.title)):
            found.setdefault(title, []).append(ticket_id)
    return found


def whole_tickets(registry: Any) -> tuple[set[int], set[int]]:
    """(every ticket, those with their audit entry and their acknowledgement in the outbox): whole or absent.

    The acknowledgement is composed by a job the ticket's request queued in
    its transaction: the jobs still queued run first, then the sweep, as the
    worker runs both; a job lost by a killed process or a database outage is
    found again by the sweep (its grace is for jobs still on their way, and
    no worker is left to run them here).
    """
    import datetime

    from cagou.audit.models import AuditEntry
    from cagou.db import transaction_scope
    from cagou.mail.models import OutboxMail
    from cagou.testing import run_jobs
    from cagou_helpdesk.jobs import acknowledge_forgotten
    from cagou_helpdesk.models import Ticket

    run_jobs(registry)
    acknowledge_forgotten(registry, grace=datetime.timedelta(0))
    with transaction_scope(registry) as request:
        tickets = set(request.db.scalars(sa.select(Ticket.id)))
        audited = {
            int(object_id)
            for object_id in request.db.scalars(
                sa.select(AuditEntry.object_id).where(
                    AuditEntry.object_type == "ticket", AuditEntry.action == "helpdesk:ticket:create"
                )
            )
        }
        keys = set(
            request.db.scalars(sa.select(OutboxMail.idempotency_key).where(OutboxMail.idempotency_key.is_not(None)))
        )
    acknowledged = {ticket for ticket in tickets if f"helpdesk.ticket.{ticket}.acknowledgement" in keys}
    return tickets, tickets & audited & acknowledged
