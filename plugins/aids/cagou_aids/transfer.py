"""A procedure as a file, so that one tried on an instance is published on another.

The file is JSON: the format's name and version, the procedure's settings
(its directorate by code), and its form's definition. Reading one checks it
whole before anything is kept: an unknown key, a setting of the wrong type
or an unknown directorate is refused with every problem named, and the
definition with every problem of its own (:mod:`cagou_aids.definition`).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from cagou_aids.definition import DefinitionError, definition_data, parse_definition
from cagou_aids.models import Procedure
from cagou_aids.services.procedures import ProcedureSettings

FORMAT = "cagou-demarche/1"
TEXT_SETTINGS = ("title", "summary", "help_text", "audience", "category", "receipt_prefix", "contact_email")
INSTANT_SETTINGS = ("opens_at", "closes_at")
MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Transfer:
    """What a file holds: the settings, the directorate's code (or None), the definition (as JSON data)."""

    settings: ProcedureSettings
    directorate: str | None
    definition: dict[str, Any]


def file_data(procedure: Procedure) -> dict[str, Any]:
    """The file of ``procedure``'s latest version."""
    settings: dict[str, Any] = {name: getattr(procedure, name) for name in TEXT_SETTINGS}
    settings |= {name: getattr(procedure, name).isoformat() for name in INSTANT_SETTINGS if getattr(procedure, name)}
    settings["data_notice"] = procedure.data_notice
    directorate = procedure.directorate.code if procedure.directorate is not None else None
    definition = definition_data(procedure.latest.parsed)
    return {"format": FORMAT, "procedure": settings, "directorate": directorate, "definition": definition}


def read_file(content: bytes) -> Transfer:
    """The procedure a file describes; ``DefinitionError`` with every problem in French otherwise."""
    if len(content) > MAX_FILE_BYTES:
        raise DefinitionError([f"Le fichier dépasse {MAX_FILE_BYTES // 1024 // 1024} Mo."])
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise DefinitionError([f"Le fichier n'est pas du JSON lisible : {str(error)[:200]}."]) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DefinitionError([f"Le fichier n'est pas une démarche exportée par Cagou (format « {FORMAT} » attendu)."])
    unknown = sorted(set(data) - {"format", "procedure", "directorate", "definition"})
    problems = [f"Clé inconnue : « {str(key)[:40]} »." for key in unknown]
    settings, more = read_settings(data.get("procedure"))
    problems += more
    directorate = data.get("directorate")
    if directorate is not None and not isinstance(directorate, str):
        problems.append("« directorate » est le code d'une direction, ou null.")
    try:
        definition = definition_data(parse_definition(data.get("definition")))
    except DefinitionError as error:
        problems += error.problems
        definition = {}
    if problems or settings is None:
        raise DefinitionError(problems)
    return Transfer(settings, directorate, definition)


def read_settings(data: Any) -> tuple[ProcedureSettings | None, list[str]]:
    if not isinstance(data, dict):
        return None, ["« procedure » est un objet JSON des réglages de la démarche."]
    allowed = {*TEXT_SETTINGS, *INSTANT_SETTINGS, "data_notice"}
    problems = [f"Réglage inconnu : « {str(key)[:40]} »." for key in sorted(set(data) - allowed)]
    values: dict[str, Any] = {}
    for name in TEXT_SETTINGS:
        value = data.get(name, "")
        if not isinstance(value, str):
            problems.append(f"Le réglage « {name} » est un texte.")
        values[name] = value if isinstance(value, str) else ""
    for name in INSTANT_SETTINGS:
        value = data.get(name)
        try:
            instant = datetime.datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            instant = None
        if value is not None and (instant is None or instant.tzinfo is None):
            problems.append(f"Le réglage « {name} » est un instant ISO 8601 avec son fuseau.")
            instant = None
        values[name] = instant
    notice = data.get("data_notice", {})
    if not isinstance(notice, dict):
        problems.append("« data_notice » est un objet JSON.")
        notice = {}
    return ProcedureSettings(**values, data_notice=notice), problems
