"""The instructors' widgets of part 2 on the intranet home: "Mes dossiers en attente" (assigned to me, waiting for
an instructor) and "En attente de ma validation" (proposed files the four-eyes rule lets me validate)."""

from __future__ import annotations

from pyramid.request import Request

from cagou.kit import Widget
from cagou_aids.assignment import to_validate, waiting_for_me
from cagou_aids.views.instruction import READ, readable_procedures

#: How many files each widget lists (the count says how many there are; "Mes dossiers" has them all).
SHOWN = 5


def assignment_widgets(request: Request) -> list[Widget]:
    if request.identity is None or not request.can(READ):
        return []
    waiting = waiting_for_me(request.db, request.identity.id)
    validating = to_validate(request, readable_procedures(request), request.identity)
    template = "cagou_aids:templates/widget_files.jinja2"
    return [
        Widget("Mes dossiers en attente", template, {"rows": waiting[:SHOWN], "count": len(waiting),
               "empty": "Aucun dossier attribué n'attend votre action."}, 31, READ),
        Widget("En attente de ma validation", template, {"rows": validating[:SHOWN], "count": len(validating),
               "empty": "Aucune proposition n'attend votre validation."}, 32, READ),
    ]  # fmt: skip
