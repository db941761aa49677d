"""Technicians clicking "take" or "take the next one" at the same moment never get the same ticket (PostgreSQL).

Threads (each with its own transaction and its own technician, as the
services see them outside a web request) race on one queue; then two other
processes serve the platform and technicians race through HTTP. Every
ticket must be taken exactly once, by one technician, with one audit entry:
none lost, none twice. On PostgreSQL the candidate ticket is read with
``FOR UPDATE SKIP LOCKED`` and taken by a conditional ``UPDATE`` (see
``ITickets.take_next`` and ``ITickets.claim``); SQLite serialises writers,
so the race only means something here.
"""

from __future__ import annotations

import collections
import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from cagou.audit.models import AuditEntry
from cagou.db import get_engine, transaction_scope
from cagou.identity.models import AGENT, Account
from cagou.identity.policy import act_as
from cagou.interfaces import IAccounts
from cagou.kit import Refused
from cagou.testing import free_port, is_postgresql, write_ini
from cagou.testing_production import Browser
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import ASSIGNED, Member, Ticket

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(not is_postgresql(), reason="row locks and SKIP LOCKED are PostgreSQL's; SQLite has one writer"),
]

#: Every password of the ``helpdesk`` fixture (plugins/helpdesk/tests/conftest.py).
PASSWORD = "un-mot-de-passe-solide-2026"
TECHNICIANS = 8
TICKETS = 120
SAME_TICKET_ROUNDS = 12
THREAD_TIMEOUT_SECONDS = 120
PLUGINS_PATH = str(Path(__file__).resolve().parent.parent / "plugins")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
TICKET_PATH = re.compile(r"/intranet/assistance/tickets/(\d+)$")


def acting_as(request, login: str) -> Account:
    """The request acts for ``login``, as a signed-in request of that person would (the audit names them)."""
    account = request.find_service(IAccounts).by_login(login)
    act_as(request, account)
    return account


@pytest.fixture
def crowd(registry, helpdesk) -> tuple[list[str], list[int]]:
    """The bureau's technicians (tech1, tech2 and reinforcements, all in BAU) and new tickets in its queue."""
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        logins = ["tech1", "tech2"]
        for number in range(TECHNICIANS - len(logins)):
            login = f"renfort{number}"
            account = accounts.create(
                login, f"Renfort {number}", AGENT, email=f"{login}@province-sud.nc", password=PASSWORD
            )
            accounts.grant(account, "helpdesk:technician")
            request.db.add(Member(group_id=helpdesk.groups["BAU"], account_id=account.id))
            logins.append(login)
        agent = acting_as(request, "agent")
        ids = []
        for number in range(TICKETS):
            data = TicketInput(
                title=f"Portable à préparer n° {number}",
                description="Je passe en télétravail lundi.",
                category=str(helpdesk.categories["portable"]),
                urgency=str(1 + number % 3),
            )
            ids.append(request.find_service(ITickets).open(data, agent).id)
    return logins, ids


def taken_from_the_database(registry, ids: list[int]) -> dict[int, str]:
    """ticket id -> login of its assignee."""
    with transaction_scope(registry) as request:
        rows = request.db.execute(
            sa.select(Ticket.id, Account.login, Ticket.status)
            .join(Account, Account.id == Ticket.assignee_id)
            .where(Ticket.id.in_(ids))
        )
        found = {}
        for ticket_id, login, status in rows:
            assert status == ASSIGNED
            found[ticket_id] = login
    return found


def take_entries(registry) -> list[tuple[str, str | None]]:
    """(ticket id, who) of every "take" in the audit log."""
    with transaction_scope(registry) as request:
        query = sa.select(AuditEntry.object_id, AuditEntry.actor_login).where(
            AuditEntry.action == "helpdesk:ticket:take"
        )
        return [(object_id, login) for object_id, login in request.db.execute(query)]


def assert_each_taken_exactly_once(registry, ids: list[int], taken: dict[str, list[int]]) -> None:
    every = [ticket_id for tickets in taken.values() for ticket_id in tickets]
    duplicates = [ticket_id for ticket_id, count in collections.Counter(every).items() if count > 1]
    assert not duplicates, f"taken more than once: {duplicates}"
    assert sorted(every) == sorted(ids), "some tickets were lost"
    for login, tickets in taken.items():
        assert len(tickets) == len(set(tickets)), f"{login} got a ticket twice"
    # The database agrees with what each technician was told, and the audit log says it once per ticket.
    holders = {ticket_id: login for login, tickets in taken.items() for ticket_id in tickets}
    assert taken_from_the_database(registry, ids) == holders
    assert sorted(take_entries(registry)) == sorted((str(ticket_id), login) for ticket_id, login in holders.items())


# ---------------------------------------------------------------------------
# Threads, each a technician with its own transaction
# ---------------------------------------------------------------------------


def test_technicians_taking_the_next_one_together_each_get_different_tickets(registry, crowd):
    logins, ids = crowd
    taken: dict[str, list[int]] = {login: [] for login in logins}
    errors: list[BaseException] = []
    start = threading.Barrier(len(logins))

    def technician(login: str) -> None:
        try:
            start.wait()
            while True:
                with transaction_scope(registry) as request:
                    ticket = request.find_service(ITickets).take_next(acting_as(request, login))
                    if ticket is None:
                        return
                    assert ticket.assignee_id == request.identity.id
                    ticket_id = ticket.id
                taken[login].append(ticket_id)  # told once the transaction has committed
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=technician, args=(login,)) for login in logins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT_SECONDS)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)
    assert_each_taken_exactly_once(registry, ids, taken)
    # They really worked side by side: the queue was shared, not emptied by the first one.
    assert sum(1 for tickets in taken.values() if tickets) >= 2
    get_engine(registry).dispose()


def test_two_technicians_taking_the_same_ticket_at_once_one_wins_the_other_is_told(registry, crowd):
    _, ids = crowd
    for ticket_id in ids[:SAME_TICKET_ROUNDS]:
        outcomes: dict[str, object] = {}
        both_read_it = threading.Barrier(2)

        def technician(login: str, ticket_id: int = ticket_id, outcomes=outcomes, both_read_it=both_read_it) -> None:
            try:
                with transaction_scope(registry) as request:
                    me = acting_as(request, login)
                    ticket = request.db.get_one(Ticket, ticket_id)
                    assert ticket.assignee_id is None  # both see it free
                    both_read_it.wait()
                    request.find_service(ITickets).take(ticket, me)
                outcomes[login] = "taken"
            except Refused as refused:
                outcomes[login] = refused
            except BaseException as error:
                outcomes[login] = error

        threads = [threading.Thread(target=technician, args=(login,)) for login in ("tech1", "tech2")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(THREAD_TIMEOUT_SECONDS)
        winners = [login for login, outcome in outcomes.items() if outcome == "taken"]
        losers = [outcome for outcome in outcomes.values() if isinstance(outcome, Refused)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        winner = "Théo Technicien" if winners[0] == "tech1" else "Inès Technicienne"
        assert losers[0].status == 409
        assert losers[0].message == f"Le ticket HD-{ticket_id:06d} vient d'être pris par {winner}."
    taken = taken_from_the_database(registry, ids[:SAME_TICKET_ROUNDS])
    assert sorted(taken) == sorted(ids[:SAME_TICKET_ROUNDS])
    assert len(take_entries(registry)) == SAME_TICKET_ROUNDS  # the loser's attempt left no trace
    get_engine(registry).dispose()


def test_the_second_technician_waits_for_the_first_to_commit_then_is_refused(registry, crowd):
    """The first took the ticket but has not committed: the second's UPDATE waits on the row, then finds it taken."""
    _, ids = crowd
    ticket_id = ids[0]
    first_took, second_seen_waiting = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction_scope(registry) as request:
                request.find_service(ITickets).take(request.db.get_one(Ticket, ticket_id), acting_as(request, "tech1"))
                first_took.set()
                second_seen_waiting.wait(THREAD_TIMEOUT_SECONDS)
            outcomes["tech1"] = "taken"
        except BaseException as error:
            outcomes["tech1"] = error
            first_took.set()

    def second() -> None:
        try:
            first_took.wait(THREAD_TIMEOUT_SECONDS)
            with transaction_scope(registry) as request:
                ticket = request.db.get_one(Ticket, ticket_id)
                assert ticket.assignee_id is None  # the first's change is not committed
                request.find_service(ITickets).take(ticket, acting_as(request, "tech2"))
            outcomes["tech2"] = "taken"
        except BaseException as error:
            outcomes["tech2"] = error

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    waiting = """SELECT count(*) FROM pg_stat_activity
                 WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE helpdesk_ticket%'"""
    seen = False
    with get_engine(registry).connect() as watcher:
        deadline = time.monotonic() + THREAD_TIMEOUT_SECONDS
        while not seen and time.monotonic() < deadline and threads[1].is_alive():
            seen = bool(watcher.execute(sa.text(waiting)).scalar_one())
            watcher.rollback()
            time.sleep(0.01)
    second_seen_waiting.set()
    for thread in threads:
        thread.join(THREAD_TIMEOUT_SECONDS)
    assert seen, f"the second technician never waited on the row lock: {outcomes}"
    assert outcomes["tech1"] == "taken"
    refused = outcomes["tech2"]
    assert isinstance(refused, Refused), refused
    assert refused.message == f"Le ticket HD-{ticket_id:06d} vient d'être pris par Théo Technicien."
    assert taken_from_the_database(registry, [ticket_id]) == {ticket_id: "tech1"}
    get_engine(registry).dispose()


# ---------------------------------------------------------------------------
# Two server processes, technicians clicking "take the next one" in their browsers
# ---------------------------------------------------------------------------


@pytest.fixture
def two_processes(tmp_path, settings):
    """The platform served by two other processes (waitress through pserve), on the test database."""
    ports, processes = [], []
    for number in range(2):
        port = free_port()
        ini = write_ini(tmp_path / f"process{number}.ini", settings, listen=f"127.0.0.1:{port}")
        processes.append(
            subprocess.Popen(
                [str(Path(sys.executable).parent / "pserve"), str(ini)],
                env={**os.environ, "PYTHONPATH": PLUGINS_PATH},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        ports.append(port)
    try:
        for port in ports:
            deadline = time.monotonic() + 30
            while True:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    connection.request("GET", "/sante")
                    if connection.getresponse().status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("a server process did not start")
                time.sleep(0.1)
        yield ports
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


@pytest.mark.slow
def test_technicians_on_two_processes_never_get_the_same_ticket(registry, crowd, two_processes):
    logins, ids = crowd
    taken: dict[str, list[int]] = {login: [] for login in logins}
    errors: list[BaseException] = []
    start = threading.Barrier(len(logins))

    def technician(login: str, port: int) -> None:
        try:
            browser = Browser(port)
            assert browser.sign_in(login, PASSWORD) == 303, f"{login} could not sign in"
            token = browser.csrf("/intranet/assistance/file/")
            start.wait()
            while True:
                # The session cookie stays as it was: the flash message ("Vous avez pris…") is for the ticket
                # page a browser follows the redirection to; without it, the messages would fill the cookie.
                status, location, _ = browser.send(
                    "POST", "/intranet/assistance/file/suivant", {"csrf_token": token}, keep_cookies=False
                )
                assert status == 303, f"{login}: take the next one answered {status}"
                found = TICKET_PATH.search(location)
                if found is None:  # back to the queue: nothing left
                    assert location.endswith("/intranet/assistance/file/"), location
                    return
                taken[login].append(int(found.group(1)))
        except BaseException as error:
            errors.append(error)

    # Half the technicians on each process.
    threads = [
        threading.Thread(target=technician, args=(login, two_processes[number % 2]))
        for number, login in enumerate(logins)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT_SECONDS)
    assert not errors, errors
    assert_each_taken_exactly_once(registry, ids, taken)
    on_each = [sum(len(taken[login]) for login in logins[number::2]) for number in range(2)]
    assert all(on_each), f"both processes handed out tickets: {on_each}"
    get_engine(registry).dispose()
