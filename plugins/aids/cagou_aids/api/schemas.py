"""The JSON shapes of the aids module's API, and a procedure's form as JSON Schema."""

from __future__ import annotations

from typing import Any

from cagou_aids.answers import COMMUNES, countries
from cagou_aids.definition import (
    AMOUNT,
    CHOICE,
    CHOICES,
    COMMUNE,
    COUNTRY,
    DATE,
    EMAIL,
    FILE,
    HEADING,
    IBAN,
    INTEGER,
    LONG_TEXT,
    PHONE,
    REPEAT,
    RIDET,
    TEXT,
    YES_NO,
    Definition,
    FieldSpec,
)
from cagou_aids.models import SCAN_STATES

MAX_LIMIT, DEFAULT_LIMIT = 200, 50

PROCEDURE = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "slug": {"type": "string"}, "title": {"type": "string"},
        "state": {"type": "string"}, "audience": {"type": "string"}, "receipt_prefix": {"type": "string"},
        "directorate": {"type": ["string", "null"]},
    },
    "required": ["id", "slug", "title", "state", "audience", "receipt_prefix", "directorate"],
}  # fmt: skip
PROCEDURE_LIST = {"type": "array", "items": PROCEDURE}
SCHEMA = {"type": "object", "description": "Un JSON Schema (draft 2020-12) des réponses du formulaire"}
SUMMARY_PROPERTIES: dict[str, Any] = {
    "receipt": {"type": "string"},
    "state": {"type": "string"},
    "submitted_at": {"type": "string", "format": "date-time"},
    "email": {"type": "string"},
    "version": {"type": "integer"},
    "duplicate_of": {"type": ["string", "null"]},
}
APPLICATION_SUMMARY = {"type": "object", "properties": SUMMARY_PROPERTIES, "required": list(SUMMARY_PROPERTIES)}
APPLICATION_PAGE = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": APPLICATION_SUMMARY}, "next": {"type": ["string", "null"]}},
    "required": ["items", "next"],
}
FILE_JSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"}, "sha256": {"type": "string"}, "size": {"type": "integer"},
        "content_type": {"type": "string"},
        "scan_state": {"type": "string", "enum": list(SCAN_STATES),
                       "description": "non-analyse (no scanner), quarantaine (not served yet), sain, infecte"},
    },
}  # fmt: skip
APPLICATION = {
    "type": "object",
    "properties": {**SUMMARY_PROPERTIES, "answers": {"type": "object"}, "files": {"type": "array", "items": FILE_JSON}},
    "required": [*SUMMARY_PROPERTIES, "answers", "files"],
}


def query_parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter; sent empty (``?q=``), it is as if absent."""
    return {"name": name, "in": "query", "required": False, "allowEmptyValue": True,
            "description": description + " (vide : comme absent)", "schema": schema}  # fmt: skip


LIST_PARAMETERS = (
    query_parameter("q", "Un numéro de dépôt, ou une partie de l'adresse électronique", {"type": "string"}),
    query_parameter("after", "Le curseur next de la page précédente", {"type": "string"}),
    query_parameter("limit", f"Demandes par page, {DEFAULT_LIMIT} par défaut",
                    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
)  # fmt: skip


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    """One field's answers as JSON Schema: what :mod:`cagou_aids.answers` stores for it."""
    schema: dict[str, Any] = {"title": spec.label}
    if spec.help:
        schema["description"] = spec.help
    kind = spec.type
    if kind in (TEXT, LONG_TEXT):
        schema |= {"type": "string", "maxLength": spec.maximum}
    elif kind in (INTEGER, AMOUNT):
        schema["type"] = "integer"
        schema |= {
            key: value for key, value in (("minimum", spec.minimum), ("maximum", spec.maximum)) if value is not None
        }
    elif kind == DATE:
        schema |= {"type": "string", "format": "date"}
    elif kind == EMAIL:
        schema |= {"type": "string", "format": "email"}
    elif kind == PHONE:
        schema |= {"type": "string", "pattern": r"^\+[1-9]\d{5,14}$"}
    elif kind == RIDET:
        schema |= {"type": "string", "pattern": r"^\d{7}\.\d{3}$"}
    elif kind == IBAN:
        schema |= {"type": "string", "pattern": r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$"}
    elif kind == COMMUNE:
        schema |= {"type": "string", "enum": list(COMMUNES)}
    elif kind == COUNTRY:
        schema |= {"type": "string", "enum": list(countries())}
    elif kind == CHOICE:
        schema |= {"type": "string", "enum": list(spec.choices)}
    elif kind == CHOICES:
        schema |= {"type": "array", "items": {"type": "string", "enum": list(spec.choices)}, "uniqueItems": True}
    elif kind == YES_NO:
        schema["type"] = "boolean"
    elif kind == FILE:
        schema |= {
            "type": "array",
            "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "maxItems": spec.max_files,
        }
    elif kind == REPEAT:
        schema |= {"type": "array", "minItems": spec.min_count, "maxItems": spec.max_count,
                   "items": object_schema(spec.fields)}  # fmt: skip
    return schema


def object_schema(fields: tuple[FieldSpec, ...]) -> dict[str, Any]:
    answered = [spec for spec in fields if spec.type != HEADING]
    return {
        "type": "object",
        "properties": {spec.name: field_schema(spec) for spec in answered},
        # A field shown only for some answers is not always there, even when required.
        "required": [spec.name for spec in answered if spec.required and spec.show_if is None],
        "additionalProperties": False,
    }


def definition_schema(definition: Definition, title: str) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title,
            **object_schema(tuple(definition.fields()))}  # fmt: skip


#: The public extension's API (residents' and companies' programs).
OPEN_PROCEDURE_PROPERTIES: dict[str, Any] = {
    "slug": {"type": "string"},
    "title": {"type": "string"},
    "summary": {"type": "string"},
    "audience": {"type": "string", "enum": ["particuliers", "entreprises", "tous"]},
    "category": {"type": "string"},
    "opens_at": {"type": ["string", "null"], "format": "date-time"},
    "closes_at": {"type": ["string", "null"], "format": "date-time"},
    "contact_email": {"type": "string"},
}
OPEN_PROCEDURE_LIST = {
    "type": "array",
    "items": {"type": "object", "properties": OPEN_PROCEDURE_PROPERTIES, "required": list(OPEN_PROCEDURE_PROPERTIES)},
}
MAX_FILES_SENT = 50
SUBMISSION = {
    "type": "object",
    "properties": {
        "answers": {"type": "object", "description": "Les réponses, comme le JSON Schema de la démarche les décrit"},
        "files": {
            "type": "array",
            "maxItems": MAX_FILES_SENT,
            "description": "Les fichiers : chacun pour un champ de fichier, son contenu en base64",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "filename": {"type": "string", "minLength": 1, "maxLength": 255},
                    "content": {"type": "string", "format": "byte"},
                },
                "required": ["field", "filename", "content"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["answers"],
    "additionalProperties": False,
}
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER, "in": "header", "required": True,
    "description": "Une clé unique par demande (un UUID, par exemple) : la même clé renvoyée, après une erreur "
    "de réseau, redonne la même demande, jamais une seconde",
    "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9._~-]+$"},
}  # fmt: skip
EVENT = {
    "type": "object",
    "properties": {"at": {"type": "string", "format": "date-time"}, "state": {"type": "string"},
                   "text": {"type": "string"}},
    "required": ["at", "state", "text"],
}  # fmt: skip
OWN_PROPERTIES: dict[str, Any] = {
    "receipt": {"type": "string"},
    "procedure": {"type": "string", "description": "Le slug de la démarche"},
    "state": {"type": "string"},
    "state_label": {"type": "string"},
    "submitted_at": {"type": "string", "format": "date-time"},
}
OWN_SUMMARY = {"type": "object", "properties": OWN_PROPERTIES, "required": list(OWN_PROPERTIES)}
OWN_LIST = {"type": "array", "items": OWN_SUMMARY}
OWN_APPLICATION_PROPERTIES: dict[str, Any] = {
    **OWN_PROPERTIES,
    "explanation": {"type": "string"},
    "version": {"type": "integer"},
    "duplicate_of": {
        "type": ["object", "null"],
        "properties": {"receipt": {"type": "string"}, "submitted_at": {"type": "string", "format": "date-time"}},
    },
    "notice": {"type": ["string", "null"], "description": "Ce qu'il faut dire au demandeur (un doublon possible)"},
    "history": {"type": "array", "items": EVENT},
}
OWN_APPLICATION = {
    "type": "object", "properties": OWN_APPLICATION_PROPERTIES, "required": list(OWN_APPLICATION_PROPERTIES),
}  # fmt: skip
