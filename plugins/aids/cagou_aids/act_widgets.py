"""The signatories' widget on the intranet home, « Actes à signer »: the unsigned acts (rectificatifs included) of
the procedures of the directorates where the agent holds ``aids:act:sign`` (the role ``aids:signer``)."""

from __future__ import annotations

import sqlalchemy as sa
from pyramid.request import Request

from cagou.kit import Widget
from cagou_aids.models import Procedure
from cagou_aids.models.acts import UNSIGNED, Act, ActLine
from cagou_aids.queries import procedures_all
from cagou_aids.services.acts import SIGN
from cagou_aids.views.instruction import ProcedureContext

#: How many acts the widget lists, oldest first (the count says how many there are; each procedure's acts page
#: has them all).
SHOWN = 5


def signable_procedures(request: Request) -> list[Procedure]:
    return [p for p in procedures_all(request.db) if request.has_permission(SIGN, ProcedureContext(request, p))]


def acts_to_sign(request: Request, procedures: list[Procedure]) -> list[tuple[Act, int]]:
    """The unsigned acts of ``procedures``, oldest first, each with its number of beneficiaries (one query)."""
    if not procedures:
        return []
    beneficiaries = sa.func.count(ActLine.id)
    statement = (
        sa.select(Act, beneficiaries).outerjoin(ActLine, ActLine.act_id == Act.id)
        .where(Act.procedure_id.in_([p.id for p in procedures]), Act.state == UNSIGNED)
        .group_by(Act.id).order_by(Act.created_at, Act.id)
    )  # fmt: skip
    return [(act, count) for act, count in request.db.execute(statement)]


def act_widgets(request: Request) -> list[Widget]:
    if request.identity is None or not request.can(SIGN):
        return []
    procedures = signable_procedures(request)
    waiting = acts_to_sign(request, procedures)
    titles = {p.id: p.title for p in procedures}
    values = {"rows": waiting[:SHOWN], "count": len(waiting), "titles": titles,
              "procedures": sorted({act.procedure_id for act, _count in waiting})}  # fmt: skip
    return [Widget("Actes à signer", "cagou_aids:templates/widget_acts.jinja2", values, 33, SIGN)]
