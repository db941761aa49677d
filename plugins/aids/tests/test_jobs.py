"""The background work: drafts expire after a reminder; applications are anonymised after their retention period;
a submission's confirmation is composed by a job, once, and the sweep sends those whose job was lost."""

from __future__ import annotations

import sqlalchemy as sa
from cagou_aids.interfaces import IDrafts
from cagou_aids.jobs import apply_retention, confirm, confirm_forgotten, expire_drafts
from cagou_aids.models import Application, Draft, Procedure
from pyramid.registry import Registry
from test_services import published, submit

from cagou.clock import FrozenClock
from cagou.jobs.services import get_huey
from cagou.kit import CITIZEN, IAccounts, transaction_scope
from cagou.testing import delivered_mail


def a_draft(registry: Registry) -> str:
    procedure_id = published(registry)
    with transaction_scope(registry) as request:
        person = request.find_service(IAccounts).create("marie", "Marie", CITIZEN, email="marie@example.nc")
        return request.find_service(IDrafts).start(request.db.get(Procedure, procedure_id), person).token


def drafts(registry: Registry) -> list[str]:
    with transaction_scope(registry) as request:
        return list(request.db.scalars(sa.select(Draft.token)))


def test_a_forgotten_draft_is_recalled_once_then_deleted(registry: Registry, clock: FrozenClock) -> None:
    token = a_draft(registry)
    clock.advance(days=22)
    expire_drafts(registry)
    assert delivered_mail(registry) == [] and drafts(registry) == [token]
    clock.advance(days=2)
    expire_drafts(registry)
    expire_drafts(registry)
    [reminder] = delivered_mail(registry)
    assert reminder["Subject"].startswith("Votre brouillon « Recensement")
    assert f"/brouillon/{token}/etape/1" in reminder.get_content()
    clock.advance(days=7)
    expire_drafts(registry)
    assert drafts(registry) == []


def test_applications_past_their_retention_are_anonymised_and_audited(registry: Registry, clock: FrozenClock) -> None:
    procedure_id = published(registry)  # 24 months of retention
    receipt = submit(registry, procedure_id, "clef")
    clock.advance(days=700)
    apply_retention(registry)
    with transaction_scope(registry) as request:
        assert request.db.scalar(sa.select(Application.answers)) != {}
    clock.advance(days=40)
    apply_retention(registry)
    apply_retention(registry)
    with transaction_scope(registry) as request:
        application = request.db.scalars(sa.select(Application)).one()
        assert (application.receipt, application.answers, application.email) == (receipt, {}, "")
        summaries = request.db.scalars(
            sa.text("SELECT summary FROM audit_entry WHERE action = 'aids:retention:apply'")).all()  # fmt: skip
    assert summaries == [
        "Durée de conservation de « Recensement des résidents bloqués à l'étranger » (24 mois) : "
        "1 demande(s) anonymisée(s)."
    ]


def confirmed(registry: Registry) -> list[bool]:
    with transaction_scope(registry) as request:
        return [at is not None for at in request.db.scalars(sa.select(Application.confirmed_at))]


def test_the_confirmation_is_composed_by_a_job_once_whatever_the_runs(registry: Registry) -> None:
    procedure_id = published(registry)
    receipt = submit(registry, procedure_id, "clef")
    # Stored, and its job queued with it: the PDF is printed by the worker, not by the submission.
    assert confirmed(registry) == [False]
    with transaction_scope(registry) as request:
        application_id = request.db.scalars(sa.select(Application.id)).one()
    [message] = delivered_mail(registry)
    assert message["Subject"] == f"Demande enregistrée : {receipt}" and confirmed(registry) == [True]
    [attached] = list(message.iter_attachments())
    assert attached.get_filename() == f"recepisse-{receipt}.pdf"
    confirm(registry, application_id)  # a second run of the job (a retry, another worker)
    assert len(delivered_mail(registry)) == 1


def test_an_application_whose_job_was_lost_is_confirmed_by_the_sweep(registry: Registry, clock: FrozenClock) -> None:
    procedure_id = published(registry)
    receipt = submit(registry, procedure_id, "clef")
    get_huey(registry).flush()  # the worker took the job, and died holding it
    assert confirm_forgotten(registry) == 0  # the worker may still be on it
    assert delivered_mail(registry) == []
    clock.advance(minutes=4)
    assert confirm_forgotten(registry) == 1
    [message] = delivered_mail(registry)
    assert message["Subject"] == f"Demande enregistrée : {receipt}"
    assert confirm_forgotten(registry) == 0 and confirmed(registry) == [True]
