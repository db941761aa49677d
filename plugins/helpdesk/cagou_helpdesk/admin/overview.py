"""The administration's first page: what is configured, at a glance."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from cagou_helpdesk import rules
from cagou_helpdesk.admin.categories import default_group_code, groups
from cagou_helpdesk.admin.common import PERMISSION, TEMPLATES, base_values
from cagou_helpdesk.checks import format_minutes
from cagou_helpdesk.models import (
    PRIORITIES,
)
from cagou_helpdesk.tree import load_tree


@view_config(
    route_name="helpdesk.admin",
    request_method="GET",
    renderer=TEMPLATES + "admin_index.jinja2",
    permission=PERMISSION,
)
def overview(request: Request) -> dict[str, Any]:
    tree = load_tree(request)
    nodes = tree.ordered()
    values = base_values(request, "helpdesk.admin")
    values.update(
        categories=len(nodes),
        inactive=sum(1 for node in nodes if not node.category.active),
        groups=groups(request),
        default_group=default_group_code(request),
        custom_cells=sum(
            1 for cell, value in rules.priority_matrix(request).items() if rules.DEFAULT_MATRIX[cell] != value
        ),
        levels=rules.service_levels(request),
        priorities=PRIORITIES,
        format_minutes=format_minutes,
    )
    return values
