"""The process's snapshot of categories, groups, matrix and service levels (cagou_helpdesk.reference).

Another process's change is simulated by a plain SQL statement on a
connection of its own, which this process's sessions do not watch.
"""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa

from cagou.db import get_engine, transaction_scope
from cagou.interfaces import IAccounts
from cagou_helpdesk import reference
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import Category, Group, PriorityRule, Ticket


def another_process(registry, statement: str, **values) -> None:
    with get_engine(registry).begin() as connection:
        connection.execute(sa.text(statement), values)


def snapshot(registry) -> reference.Reference:
    with transaction_scope(registry) as request:
        return reference.current(request)


def open_as_agent(registry, category: str) -> Ticket:
    with transaction_scope(registry) as request:
        agent = request.find_service(IAccounts).by_login("agent")
        ticket = request.find_service(ITickets).open(TicketInput(title="Écran noir", description="Depuis ce matin.",
                                                  category=category), agent)  # fmt: skip
        request.db.expunge(ticket)
        return ticket


@pytest.fixture
def slow_refresh(registry):
    """A snapshot kept for an hour: only this process's own changes can drop it."""
    reference.cache(registry).refresh_seconds = 3600


def test_each_category_knows_its_queue_through_its_parents(registry, helpdesk):
    known = snapshot(registry)
    vpn = known.category("réseau > vpn")
    laptop = known.category("Matériel > Ordinateur portable")
    assert vpn is not None and laptop is not None
    assert known.groups[vpn.group_id].code == "INFRA"
    assert known.groups[laptop.group_id].code == "BAU"  # no group of its own: the default group
    assert known.category(str(vpn.id)) == vpn
    assert known.category("Réseau > Wi-Fi") is None


def test_another_process_change_is_seen_once_the_snapshot_is_old(registry, helpdesk, slow_refresh):
    snapshot(registry)
    another_process(registry, "UPDATE helpdesk_group SET name = 'Bureau renommé' WHERE code = 'BAU'")
    assert "Bureau renommé" not in {group.name for group in snapshot(registry).groups.values()}

    reference.cache(registry).refresh_seconds = 0
    assert "Bureau renommé" in {group.name for group in snapshot(registry).groups.values()}


def test_a_change_made_here_is_seen_at_once(registry, helpdesk, slow_refresh):
    assert open_as_agent(registry, "Logiciels").priority == 3  # urgency 2, impact 1 by default
    with transaction_scope(registry) as request:
        request.db.add(PriorityRule(urgency=2, impact=1, priority=1))
        software = request.db.scalars(sa.select(Category).where(Category.path == "Logiciels")).one()
        software.default_group_id = request.db.scalars(sa.select(Group.id).where(Group.code == "INFRA")).one()
        # The transaction that changes them reads its own changes.
        assert reference.current(request).matrix[(2, 1)] == 1

    ticket = open_as_agent(registry, "Logiciels")
    assert ticket.priority == 1
    assert snapshot(registry).groups[ticket.group_id].code == "INFRA"


def test_a_change_rolled_back_leaves_no_trace(registry, helpdesk, slow_refresh):
    with pytest.raises(RuntimeError), transaction_scope(registry) as request:
        request.db.add(Category(name="Imprimantes", path="Imprimantes"))
        request.db.flush()
        assert reference.current(request).category("Imprimantes") is not None
        raise RuntimeError("abandon")
    assert snapshot(registry).category("Imprimantes") is None


def test_a_service_level_changed_here_moves_the_next_deadlines_at_once_the_calendar_kept(
    registry, helpdesk, slow_refresh
):
    """The deadlines read the levels from the snapshot (dropped on change) and the days from the calendar's cache."""
    from cagou_helpdesk import settings as helpdesk_settings
    from cagou_helpdesk.models import ServiceLevel

    before = open_as_agent(registry, "Logiciels")  # P3: 4 business hours to answer by default
    calendar = helpdesk_settings.get(registry).calendar
    cached_days = dict(calendar._days)
    assert cached_days, "the deadlines went through the calendar's cache"
    with transaction_scope(registry) as request:
        request.db.add(ServiceLevel(priority=3, first_response_minutes=60, resolution_minutes=8 * 60))
    after = open_as_agent(registry, "Logiciels")
    assert before.first_response_due == calendar.add(before.created_at, datetime.timedelta(hours=4))
    assert after.first_response_due == calendar.add(after.created_at, datetime.timedelta(hours=1))
    assert after.resolution_due == calendar.add(after.created_at, datetime.timedelta(hours=8))
    assert all(calendar._days[day] == periods for day, periods in cached_days.items())
