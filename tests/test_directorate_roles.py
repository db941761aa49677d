"""Roles granted within a directorate apply to the objects of that directorate and the services below it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cagou.db import transaction_scope
from cagou.demo import ensure_directorates
from cagou.interfaces import IAccounts
from cagou.testing import login
from cagou_sample.models import SampleNote


@pytest.fixture
def notes(registry, demonstration) -> dict[str, int]:
    with transaction_scope(registry) as request:
        return {note.title: note.id for note in request.db.scalars(sa.select(SampleNote))}


def grant(registry, role: str, directorate_code: str | None = None) -> None:
    with transaction_scope(registry) as request:
        accounts = request.find_service(IAccounts)
        directorate = ensure_directorates(request)[directorate_code] if directorate_code else None
        accounts.grant(accounts.by_login("agent"), role, directorate)


def edit_status(app, note_id: int) -> int:
    return app.get(f"/intranet/exemple/{note_id}/modifier", expect_errors=True).status_int


def test_without_the_role_nobody_edits(app, registry, notes):
    login(app, "agent", "demo-agent-2026")
    assert edit_status(app, notes["Première note"]) == 403


def test_a_role_within_a_directorate_covers_its_services_only(app, registry, notes):
    grant(registry, "sample:editor", "DEFE")  # the note "Première note" belongs to DEFE-SAE, a service of DEFE
    login(app, "agent", "demo-agent-2026")
    assert edit_status(app, notes["Première note"]) == 200
    assert edit_status(app, notes["Seconde note"]) == 403  # DSI's


def test_a_platform_wide_grant_covers_every_directorate(app, registry, notes):
    grant(registry, "sample:editor")
    login(app, "agent", "demo-agent-2026")
    assert edit_status(app, notes["Première note"]) == 200
    assert edit_status(app, notes["Seconde note"]) == 200


def test_an_unknown_object_is_not_found(app, registry, notes):
    grant(registry, "sample:editor")
    login(app, "agent", "demo-agent-2026")
    assert edit_status(app, 999_999) == 404
