"""The JSON schemas of the OpenAPI document: what each operation takes and answers."""

from __future__ import annotations

from typing import Any

from cagou.kit import (
    ApiError,
)
from cagou_helpdesk import checks
from cagou_helpdesk.api.common import DEFAULT_LIMIT, FILES, MAX_COMMENT, MAX_LIMIT, RATINGS, VIEWS
from cagou_helpdesk.models import (
    IMPACTS,
    NOTE,
    PRIORITIES,
    REPLY,
    SOURCES,
    STATUSES,
    URGENCIES,
    WAITING_FOR,
    reference_of,
)


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def required_text(maximum: int) -> dict[str, Any]:
    """A text that must say something (check_text): a visible character, ``maximum`` at most."""
    return {"type": "string", "minLength": 1, "maxLength": maximum, "pattern": r"\S"}


INSTANT: dict[str, Any] = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC (+00:00)"}
PERSON: dict[str, Any] = {
    "type": "object",
    "properties": {"login": {"type": "string"}, "display_name": {"type": "string"}},
    "required": ["login", "display_name"],
}
GROUP: dict[str, Any] = {
    "type": "object",
    "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
    "required": ["code", "name"],
}
ATTACHMENT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "filename": {"type": "string"},
        "content_type": {"type": "string", "description": "Reconnu d'après le contenu du fichier, non d'après son nom"},
        "size": {"type": "integer", "description": "octets"},
        "created_at": INSTANT,
        "message_id": nullable({"type": "integer", "description": "Son message ; null : jointe à l'ouverture"}),
        "url": {"type": "string", "description": "Où la télécharger avec le même jeton"},
    },
    "required": ["id", "filename", "content_type", "size", "created_at", "message_id", "url"],
}
CHILD: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "reference": {"type": "string", "example": "HD-000124"},
        "status": {"type": "string", "enum": list(STATUSES)},
    },
    "required": ["id", "reference", "status"],
}
MESSAGE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": [REPLY, NOTE], "description": "note : interne, jamais montrée au demandeur"},
        "author": PERSON,
        "body": {"type": "string"},
        "source": {"type": "string", "enum": list(SOURCES)},
        "created_at": INSTANT,
        "attachments": {"type": "array", "items": ATTACHMENT},
    },
    "required": ["id", "kind", "author", "body", "source", "created_at", "attachments"],
}
TICKET_SUMMARY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "reference": {"type": "string", "example": "HD-000123"},
        "url": {"type": "string", "description": "La page du ticket dans l'intranet"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "status_label": {"type": "string"},
        "waiting_for": nullable({"type": "string", "enum": list(WAITING_FOR)}),
        "priority": {"type": "integer", "minimum": 1, "maximum": 4, "description": "1 : la plus urgente"},
        "priority_label": {"type": "string"},
        "priority_reason": nullable({"type": "string", "description": "Pour les techniciens seulement"}),
        "urgency": {"type": "integer", "minimum": 1, "maximum": 3},
        "impact": {"type": "integer", "minimum": 1, "maximum": 3},
        "category": nullable({"type": "string", "description": "Chemin : Réseau > VPN"}),
        "group": GROUP,
        "requester": PERSON,
        "opened_by": PERSON,
        "assignee": nullable(PERSON),
        "source": {"type": "string", "enum": list(SOURCES)},
        "contact_phone": nullable({"type": "string"}),
        "parent": nullable({"type": "string", "description": "Référence de l'incident majeur parent"}),
        "reopened": {"type": "integer"},
        "rating": nullable({"type": "integer", "minimum": 1, "maximum": 5}),
        "rating_comment": nullable({"type": "string", "description": "Le commentaire du demandeur avec sa note"}),
        "created_at": INSTANT,
        "updated_at": INSTANT,
        "first_response_at": nullable(INSTANT),
        "resolved_at": nullable(INSTANT),
        "closed_at": nullable(INSTANT),
        "first_response_due": nullable(INSTANT),
        "resolution_due": nullable(INSTANT),
    },
    "required": [
        "id", "reference", "url", "title", "description", "status", "status_label", "waiting_for", "priority",
        "priority_label", "priority_reason", "urgency", "impact", "category", "group", "requester", "opened_by",
        "assignee", "source", "contact_phone", "parent", "reopened", "rating", "rating_comment", "created_at",
        "updated_at", "first_response_at", "resolved_at", "closed_at", "first_response_due", "resolution_due",
    ],
}  # fmt: skip
TICKET_DETAIL: dict[str, Any] = {
    "type": "object",
    "properties": {
        **TICKET_SUMMARY["properties"],
        "messages": {
            "type": "array",
            "items": MESSAGE,
            "description": "Du plus ancien au plus récent ; les notes internes pour les techniciens seulement",
        },
        "attachments": {
            "type": "array",
            "items": ATTACHMENT,
            "description": "Toutes celles que vous pouvez voir : à l'ouverture (message_id null) puis celles des "
            "messages montrés, dans l'ordre où elles sont arrivées",
        },
        "children": nullable(
            {
                "type": "array",
                "items": CHILD,
                "description": "Incident majeur : les tickets qui y sont rattachés (doublons résolus avec lui). "
                "Pour les techniciens du groupe du ticket ; null pour les autres",
            }
        ),
    },
    "required": [*TICKET_SUMMARY["required"], "messages", "attachments", "children"],
}
TICKET_PAGE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": TICKET_SUMMARY},
        "next": nullable({"type": "string", "description": "À passer en ?after= pour la page suivante"}),
    },
    "required": ["items", "next"],
}
ID_OR_PATH: dict[str, Any] = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
CREATE_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": required_text(checks.MAX_TITLE),
        "description": required_text(checks.MAX_TEXT),
        "category": {**ID_OR_PATH, "description": "Chemin (« Réseau > VPN ») ou identifiant"},
        "urgency": {"type": "integer", "enum": list(URGENCIES), "default": 2},
        "impact": {"type": "integer", "enum": list(IMPACTS), "default": 1},
        "contact_phone": {"type": "string"},
        "requester": {"type": "string", "description": "Identifiant du demandeur ; un technicien seulement"},
    },
    "required": ["title", "description", "category"],
    "additionalProperties": False,
}
PATCH_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": list(STATUSES)},
        "waiting_for": {"type": "string", "enum": list(WAITING_FOR), "description": "Avec le statut waiting"},
        "priority": {"type": "integer", "enum": list(PRIORITIES)},
        "reason": {"type": "string", "maxLength": 500, "description": "Obligatoire avec priority"},
        "group": {"type": "string", "description": "Code du groupe (BAU)"},
        "assignee": nullable({"type": "string", "description": "Identifiant du technicien, null : personne"}),
        "parent": {**ID_OR_PATH, "description": "Référence (HD-000123) ou identifiant de l'incident parent"},
    },
    "minProperties": 1,
    "additionalProperties": False,
}
MESSAGE_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "body": required_text(checks.MAX_TEXT),
        "kind": {"type": "string", "enum": [REPLY, NOTE], "default": REPLY},
    },
    "required": ["body"],
    "additionalProperties": False,
}
RATING_BODY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "rating": {"type": "integer", "enum": list(RATINGS), "description": "De 1 (mauvaise) à 5 (excellente)"},
        "comment": {"type": "string", "maxLength": MAX_COMMENT},
    },
    "required": ["rating"],
    "additionalProperties": False,
}
FILE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "binary",
    "description": "Le fichier lui-même (pas du JSON), avec son type en Content-Type et son nom en "
    "Content-Disposition (filename*)",
}


def with_files(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` as a :data:`MULTIPART` form: the same fields as text parts, and one :data:`FILES` part per file."""
    files = {"type": "array", "items": {"type": "string", "format": "binary"}, "description": "Un fichier par partie"}
    return {**body, "properties": {**body["properties"], FILES: files}}


def query_parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An optional filter of the list; sent empty (``?status=``), it is as if absent (see :func:`given_parameters`)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "allowEmptyValue": True,
        "description": description + " (vide : comme absent)",
        "schema": schema,
    }


LIST_PARAMETERS = (
    query_parameter(
        "view",
        "requested : mes demandes (par défaut sans helpdesk:ticket:work) ; pour les techniciens : mine, group "
        "(par défaut), unassigned, breaching, all",
        {"type": "string", "enum": list(VIEWS)},
    ),
    query_parameter("status", "Un seul statut", {"type": "string", "enum": list(STATUSES)}),
    query_parameter("priority", "Une seule priorité", {"type": "integer", "enum": list(PRIORITIES)}),
    query_parameter("category", "Début du chemin de la catégorie (Réseau)", {"type": "string"}),
    query_parameter("q", "Recherche plein texte, ou une référence HD-000123", {"type": "string"}),
    query_parameter("sort", "Files des techniciens : priority (par défaut), due, oldest, recent", {"type": "string"}),
    query_parameter("after", "Le curseur next de la page précédente", {"type": "string"}),
    query_parameter(
        "limit",
        f"Tickets par page, {DEFAULT_LIMIT} par défaut",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    ),
)


def not_found(ticket_id: int | None) -> ApiError:
    name = f"de ticket {reference_of(ticket_id)}" if ticket_id is not None else "de ticket à cette adresse"
    return ApiError(404, f"Pas {name} parmi ceux que vous pouvez voir.")
