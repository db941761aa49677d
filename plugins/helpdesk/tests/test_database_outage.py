"""PostgreSQL restarts (fast, then immediate shutdown) in the middle of a burst of tickets.

The test starts a PostgreSQL of its own (Debian's binaries, as the
``postgres`` account when run as root, in a temporary folder, on a free
loopback port): the shared cluster that other test runs use is never
stopped. Served by production's gunicorn configuration and its worker:

- every acknowledged ticket is stored, once and whole;
- while the database is away, pages answer 503 with the French page, the
  API answers 503 in JSON, never a 500 nor a stack trace;
- the platform serves again by itself within seconds of the database's
  return, with the same processes (none restarted); the worker too;
- the audit log still verifies (``cagou audit verify``);
- a ticket's acknowledgement whose job ran while the database was away is
  sent once it is back (the sweep finds the ticket), once.

It brings its own PostgreSQL, but runs in the suite's PostgreSQL pass only
(with CAGOU_TEST_DATABASE_URL), where PostgreSQL's binaries are installed.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import mailbox
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from production_bureau import CATEGORY, NEW_TICKET, TICKET_PATH, make_bureau, stored_tickets, ticket_form, whole_tickets

from cagou import configure
from cagou.db import get_engine, migrate, transaction_scope
from cagou.interfaces import IAccounts
from cagou.jobs.services import run_queued_job
from cagou.mail.models import SENT, OutboxMail
from cagou.testing import base_settings, free_port, is_postgresql
from cagou.testing_production import BIN, PASSWORD, ROOT, Browser, production_environment, start_server, start_worker
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.jobs import acknowledge_forgotten
from cagou_helpdesk.models import Ticket

POSTGRESQL_BIN = Path("/usr/lib/postgresql/15/bin")
AGENTS = 6
#: Seconds the database stays away at each shutdown.
OUTAGE_SECONDS = 2.0
#: "Within seconds of the database's return".
RECOVERY_SECONDS = 10.0
UNAVAILABLE = "Le service est momentanément indisponible"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgresql,
    # Once per CI run, in its PostgreSQL pass, although it brings its own PostgreSQL.
    pytest.mark.skipif(not is_postgresql(), reason="PostgreSQL's outages: run with CAGOU_TEST_DATABASE_URL"),
    pytest.mark.skipif(
        not (POSTGRESQL_BIN / "pg_ctl").exists(), reason=f"PostgreSQL's binaries are not in {POSTGRESQL_BIN}"
    ),
]


@dataclass
class Cluster:
    """A PostgreSQL of the test's own: started, stopped (fast or immediate) and started again."""

    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/cagou"

    def run(self, *command: str) -> None:
        # PostgreSQL refuses to run as root: as root, it runs as the postgres account.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)

    def pg_ctl(self, *arguments: str) -> None:
        self.run(str(POSTGRESQL_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-w", *arguments)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        self.pg_ctl("-l", str(self.folder / "postgresql.log"), "-o", options, "start")

    def stop(self, mode: str) -> None:
        self.pg_ctl("-m", mode, "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="cagou-postgresql-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    made = Cluster(folder, free_port())
    made.run(str(POSTGRESQL_BIN / "initdb"), "-D", str(folder / "data"), "-U", "postgres", "-A", "trust", "--no-sync")
    made.start()
    try:
        engine = sa.create_engine(made.url.replace("/cagou", "/postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text("CREATE DATABASE cagou"))
        engine.dispose()
        yield made
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            made.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def platform(tmp_path, cluster, cagou_modules):
    """The private database migrated, a small bureau, and the application of the test (for its checks)."""
    var = tmp_path / "var"
    var.mkdir()
    settings = base_settings(var, cagou_modules, cluster.url)
    registry = configure(settings).registry
    migrate.upgrade(registry)
    bureau = make_bureau(registry, agents=AGENTS, technicians=0)
    yield settings, registry, bureau
    get_engine(registry).dispose()


@dataclass
class Seen:
    """What the agents were answered."""

    acknowledged: dict[str, int]
    statuses: list[int]
    unavailable_pages: list[str]
    api_answers: list[tuple[int, str]]


def test_postgresql_restarts_in_a_burst(tmp_path, cluster, platform):
    settings, registry, bureau = platform
    environment = production_environment(settings, "cagou-outage")
    seen = Seen({}, [], [], [])
    stop = threading.Event()

    def agent(login: str, ready: threading.Barrier) -> None:
        browser = Browser(server.port)
        assert browser.sign_in(login, PASSWORD) == 303
        token = browser.csrf(NEW_TICKET)
        ready.wait()
        number = 0
        while not stop.is_set():
            title, number = f"{login} {number}", number + 1
            try:
                status, location, page = browser.send("POST", NEW_TICKET, ticket_form(token, title), keep_cookies=False)
            except (OSError, http.client.HTTPException):
                seen.statuses.append(0)
                continue
            seen.statuses.append(status)
            found = TICKET_PATH.search(location)
            if status == 303 and found is not None:
                seen.acknowledged[title] = int(found.group(1))
            elif status == 503:
                seen.unavailable_pages.append(page)
                time.sleep(0.05)
            if login == bureau.agents[0]:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    answer = browser.send("GET", "/intranet/api/v1/moi", keep_cookies=False)
                    seen.api_answers.append((answer[0], answer[2]))

    def wait_for_tickets(count: int) -> None:
        target = len(seen.acknowledged) + count
        deadline = time.monotonic() + 60
        while len(seen.acknowledged) < target:
            assert time.monotonic() < deadline, "the platform does not serve"
            time.sleep(0.02)

    with (
        start_server(tmp_path, environment, workers=2, threads=8) as server,
        start_worker(tmp_path, environment) as worker,
    ):
        processes = sorted(server.workers())
        ready = threading.Barrier(AGENTS + 1)
        agents = [threading.Thread(target=agent, args=(login, ready)) for login in bureau.agents]
        for thread in agents:
            thread.start()
        ready.wait()
        recoveries = []
        try:
            for mode in ("fast", "immediate"):
                wait_for_tickets(20)
                cluster.stop(mode)
                time.sleep(OUTAGE_SECONDS)
                before = len(seen.acknowledged)
                cluster.start()
                back = time.monotonic()
                while len(seen.acknowledged) == before:
                    assert time.monotonic() - back < RECOVERY_SECONDS, f"no ticket within {RECOVERY_SECONDS} s"
                    time.sleep(0.02)
                recoveries.append(time.monotonic() - back)
            wait_for_tickets(20)
            with transaction_scope(registry) as request:
                last_before = request.db.scalar(sa.select(sa.func.max(OutboxMail.id)))
            wait_for_tickets(10)
        finally:
            stop.set()
            for thread in agents:
                thread.join(30)
        # The same processes served before, during and after: none restarted.
        assert sorted(server.workers()) == processes
        # The worker survived too: the mails of the tickets opened after the outages are delivered.
        deadline = time.monotonic() + 30
        while not mails_sent_after(registry, last_before):
            assert worker.poll() is None and time.monotonic() < deadline, "the worker does not deliver"
            time.sleep(0.2)
    # Every acknowledged ticket is there, once and whole.
    stored = stored_tickets(registry)
    assert {title: ids for title, ids in stored.items() if len(ids) > 1} == {}
    assert all(stored.get(title) == [ticket] for title, ticket in seen.acknowledged.items())
    every, whole = whole_tickets(registry)
    assert every == whole
    # During the outages: a 503 with the French page, JSON on the API; nothing else.
    assert seen.unavailable_pages, "the outages were seen"
    assert set(seen.statuses) <= {303, 503, 0}, sorted(set(seen.statuses))
    assert all(UNAVAILABLE in page and "Traceback" not in page for page in seen.unavailable_pages)
    unavailable_api = [json.loads(body) for status, body in seen.api_answers if status == 503]
    assert unavailable_api and all(UNAVAILABLE in answer["error"] for answer in unavailable_api)
    assert {status for status, _ in seen.api_answers} <= {200, 503}
    # The audit log still verifies.
    verify = [str(BIN / "cagou"), "-c", str(ROOT / "production.ini"), "audit", "verify"]
    result = subprocess.run(verify, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    print("recovered in", [f"{seconds:.2f} s" for seconds in recoveries])


def mails_sent_after(registry, mail_id: int | None) -> bool:
    with transaction_scope(registry) as request:
        statuses = list(request.db.scalars(sa.select(OutboxMail.status).where(OutboxMail.id > (mail_id or 0))))
    return bool(statuses) and all(status == SENT for status in statuses)


def test_an_acknowledgement_whose_job_ran_during_an_outage_is_sent_once_the_database_is_back(cluster, platform):
    """The worker took the job, then PostgreSQL went away: the job failed, and its retry could not be written."""
    _settings, registry, bureau = platform
    data = TicketInput(title="Écran noir", description="Depuis ce matin.", category=CATEGORY)
    with transaction_scope(registry) as request:
        requester = request.find_service(IAccounts).by_login(bureau.agents[0])
        ticket_id = request.find_service(ITickets).open(data, requester).id
    cluster.stop("immediate")
    try:
        with pytest.raises(sa.exc.OperationalError):
            run_queued_job(registry, "helpdesk.acknowledge", {"ticket_id": ticket_id})
    finally:
        cluster.start()
    assert acknowledgement_mails(registry, ticket_id) == []
    # The sweep, every minute on the worker, finds the ticket (no grace here: no job is on its way).
    assert acknowledge_forgotten(registry, grace=datetime.timedelta(0)) == 1
    assert acknowledgement_mails(registry, ticket_id) == [SENT]
    # A retry that did survive somewhere writes and sends nothing more.
    run_queued_job(registry, "helpdesk.acknowledge", {"ticket_id": ticket_id})
    assert acknowledge_forgotten(registry, grace=datetime.timedelta(0)) == 0
    assert acknowledgement_mails(registry, ticket_id) == [SENT]
    assert len(mailbox.Maildir(registry.settings["cagou.mail.folder"])) == 1


def acknowledgement_mails(registry, ticket_id: int) -> list[str]:
    """The statuses of the ticket's acknowledgements in the outbox; the ticket is marked acknowledged with them."""
    key = f"helpdesk.ticket.{ticket_id}.acknowledgement"
    with transaction_scope(registry) as request:
        statuses = list(request.db.scalars(sa.select(OutboxMail.status).where(OutboxMail.idempotency_key == key)))
        acknowledged = request.db.get_one(Ticket, ticket_id).acknowledged_at is not None
    assert acknowledged == bool(statuses)
    return statuses
