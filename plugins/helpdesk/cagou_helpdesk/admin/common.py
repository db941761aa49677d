"""What the administration's pages share: their permission, their tabs, the length of what they keep."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from cagou.kit import FormErrors

PERMISSION = "helpdesk:settings:manage"
PREFIX = "/assistance/administration"
TEMPLATES = "cagou_helpdesk:templates/"

#: The administration's sections, in the order of its tabs.
SECTIONS: dict[str, str] = {
    "helpdesk.admin": "Vue d'ensemble",
    "helpdesk.admin.categories": "Catégories",
    "helpdesk.admin.groups": "Groupes de techniciens",
    "helpdesk.admin.priorities": "Priorités",
    "helpdesk.admin.service_levels": "Niveaux de service",
}


def base_values(request: Request, section: str) -> dict[str, Any]:
    return {"sections": SECTIONS, "section": section, "errors": FormErrors()}


def at_most_1000(value: str) -> str:
    """What a text field of the administration keeps of what was sent: the checks say when it is too long."""
    return value[:1000]


def at_most_10(value: str) -> str:
    """What a number field of the administration keeps of what was sent."""
    return value[:10]
