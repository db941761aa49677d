"""The urgency × impact matrix; tickets already open keep their priority."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from pyramid.view import view_config

from cagou.kit import FormErrors, Invalid, TextField, form_class, submit
from cagou_helpdesk import rules
from cagou_helpdesk.admin.common import PERMISSION, TEMPLATES, at_most_10, base_values, record
from cagou_helpdesk.models import (
    IMPACTS,
    PRIORITIES,
    URGENCIES,
    PriorityRule,
)


def cell_name(urgency: int, impact: int) -> str:
    return f"cell-{urgency}-{impact}"


#: One field per cell of the matrix, built from the urgencies and impacts.
MatrixForm = form_class(
    "MatrixForm",
    {cell_name(urgency, impact): TextField(filters=[at_most_10]) for urgency in URGENCIES for impact in IMPACTS},
)


def save_matrix(request: Request, form: Mapping[str, str]) -> dict[tuple[int, int], tuple[int, int]]:
    """Write the nine cells; the cells that changed, as (before, after). Raises :class:`Invalid`."""
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


def priorities_values(
    request: Request, errors: FormErrors | None = None, form: Mapping[str, str] | None = None
) -> dict[str, Any]:
    matrix = rules.priority_matrix(request)
    selected = {
        (u, i): str(form.get(cell_name(u, i), "")) if form is not None else str(matrix[(u, i)])
        for u in URGENCIES
        for i in IMPACTS
    }
    values = base_values(request, "helpdesk.admin.priorities")
    values.update(
        urgencies=URGENCIES,
        impacts=IMPACTS,
        priorities=PRIORITIES,
        selected=selected,
        defaults=rules.DEFAULT_MATRIX,
        cell_name=cell_name,
        errors=errors or FormErrors(),
    )
    return values


@view_config(
    route_name="helpdesk.admin.priorities",
    request_method="GET",
    renderer=TEMPLATES + "admin_priorities.jinja2",
    permission=PERMISSION,
)
def priorities(request: Request) -> dict[str, Any]:
    return priorities_values(request)


@view_config(
    route_name="helpdesk.admin.priorities",
    request_method="POST",
    renderer=TEMPLATES + "admin_priorities.jinja2",
    permission=PERMISSION,
)
def priorities_save(request: Request) -> Any:
    return submit(
        request,
        MatrixForm(request.POST),
        lambda form: save_matrix(request, form.data),
        message=matrix_message,
        redirect_to=request.route_path("helpdesk.admin.priorities"),
        render=lambda form: priorities_values(request, form.field_errors(), form.data),
    )


def matrix_message(changed: Mapping[tuple[int, int], tuple[int, int]]) -> str:
    if not changed:
        return "Aucune modification."
    cells = "1 case modifiée" if len(changed) == 1 else f"{len(changed)} cases modifiées"
    return f"Matrice des priorités enregistrée ({cells}) : elle s'applique aux nouveaux tickets."
