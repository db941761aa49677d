"""What changes the sample's notes: the form page's service (docs/plugins.md, "Services")."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from zope.interface import implementer

from cagou.kit import FormErrors, IAuditLog, Invalid, Refused
from cagou_sample.interfaces import INotes
from cagou_sample.models import SampleNote


@implementer(INotes)
class NoteService:
    def __init__(self, request: Request) -> None:
        self.request = request

    def create(self, title: str) -> SampleNote:
        """Refuses a title already taken, writes the note and its audit entry."""
        request = self.request
        if title.lower() == "interdit":
            raise Refused("Ce titre est réservé : choisissez-en un autre.", 409)
        note = SampleNote(title=title, author_id=request.identity.id)
        request.db.add(note)
        request.db.flush()
        request.find_service(IAuditLog).record(
            "sample:note:create",
            f"Note « {title} » ajoutée.",
            module="sample",
            object_type="note",
            object_id=str(note.id),
        )
        # Checked after writing on purpose (the table's unique index is case-sensitive):
        # the refusal must undo the note and its entry.
        taken = request.db.scalar(sa.select(sa.func.count()).where(sa.func.lower(SampleNote.title) == title.lower()))
        if taken > 1:
            raise Invalid(FormErrors(title=f"Une note s'intitule déjà « {title} », à la casse près."))
        return note


def note_service_factory(context: Any, request: Request) -> NoteService:
    return NoteService(request)
