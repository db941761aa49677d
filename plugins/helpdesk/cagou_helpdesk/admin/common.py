"""What the administration's pages share: their permission, their tabs, the audit entry of a change."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from pyramid.request import Request

from cagou.kit import FormErrors, IAuditLog
from cagou_helpdesk import rules

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


def record(
    request: Request,
    action: str,
    summary: str,
    object_type: str,
    object_id: object | None = None,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> None:
    """One audit entry ``helpdesk:<action>`` for a change of the configuration."""
    changes = None if before is None and after is None else {"before": before, "after": after}
    request.find_service(IAuditLog).record(
        f"helpdesk:{action}",
        summary,
        module=rules.MODULE,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        changes=changes,
    )


def sort_key(text: str) -> str:
    """Alphabetical order as people expect it: accents and case do not count (« Écran » after « Disque »)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def tidy(text: str) -> str:
    """Spaces trimmed and runs of spaces (or line breaks) reduced to one."""
    return " ".join(text.split())


def check_name(errors: FormErrors, name: str, value: str, label: str, maximum: int) -> str:
    value = tidy(value)
    if not value:
        errors.add(name, f"{label} est obligatoire.")
    elif len(value) > maximum:
        errors.add(name, f"{label} fait {maximum} caractères au plus (vous en avez saisi {len(value)}).")
    return value


def base_values(request: Request, section: str) -> dict[str, Any]:
    return {"sections": SECTIONS, "section": section, "errors": FormErrors()}


def at_most_1000(value: str) -> str:
    """What a text field of the administration keeps of what was sent: the checks say when it is too long."""
    return value[:1000]


def at_most_10(value: str) -> str:
    """What a number field of the administration keeps of what was sent."""
    return value[:10]
