"""Background jobs and transaction-aware mail, on the real queue and a real SMTP server."""

from __future__ import annotations

import base64
import datetime
import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from psycopg import sql

from cagou import configure
from cagou.db import get_engine, transaction_scope
from cagou.demo import load_demo
from cagou.interfaces import IAccounts, IJobQueue, IMailer
from cagou.jobs.models import ScheduledRun
from cagou.jobs.services import claim_slot, cron_matcher, get_huey, run_due_jobs
from cagou.mail.delivery import FolderDelivery, in_arrival_order
from cagou.mail.models import FAILED, PENDING, SENT, OutboxMail
from cagou.mail.services import count_due_deliveries
from cagou.modules.services import module_states
from cagou.plugins import get_plugins
from cagou.testing import csrf_token, delivered_mail, is_postgresql, login, run_jobs, write_ini
from cagou_sample.models import SampleEvent


class Inbox(Message):
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:
        self.messages.append(email.message_from_bytes(message.as_bytes(), policy=default))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_settings(settings, smtp_port):
    return {
        **settings,
        "cagou.mail.delivery": "smtp",
        "cagou.mail.smtp_host": "127.0.0.1",
        "cagou.mail.smtp_port": str(smtp_port),
    }


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


def send(registry, to="jeanne.martin@example.nc", subject="Votre dossier", fail=False) -> int:
    with transaction_scope(registry) as request:
        mail_id = request.find_service(IMailer).send(to, subject, "Bonjour,\nvotre dossier avance.")
        if fail:
            raise RuntimeError("la requête échoue après l'envoi")
    return mail_id


def outbox(registry) -> list[OutboxMail]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)))


# -- mail ------------------------------------------------------------------------


def test_nothing_leaves_when_the_transaction_aborts(registry):
    with pytest.raises(RuntimeError):
        send(registry, fail=True)
    assert outbox(registry) == []
    assert get_huey(registry).pending_count() == 0


def test_a_mail_with_an_idempotency_key_is_written_once_whoever_sends_it(registry):
    """A job run twice sends its mail once: the second send of the key writes nothing and queues nothing."""
    with transaction_scope(registry) as request:
        first = request.find_service(IMailer).send("jeanne.martin@example.nc", "Reçu", "Un.", key="test.42.receipt")
    with transaction_scope(registry) as request:
        mailer = request.find_service(IMailer)
        assert mailer.send("jeanne.martin@example.nc", "Reçu", "Deux.", key="test.42.receipt") is None
        other = mailer.send("jeanne.martin@example.nc", "Reçu", "Trois.", key="test.43.receipt")
    assert first is not None and other is not None
    assert [(mail.id, mail.idempotency_key) for mail in outbox(registry)] == [
        (first, "test.42.receipt"),
        (other, "test.43.receipt"),
    ]
    assert run_jobs(registry) == 2
    assert [message.get_payload(decode=True).decode() for message in delivered_mail(registry)] == ["Un.", "Trois."]


def test_mail_lands_in_the_development_folder_and_the_console_shows_it(app, registry):
    send(registry, subject="Accusé de réception")
    assert run_jobs(registry) == 1
    [mail] = outbox(registry)
    assert mail.status == SENT
    [message] = delivered_mail(registry)
    assert message["Subject"] == "Accusé de réception"
    assert message["Message-ID"] == mail.message_id
    with transaction_scope(registry) as request:
        load_demo(request)
    login(app, "admin", "demo-admin-2026")
    page = app.get("/intranet/console/courriels/")
    link = page.html.find("a", string="Accusé de réception")
    assert link is not None
    detail = app.get(link["href"])
    assert "votre dossier avance" in detail.text
    app.get("/intranet/console/courriels/..%2F..%2Fetc", status=404)


def test_the_console_dates_sent_mail_in_noumea_time_in_french(app, registry):
    """The Date header is English and UTC (RFC 5322); the console shows it as its other dates, local and French."""
    send(registry, subject="Accusé de réception")
    assert run_jobs(registry) == 1
    [mail] = outbox(registry)
    noumea = mail.created_at.astimezone(datetime.timezone(datetime.timedelta(hours=11)))
    expected = noumea.strftime("%d/%m/%Y %H:%M:%S")
    with transaction_scope(registry) as request:
        load_demo(request)
    login(app, "admin", "demo-admin-2026")
    page = app.get("/intranet/console/courriels/")
    [cell] = [row.find("td") for row in page.html.select("tbody tr")]
    assert cell.get_text(strip=True) == expected
    detail = app.get(page.html.find("a", string="Accusé de réception")["href"])
    assert expected in detail.text
    assert "+0000" not in detail.text and "+0000" not in page.text


def test_mail_of_the_same_second_is_read_in_the_order_it_arrived(tmp_path):
    # The Date header has no fraction of a second, and the second Message-ID
    # sorts before the first: only the order of delivery tells them apart.
    folder = tmp_path / "mail"
    for subject, message_id in (("Premier", "<b@cagou.test>"), ("Second", "<a@cagou.test>")):
        message = EmailMessage()
        message["Subject"], message["Message-ID"] = subject, message_id
        message["Date"] = "Mon, 23 Mar 2026 09:00:00 +0000"
        FolderDelivery(folder).deliver(message)
    assert [message["Subject"] for _key, message in in_arrival_order(folder)] == ["Premier", "Second"]


def test_mail_goes_through_a_real_smtp_server(smtp_settings, smtp_port):
    registry = configure(smtp_settings).registry
    controller, inbox = start_smtp(smtp_port)
    try:
        send(registry, to="paul.wahetra@province-sud.example.nc", subject="Réunion de crise")
        run_jobs(registry)
    finally:
        controller.stop()
    [message] = inbox.messages
    assert message["To"] == "paul.wahetra@province-sud.example.nc"
    assert message["Subject"] == "Réunion de crise"
    assert message["Auto-Submitted"] == "auto-generated"
    assert "votre dossier avance" in message.get_content()
    assert outbox(registry)[0].status == SENT
    get_engine(registry).dispose()


def test_attached_files_go_through_a_real_smtp_server_and_stay_encrypted_meanwhile(smtp_settings, smtp_port):
    registry = configure(smtp_settings).registry
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    with transaction_scope(registry) as request:
        request.find_service(IMailer).send(
            "paul.wahetra@province-sud.example.nc", "Récépissé", "Votre récépissé est joint.",
            attachments=[("récépissé RAP-2026-000001.pdf", "application/pdf", pdf), ("notes.txt", "text/plain", b"ok")],
        )  # fmt: skip
    [row] = outbox(registry)
    # Kept as a Fernet token (ciphertext, in base64): neither the file's base64 nor its name shows. (Three letters
    # such as "PDF" may well appear in 14 kB of base64 by chance: the check is on longer runs.)
    stored = row.attachments or ""
    assert stored.startswith("gAAAAA")
    assert base64.b64encode(pdf[:48]).decode() not in stored and "RAP-2026-000001" not in stored
    controller, inbox = start_smtp(smtp_port)
    try:
        run_jobs(registry)
    finally:
        controller.stop()
    [message] = inbox.messages
    assert "Votre récépissé est joint." in message.get_body(("plain",)).get_content()
    files = [(part.get_filename(), part.get_content_type(), part.get_content()) for part in message.iter_attachments()]
    assert files == [("récépissé RAP-2026-000001.pdf", "application/pdf", pdf), ("notes.txt", "text/plain", "ok")]
    get_engine(registry).dispose()


def test_mail_waits_while_the_smtp_server_is_down_then_leaves(smtp_settings, smtp_port):
    from pyramid.config import Configurator

    from cagou.clock import FrozenClock
    from cagou.interfaces import IClock

    registry = configure(smtp_settings).registry
    clock = FrozenClock(datetime.datetime(2026, 3, 24, 1, 0, tzinfo=datetime.UTC))
    config = Configurator(registry=registry)
    config.register_service(clock, IClock)
    config.commit()

    send(registry)
    run_jobs(registry)  # the server is down
    [mail] = outbox(registry)
    assert mail.status == PENDING
    assert mail.attempts == 1
    assert "ConnectionRefusedError" in (mail.last_error or "")
    assert mail.next_attempt_at == clock.now() + datetime.timedelta(minutes=1)

    controller, inbox = start_smtp(smtp_port)
    try:
        assert count_due_deliveries(registry) == 0  # not due yet
        clock.advance(minutes=1)
        assert count_due_deliveries(registry) == 1
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    assert outbox(registry)[0].status == SENT
    get_engine(registry).dispose()


def test_mail_fails_for_good_after_the_last_attempt_and_health_says_so(smtp_settings):
    registry = configure({**smtp_settings, "cagou.mail.max_attempts": "2"}).registry
    from cagou.mail.services import deliver_mail

    mail_id = send(registry)
    assert not deliver_mail(registry, mail_id)
    assert not deliver_mail(registry, mail_id)
    assert outbox(registry)[0].status == FAILED
    with transaction_scope(registry) as request:
        checks = get_plugins(registry).call("cagou_health_checks", ["core"], request=request)
    mail_check = next(check for answer in checks for check in answer if check.name == "courriels")
    assert not mail_check.ok
    get_engine(registry).dispose()


def test_bad_addresses_are_refused(registry):
    with pytest.raises(ValueError, match="Adresse électronique invalide"), transaction_scope(registry) as request:
        request.find_service(IMailer).send("pas une adresse", "Objet", "Corps")
    with pytest.raises(ValueError), transaction_scope(registry) as request:
        request.find_service(IMailer).send("a@b.nc\nBcc: x@y.nc", "Objet", "Corps")


# -- jobs ------------------------------------------------------------------------


def grant_reader(registry) -> None:
    with transaction_scope(registry) as request:
        load_demo(request)
        accounts = request.find_service(IAccounts)
        accounts.grant(accounts.by_login("agent"), "sample:reader")


def events(registry, kind: str) -> list[str]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.select(SampleEvent.detail).where(SampleEvent.kind == kind)))


def test_a_job_exists_only_if_the_request_commits(app, registry):
    grant_reader(registry)
    page = login(app, "agent", "demo-agent-2026")
    token = csrf_token(page)
    app.post("/intranet/exemple/ajouter", {"title": "Échouera", "fail": "1", "csrf_token": token}, status=500)
    assert get_huey(registry).pending_count() == 0
    app.post("/intranet/exemple/ajouter", {"title": "Réussira", "csrf_token": token})
    assert get_huey(registry).pending_count() == 1
    assert run_jobs(registry) == 1
    assert events(registry, "echo") == ["Réussira"]


@pytest.mark.skipif(not is_postgresql(), reason="huey's queue shares the database on PostgreSQL only")
def test_on_postgresql_a_job_is_written_by_the_requests_own_transaction(registry):
    """The job's row commits with the work that asked for it: no hand-off after the commit that could be lost."""
    huey = get_huey(registry)
    with transaction_scope(registry) as request:
        request.find_service(IJobQueue).enqueue("sample.echo", text="avec la transaction")
        in_this_transaction = request.db.scalar(sa.text("SELECT count(*) FROM huey_task"))
        seen_by_another_connection = huey.pending_count()
    assert (in_this_transaction, seen_by_another_connection) == (1, 0)
    assert huey.pending_count() == 1
    assert run_jobs(registry) == 1
    assert events(registry, "echo") == ["avec la transaction"]


@pytest.mark.skipif(not is_postgresql(), reason="huey's queue shares the database on PostgreSQL only")
def test_on_postgresql_a_committed_job_wakes_a_waiting_consumer(registry):
    """The NOTIFY goes out at the commit, not before: a listening consumer wakes once the row is visible."""
    storage = get_huey(registry).storage
    with psycopg.connect(storage.dsn, autocommit=True) as listener:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(storage.channel)))
        with transaction_scope(registry) as request:
            request.find_service(IJobQueue).enqueue("sample.echo", text="réveil")
            assert list(listener.notifies(timeout=0.2, stop_after=1)) == []
        assert [n.channel for n in listener.notifies(timeout=5, stop_after=1)] == [storage.channel]


def test_a_job_of_a_disabled_module_waits_for_it(registry):
    with transaction_scope(registry) as request:
        module_states(registry).set_enabled(request, "sample", "intranet", False)
        module_states(registry).set_enabled(request, "sample", "public", False)
        request.find_service(IJobQueue).enqueue("sample.echo", text="plus tard")
    assert run_jobs(registry) == 1
    assert events(registry, "echo") == []
    assert get_huey(registry).scheduled_count() == 1  # postponed, not dropped


def test_unknown_jobs_are_refused_at_once(registry):
    with pytest.raises(KeyError), transaction_scope(registry) as request:
        request.find_service(IJobQueue).enqueue("sample.nothing")


def test_a_failing_job_is_retried(registry, monkeypatch):
    import cagou_sample.jobs

    calls = []

    def flaky(registry, text):
        calls.append(text)
        raise RuntimeError("panne passagère")

    from cagou.jobs.services import Job, get_jobs

    get_jobs(registry)["sample.echo"] = Job("sample.echo", flaky, "sample")
    with transaction_scope(registry) as request:
        request.find_service(IJobQueue).enqueue("sample.echo", text="x")
    run_jobs(registry)
    assert calls == ["x"]
    assert get_huey(registry).scheduled_count() == 1  # the retry waits its delay
    assert cagou_sample.jobs.echo is not flaky


def test_scheduled_jobs_run_once_per_slot(registry, clock):
    clock.instant = datetime.datetime(2026, 3, 23, 21, 0, tzinfo=datetime.UTC)  # 08:00 in Nouméa
    assert "sample.tick" in run_due_jobs(registry, clock.now())
    assert "sample.tick" not in run_due_jobs(registry, clock.now())  # same minute, already claimed
    clock.advance(minutes=1)
    assert "sample.tick" not in run_due_jobs(registry, clock.now())  # */5: not due
    clock.advance(minutes=4)
    assert "sample.tick" in run_due_jobs(registry, clock.now())
    assert len(events(registry, "tick")) == 2
    with transaction_scope(registry) as request:
        runs = request.db.scalars(sa.select(ScheduledRun).where(ScheduledRun.job == "sample.tick")).all()
        assert [run.slot.astimezone(datetime.UTC).minute for run in runs] == [0, 5]
        assert all(run.finished_at is not None and run.error is None for run in runs)


def test_two_workers_claiming_the_same_slot_run_it_once(registry):
    slot = datetime.datetime(2026, 3, 23, 21, 10, tzinfo=datetime.UTC)
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def claim() -> None:
        barrier.wait()
        results.append(claim_slot(registry, "sample.tick", slot))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


def test_cron_expressions():
    monday_8 = datetime.datetime(2026, 3, 23, 8, 0)
    assert cron_matcher("0 8 * * 1")(monday_8)
    assert not cron_matcher("0 8 * * 2")(monday_8)
    assert cron_matcher("*/15 * * * *")(monday_8.replace(minute=45))
    with pytest.raises(ValueError, match="cinq champs"):
        cron_matcher("* * *")
    with pytest.raises(ValueError):
        cron_matcher("99 * * * *")


@pytest.mark.slow
def test_jobs_wait_for_the_worker_and_run_when_it_starts(tmp_path, settings, registry):
    """A job queued while no worker runs is kept, and ``cagou worker`` runs it once started."""
    with transaction_scope(registry) as request:
        request.find_service(IJobQueue).enqueue("sample.echo", text="pendant la panne")
    assert get_huey(registry).pending_count() == 1
    ini = write_ini(tmp_path / "worker.ini", settings)
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parent / "plugins")}
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "cagou"), "-c", str(ini), "worker", "--workers", "1"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not events(registry, "echo"):
            time.sleep(0.2)
        assert events(registry, "echo") == ["pendant la panne"]
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=10)
