"""A new ticket's acknowledgement, composed by the worker: written once whatever the runs, never lost.

The request queues ``helpdesk.acknowledge`` in its transaction; the job
writes the mail and marks the ticket acknowledged in one transaction, with
the outbox's idempotency key, and the sweep ``helpdesk.acknowledge.sweep``
runs it again for a ticket whose job was lost. The outage itself (a job run
while PostgreSQL is away) is in test_database_outage.py.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from cagou.db import transaction_scope
from cagou.interfaces import IAccounts
from cagou.jobs.services import get_huey
from cagou.mail.models import OutboxMail
from cagou.testing import delivered_mail, is_postgresql, run_jobs
from cagou_helpdesk import jobs
from cagou_helpdesk.checks import TicketInput
from cagou_helpdesk.interfaces import ITickets
from cagou_helpdesk.models import MailLink, Ticket

SUBJECT = "[HD-000001] Demande enregistrée : Le VPN refuse ma connexion"


def open_ticket(registry) -> int:
    data = TicketInput(title="Le VPN refuse ma connexion", description="Erreur 809.", category="Réseau > VPN")
    with transaction_scope(registry) as request:
        ticket = request.find_service(ITickets).open(data, request.find_service(IAccounts).by_login("agent"))
        return ticket.id


def acknowledgements(registry) -> list[str]:
    """The subjects of the acknowledgements delivered (the queued jobs run first)."""
    return [mail["Subject"] for mail in delivered_mail(registry) if "Demande enregistrée" in mail["Subject"]]


def outbox_and_links(registry, ticket_id: int) -> tuple[int, int]:
    with transaction_scope(registry) as request:
        mails = request.db.scalar(sa.select(sa.func.count()).select_from(OutboxMail))
        links = request.db.scalar(
            sa.select(sa.func.count()).where(MailLink.ticket_id == ticket_id, MailLink.incoming.is_(False))
        )
    return mails or 0, links or 0


def acknowledged_at(registry, ticket_id: int):
    with transaction_scope(registry) as request:
        return request.db.get_one(Ticket, ticket_id).acknowledged_at


def forget_acknowledgement(registry, ticket_id: int) -> None:
    """As a second run sees the ticket when it read it before the first run committed."""
    with transaction_scope(registry) as request:
        request.db.get_one(Ticket, ticket_id).acknowledged_at = None


def test_opening_a_ticket_queues_its_acknowledgement_which_the_worker_writes(registry, helpdesk):
    ticket_id = open_ticket(registry)
    assert acknowledged_at(registry, ticket_id) is None
    assert outbox_and_links(registry, ticket_id) == (0, 0)  # the request wrote no mail
    assert acknowledgements(registry) == [SUBJECT]
    assert acknowledged_at(registry, ticket_id) is not None
    assert outbox_and_links(registry, ticket_id) == (1, 1)


def test_the_job_run_twice_writes_and_sends_one_mail(registry, helpdesk):
    ticket_id = open_ticket(registry)
    huey = get_huey(registry)
    task = huey.dequeue()
    assert task is not None and task.args[0] == "helpdesk.acknowledge"
    huey.execute(task)
    # Run again, as huey retries a job whose failure came after its commit.
    huey.execute(task)
    assert acknowledgements(registry) == [SUBJECT]
    # Run again by a worker that read the ticket before the first run committed: the outbox's key holds.
    forget_acknowledgement(registry, ticket_id)
    jobs.acknowledge(registry, ticket_id)
    assert acknowledgements(registry) == [SUBJECT]
    assert outbox_and_links(registry, ticket_id) == (1, 1)
    assert acknowledged_at(registry, ticket_id) is not None


def test_a_job_lost_by_the_worker_is_swept_and_the_acknowledgement_sent_once(registry, helpdesk, clock):
    ticket_id = open_ticket(registry)
    huey = get_huey(registry)
    assert huey.dequeue() is not None  # the worker takes the job, and is killed before it runs it
    assert acknowledgements(registry) == []
    # Within the grace a job may still be on its way: the sweep leaves the ticket alone.
    clock.advance(minutes=2)
    assert jobs.acknowledge_forgotten(registry) == 0
    assert acknowledgements(registry) == []
    clock.advance(minutes=2)
    assert jobs.acknowledge_forgotten(registry) == 1
    assert acknowledgements(registry) == [SUBJECT]
    # Swept once: the next minute's sweep finds nothing, and sends nothing again.
    clock.advance(minutes=1)
    assert jobs.acknowledge_forgotten(registry) == 0
    assert acknowledgements(registry) == [SUBJECT]
    assert outbox_and_links(registry, ticket_id) == (1, 1)


def test_the_sweep_is_a_scheduled_job_of_the_helpdesk(registry, helpdesk, clock):
    from cagou.jobs.services import scheduled_jobs

    sweep = {job.name: job for module, job in scheduled_jobs(registry) if module == "helpdesk"}
    assert sweep["helpdesk.acknowledge.sweep"].schedule == "* * * * *"
    assert sweep["helpdesk.acknowledge.sweep"].run is jobs.sweep_acknowledgements
    ticket_id = open_ticket(registry)
    get_huey(registry).flush()  # its job lost
    clock.advance(minutes=4)
    sweep["helpdesk.acknowledge.sweep"].run(registry)
    assert acknowledgements(registry) == [SUBJECT]
    assert outbox_and_links(registry, ticket_id) == (1, 1)


def test_a_ticket_opened_while_its_requester_has_no_usable_address_is_acknowledged_without_mail(registry, helpdesk):
    with transaction_scope(registry) as request:
        request.find_service(IAccounts).by_login("agent").email = "pas une adresse"
    ticket_id = open_ticket(registry)
    run_jobs(registry)
    assert acknowledged_at(registry, ticket_id) is not None  # the sweep will not try again
    assert outbox_and_links(registry, ticket_id) == (0, 0)


@pytest.mark.postgresql
@pytest.mark.skipif(not is_postgresql(), reason="two workers at once: PostgreSQL's row and index locks")
def test_two_workers_acknowledging_at_once_write_and_send_one_mail(registry, helpdesk):
    """The second worker reads the ticket before the first commits: its INSERT waits, then writes nothing."""
    ticket_id = open_ticket(registry)
    get_huey(registry).flush()  # the job is run by the two workers below
    first_wrote, first_commits = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction_scope(registry) as request:
                ticket = request.db.get_one(Ticket, ticket_id)
                assert request.find_service(ITickets).acknowledge(ticket) is not None
                first_wrote.set()
                first_commits.wait(10)
        except BaseException as error:  # reported by the test's thread
            errors.append(error)
            first_wrote.set()

    def second() -> None:
        try:
            first_wrote.wait(10)
            jobs.acknowledge(registry, ticket_id)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_wrote.wait(10)
    threads[1].join(1.0)
    assert threads[1].is_alive(), "the second worker's INSERT waits for the first's commit"
    first_commits.set()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert acknowledgements(registry) == [SUBJECT]
    assert outbox_and_links(registry, ticket_id) == (1, 1)
