"""The scheduled work: drafts expire after a reminder; applications are anonymised after their retention period."""

from __future__ import annotations

import sqlalchemy as sa
from cagou_aids.interfaces import IDrafts
from cagou_aids.jobs import apply_retention, expire_drafts
from cagou_aids.models import Application, Draft, Procedure
from pyramid.registry import Registry
from test_services import published, submit

from cagou.clock import FrozenClock
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
