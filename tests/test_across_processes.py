"""Several processes on one database agree: module switch, job queue, mail delivery."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from cagou import configure
from cagou.db import get_engine, transaction_scope
from cagou.interfaces import IJobQueue, IMailer
from cagou.jobs.services import get_huey
from cagou.mail.models import SENT, OutboxMail
from cagou.mail.services import deliver_mail
from cagou.modules.services import module_states
from cagou.testing import free_port, is_postgresql, served, write_ini
from cagou_sample.models import SampleEvent

PLUGINS_PATH = str(Path(__file__).parent / "plugins")


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  (loopback only)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture
def other_process(tmp_path, settings):
    """The platform served by another process (waitress through pserve), on the same database."""
    ini = write_ini(tmp_path / "other.ini", settings, modules_refresh_seconds="1", listen=f"127.0.0.1:{free_port()}")
    with served(ini, {"PYTHONPATH": PLUGINS_PATH}) as base:
        yield base


@pytest.mark.slow
def test_a_module_disabled_here_disappears_in_another_process_within_two_seconds(registry, other_process):
    assert status_of(f"{other_process}/exemple/") == 200
    for enabled, expected in ((False, 404), (True, 200)):
        with transaction_scope(registry) as request:
            module_states(registry).set_enabled(request, "sample", "public", enabled)
        changed_at = time.monotonic()
        while status_of(f"{other_process}/exemple/") != expected:
            assert time.monotonic() - changed_at < 2.0, f"the other process does not answer {expected} yet"
            time.sleep(0.05)


@pytest.mark.slow
def test_several_workers_run_each_job_exactly_once(registry):
    """Two consumers with two threads each share the queue (PostgreSQL or SQLite storage)."""
    with transaction_scope(registry) as request:
        for number in range(120):
            request.find_service(IJobQueue).enqueue("sample.echo", text=f"tâche {number}")
    huey = get_huey(registry)
    assert huey.pending_count() == 120
    consumers = [huey.create_consumer(workers=2, worker_type="thread", periodic=False) for _ in range(2)]
    for consumer in consumers:
        consumer.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with transaction_scope(registry) as request:
                done = request.db.scalar(sa.select(sa.func.count()).where(SampleEvent.kind == "echo"))
            if done >= 120 and huey.pending_count() == 0:
                break
            time.sleep(0.2)
    finally:
        for consumer in consumers:
            consumer.stop(graceful=True)
    with transaction_scope(registry) as request:
        details = list(request.db.scalars(sa.select(SampleEvent.detail).where(SampleEvent.kind == "echo")))
    assert sorted(details) == sorted(f"tâche {number}" for number in range(120))


@pytest.mark.skipif(not is_postgresql(), reason="row locks with SKIP LOCKED are PostgreSQL's")
def test_two_workers_never_send_the_same_mail(settings, tmp_path):
    registry = configure(settings).registry
    with transaction_scope(registry) as request:
        mail_id = request.find_service(IMailer).send("jeanne.martin@example.nc", "Une seule fois", "Bonjour")
    sent: list[bool] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        barrier.wait()
        sent.append(deliver_mail(registry, mail_id))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sent.count(True) == 1
    with transaction_scope(registry) as request:
        assert request.db.get(OutboxMail, mail_id).status == SENT
    import mailbox

    assert len(mailbox.Maildir(settings["cagou.var"] + "/mail", create=False)) == 1
    get_engine(registry).dispose()
