"""The urgency × impact matrix's changes; tickets already open keep their priority."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from zope.interface import implementer

from cagou.kit import FormErrors, Invalid
from cagou_helpdesk import rules
from cagou_helpdesk.checks import cell_name
from cagou_helpdesk.interfaces import IPriorities
from cagou_helpdesk.models import IMPACTS, PRIORITIES, URGENCIES, PriorityRule
from cagou_helpdesk.services.common import record


@implementer(IPriorities)
class PriorityService:
    """The priority matrix of the request's database, changed in the request's transaction."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def save_matrix(self, form: Mapping[str, str]) -> dict[tuple[int, int], tuple[int, int]]:
        """Write the nine cells; the cells that changed, as (before, after). Raises :class:`Invalid`."""
        request = self.request
        errors = FormErrors()
        wanted: dict[tuple[int, int], int] = {}
        for urgency in URGENCIES:
            for impact in IMPACTS:
                name = cell_name(urgency, impact)
                value = str(form.get(name, "")).strip()
                if value.isdigit() and int(value) in PRIORITIES:
                    wanted[(urgency, impact)] = int(value)
                else:
                    errors.add(
                        name,
                        f"Urgence « {URGENCIES[urgency].lower()} », impact « {IMPACTS[impact].lower()} » : "
                        "choisissez une priorité de la liste.",
                    )
        if errors:
            raise Invalid(errors)
        current = rules.priority_matrix(request)
        changed = {cell: (current[cell], priority) for cell, priority in wanted.items() if current[cell] != priority}
        if not changed:
            return {}
        stored = {(rule.urgency, rule.impact): rule for rule in request.db.scalars(sa.select(PriorityRule))}
        for (urgency, impact), priority in wanted.items():
            rule = stored.get((urgency, impact))
            if rule is None:
                request.db.add(PriorityRule(urgency=urgency, impact=impact, priority=priority))
            else:
                rule.priority = priority
        request.db.flush()
        described = "; ".join(
            f"urgence {URGENCIES[u].lower()} × {IMPACTS[i].lower()} : P{before} → P{after}"
            for (u, i), (before, after) in sorted(changed.items(), reverse=True)
        )
        record(
            request,
            "priority_matrix:update",
            f"Matrice des priorités modifiée ({described}).",
            "priority_matrix",
            None,
            {f"{u}-{i}": before for (u, i), (before, _) in changed.items()},
            {f"{u}-{i}": after for (u, i), (_, after) in changed.items()},
        )
        return changed


def priority_service_factory(context: Any, request: Request) -> PriorityService:
    return PriorityService(request)
