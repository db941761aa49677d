"""The urgency × impact matrix; tickets already open keep their priority."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from cagou.kit import FormErrors, TextField, form_class, submit
from cagou_helpdesk import rules
from cagou_helpdesk.admin.common import PERMISSION, TEMPLATES, at_most_10, base_values
from cagou_helpdesk.checks import cell_name
from cagou_helpdesk.interfaces import IPriorities
from cagou_helpdesk.models import (
    IMPACTS,
    PRIORITIES,
    URGENCIES,
)

#: One field per cell of the matrix, built from the urgencies and impacts.
MatrixForm = form_class(
    "MatrixForm",
    {cell_name(urgency, impact): TextField(filters=[at_most_10]) for urgency in URGENCIES for impact in IMPACTS},
)


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
        lambda form: request.find_service(IPriorities).save_matrix(form.data),
        message=matrix_message,
        redirect_to=request.route_path("helpdesk.admin.priorities"),
        render=lambda form: priorities_values(request, form.field_errors(), form.data),
    )


def matrix_message(changed: Mapping[tuple[int, int], tuple[int, int]]) -> str:
    if not changed:
        return "Aucune modification."
    cells = "1 case modifiée" if len(changed) == 1 else f"{len(changed)} cases modifiées"
    return f"Matrice des priorités enregistrée ({cells}) : elle s'applique aux nouveaux tickets."
