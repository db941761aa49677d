"""The helpdesk in production's processes, on several machines: gunicorn with gunicorn.conf.py and production.ini.

Two servers on the test database stand for two machines behind a reverse
proxy, each with two processes of four threads, and a worker beside each.
The queue of tickets is one: each ticket is taken once, each job runs once;
each process holds no more PostgreSQL connections than its pool (its
threads); a process killed in a burst loses no acknowledged ticket. The
session, rate limits and module switches across machines are the core's
(tests/test_production_processes.py).

On PostgreSQL only: production runs on PostgreSQL (production.ini requires
it), and several machines cannot share a SQLite file. What SQLite has of
several processes (one machine) is tested in the core's tests/test_across_processes.py.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import mailbox
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from production_bureau import (
    NEW_TICKET,
    NEXT_TICKET,
    QUEUE,
    TICKET_PATH,
    make_bureau,
    stored_tickets,
    ticket_form,
    whole_tickets,
)

from cagou.db import get_engine, transaction_scope
from cagou.mail.models import SENT, OutboxMail
from cagou.testing import is_postgresql
from cagou.testing_production import (
    PASSWORD,
    Browser,
    Server,
    connections_by_process,
    production_environment,
    start_server,
    start_worker,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgresql,
    pytest.mark.skipif(not is_postgresql(), reason="production runs on PostgreSQL; machines cannot share SQLite"),
]

#: As in gunicorn.conf.py; more agents than threads on each machine.
THREADS = 8
#: cagou.database.pool_size's default: a connection per thread, and one to read the module switches.
POOL_SIZE = THREADS + 1
AGENTS, TECHNICIANS, TICKETS_EACH = 24, 6, 3


@pytest.fixture
def machines(tmp_path, settings, registry):
    """Two servers (2 processes × 8 threads each), on the test database."""
    name = f"cagou-test-{tmp_path.name[-12:]}"
    environment = production_environment(settings, name)
    with (
        start_server(tmp_path, environment, workers=2, threads=THREADS) as one,
        start_server(tmp_path, environment, workers=2, threads=THREADS) as two,
    ):
        yield one, two
    get_engine(registry).dispose()


def eventually(check, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def test_a_burst_on_two_machines_each_ticket_once_each_job_once_connections_within_the_pool(
    tmp_path, settings, registry, machines
):
    bureau = make_bureau(registry, agents=AGENTS, technicians=TECHNICIANS)
    environment = production_environment(settings, f"cagou-worker-{tmp_path.name[-12:]}")
    peak: dict[str, int] = collections.defaultdict(int)
    opened: dict[str, set[int]] = collections.defaultdict(set)
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            backends = connections_by_process(settings["cagou.database_url"], machines[0].application_name)
            for process, held in backends.items():
                peak[process] = max(peak[process], len(held))
                opened[process] |= held
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with start_worker(tmp_path, environment), start_worker(tmp_path, environment):
            made = run_in_threads([(open_tickets, machines[n % 2], login) for n, login in enumerate(bureau.agents)])
            taken = run_in_threads(
                [(take_until_empty, machines[n % 2], login) for n, login in enumerate(bureau.technicians)]
            )
            eventually(lambda: every_mail_sent(registry), 30.0)
    finally:
        sampling.set()
        sampler.join()
    tickets = [ticket for batch in made for ticket in batch]
    assert len(tickets) == len(set(tickets)) == AGENTS * TICKETS_EACH
    handed = [ticket for batch in taken for ticket in batch]
    assert sorted(handed) == sorted(tickets), "every ticket taken exactly once"
    on_each = [sum(len(batch) for batch in taken[number::2]) for number in range(2)]
    assert all(on_each), f"both machines handed out tickets: {on_each}"
    # The workers of both machines shared the queue: each mail was delivered once.
    delivered = [message["Message-ID"] for message in mailbox.Maildir(Path(settings["cagou.var"]) / "mail")]
    with transaction_scope(registry) as request:
        outbox = list(request.db.scalars(sa.select(OutboxMail.message_id)))
    assert sorted(delivered) == sorted(outbox)
    # Several processes served, none holding more connections than its pool (threads + 1), none opening
    # more: a pool smaller than the threads would open and close connections all along (max_overflow).
    assert len(peak) >= 3, f"only {dict(peak)} held connections"
    assert max(peak.values()) <= POOL_SIZE, dict(peak)
    assert max(len(backends) for backends in opened.values()) <= POOL_SIZE, {p: len(b) for p, b in opened.items()}


def run_in_threads(calls) -> list[list[int]]:
    results: list[list[int]] = [[] for _ in calls]
    errors: list[BaseException] = []
    start = threading.Barrier(len(calls))

    def run(number: int, function, server: Server, login: str) -> None:
        try:
            browser = Browser(server.port)
            assert browser.sign_in(login, PASSWORD) == 303, login
            start.wait()
            results[number] = function(browser, login)
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n, *call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return results


def open_tickets(browser: Browser, login: str) -> list[int]:
    token = browser.csrf(NEW_TICKET)
    made = []
    for number in range(TICKETS_EACH):
        status, location, _ = browser.send(
            "POST", NEW_TICKET, ticket_form(token, f"{login} {number}"), keep_cookies=False
        )
        found = TICKET_PATH.search(location)
        assert status == 303 and found is not None, (status, location)
        made.append(int(found.group(1)))
    return made


def take_until_empty(browser: Browser, login: str) -> list[int]:
    token = browser.csrf(QUEUE)
    taken = []
    while True:
        status, location, _ = browser.send("POST", NEXT_TICKET, {"csrf_token": token}, keep_cookies=False)
        assert status == 303, (login, status)
        found = TICKET_PATH.search(location)
        if found is None:
            return taken
        taken.append(int(found.group(1)))


def every_mail_sent(registry) -> bool:
    """Every ticket acknowledged by the workers' jobs, and every mail of the outbox sent."""
    from cagou_helpdesk.models import Ticket

    with transaction_scope(registry) as request:
        statuses = list(request.db.scalars(sa.select(OutboxMail.status)))
        waiting = request.db.scalar(sa.select(sa.func.count()).where(Ticket.acknowledged_at.is_(None)))
    return bool(statuses) and not waiting and all(status == SENT for status in statuses)


def serving_worker(server: Server) -> int:
    """The worker process that holds the most of the clients' connections (established TCP, on the server's port).

    The kernel hands the keep-alive connections out unevenly: the first
    worker often held none of the agents', and killing it then tested
    nothing (the run failed on "the killed process was serving").
    """
    port = f":{server.port:04X}"
    established = set()  # the sockets' inodes (/proc/net/tcp: local address, state 01 = ESTABLISHED, inode)
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(port) and fields[3] == "01":
            established.add(f"socket:[{fields[9]}]")

    def connections(pid: int) -> int:
        held = 0
        for descriptor in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):  # closed meanwhile
                held += str(descriptor.readlink()) in established
        return held

    return max(server.workers(), key=connections)


def test_a_process_killed_in_a_burst_loses_no_acknowledged_ticket_and_stores_none_by_half(tmp_path, settings, registry):
    """SIGKILL on one process while agents post tickets: each acknowledged ticket stored once, each stored whole.

    A ticket whose commit ended just before the kill is stored without its
    answer: the agent was not told, but nothing of it is missing.
    """
    bureau = make_bureau(registry, agents=8, technicians=0)
    environment = production_environment(settings, f"cagou-kill-{tmp_path.name[-12:]}")
    acknowledged: dict[str, int] = {}
    failed: list[str] = []
    after_kill: list[str] = []
    killed = threading.Event()
    stop_at = time.monotonic() + 60

    def agent(browser: Browser, login: str) -> list[int]:
        token = browser.csrf(NEW_TICKET)
        number = 0
        while time.monotonic() < stop_at and len(after_kill) < 40:
            title, number = f"{login} {number}", number + 1
            try:
                status, location, _ = browser.send("POST", NEW_TICKET, ticket_form(token, title), keep_cookies=False)
            except (OSError, http.client.HTTPException):
                failed.append(title)
                continue
            found = TICKET_PATH.search(location)
            if status == 303 and found is not None:
                acknowledged[title] = int(found.group(1))
                if killed.is_set():
                    after_kill.append(title)
            else:
                failed.append(f"{title}: {status}")
        return []

    victims: list[int] = []
    with start_server(tmp_path, environment, workers=2, threads=THREADS) as server:

        def kill_in_the_middle() -> None:
            while len(acknowledged) < 30:
                time.sleep(0.01)
            victims.append(serving_worker(server))
            os.kill(victims[0], signal.SIGKILL)
            killed.set()

        killer = threading.Thread(target=kill_in_the_middle)
        killer.start()
        run_in_threads([(agent, server, login) for login in bureau.agents])
        killer.join()
        assert victims[0] not in server.workers(), "gunicorn replaced the killed process"
    assert failed, "the killed process was serving some of the agents"
    assert len(after_kill) >= 40, "the platform went on serving"
    stored = stored_tickets(registry)
    assert {title: ids for title, ids in stored.items() if len(ids) > 1} == {}, "a ticket stored twice"
    assert all(stored.get(title) == [ticket] for title, ticket in acknowledged.items()), "an acknowledged ticket lost"
    every, whole = whole_tickets(registry)
    assert every == whole, f"tickets stored by half: {sorted(every - whole)}"
