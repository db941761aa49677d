"""Reading what clients send: JSON objects, multipart bodies, identifiers and query parameters."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pyramid.request import Request

from cagou.kit import (
    Account,
    ApiError,
    FormErrors,
    PostedFile,
    Upload,
    invalid,
    json_object,
)
from cagou_helpdesk import permissions
from cagou_helpdesk.api.common import FILES, MAX_ID, MULTIPART
from cagou_helpdesk.api.schemas import not_found
from cagou_helpdesk.models import (
    Ticket,
)


def multipart_body(request: Request) -> tuple[dict[str, str], list[Upload]]:
    """The text fields and the files (the parts named :data:`FILES`) of a ``multipart/form-data`` body."""
    try:
        parts = list(request.POST.items())
    except ValueError as error:  # a truncated body, a missing boundary, text that is not UTF-8
        raise ApiError(400, f"Le corps {MULTIPART} est illisible : envoyez-le comme un formulaire.") from error
    fields: dict[str, str] = {}
    uploads: list[Upload] = []
    errors = FormErrors()
    for name, value in parts:
        if name == FILES and isinstance(value, PostedFile):
            if value.filename:  # a file input left empty sends a nameless, empty part
                uploads.append(Upload(value.filename, value.file.read()))
        elif name == FILES:
            errors.add(FILES, f"« {FILES} » attend des fichiers : une partie par fichier, avec son nom (filename).")
        elif isinstance(value, PostedFile):
            errors.add(name[:40], f"« {name[:40]} » est un champ de texte : les fichiers vont dans « {FILES} ».")
        elif name in fields:
            errors.add(name[:40], f"« {name[:40]} » est donné deux fois.")
        else:
            fields[name] = value
    if errors:
        raise invalid(errors)
    return fields, uploads


def body_and_files(request: Request, accepted: Collection[str]) -> tuple[Body, list[Upload]]:
    """A JSON object, or the same fields as a :data:`MULTIPART` form with files."""
    if request.content_type == MULTIPART:
        fields, uploads = multipart_body(request)
        return Body(fields, (*accepted, FILES), form=True), uploads
    return Body(json_object(request), accepted), []


class Body:
    """The fields of a JSON object (or of a form, whose numbers come as text), typed; errors gathered by field."""

    def __init__(self, data: dict[str, Any], accepted: Collection[str], form: bool = False) -> None:
        self.data = data
        self.form = form
        self.errors = FormErrors()
        for name in data:
            if name not in accepted:
                self.errors.add(name[:40], f"Champ inconnu : « {name[:40]} ». Champs acceptés : {', '.join(accepted)}.")

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def text(self, name: str, default: str = "", null: bool = False) -> str | None:
        value = self.data.get(name, default)
        if value is None and null:
            return None
        if not isinstance(value, str):
            self.errors.add(name, f"« {name} » doit être une chaîne de caractères" + (" ou null." if null else "."))
            return default
        return value

    def integer(self, name: str, choices: Mapping[int, str], default: int | None = None) -> int | None:
        value = self.data.get(name, default)
        if self.form and isinstance(value, str) and value.strip().isdecimal() and value.strip().isascii():
            value = int(value)
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value in choices):
            return value
        self.errors.add(name, f"« {name} » doit être un nombre entier parmi {', '.join(map(str, choices))}.")
        return default

    def reference(self, name: str) -> str:
        """An id or a path given as a string or an integer (a category, a ticket)."""
        value = self.data.get(name, "")
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.errors.add(name, f"« {name} » doit être une chaîne de caractères ou un identifiant entier.")
            return ""
        return value

    def check(self) -> None:
        if self.errors:
            raise invalid(self.errors)


def me(request: Request) -> Account:
    identity: Account = request.identity
    return identity


def ticket_id_of(request: Request) -> int:
    """The id in the path (``{id}`` rather than ``{id:\\d+}``, so that the OpenAPI path is the route's pattern)."""
    text: str = request.matchdict["id"]
    ticket_id = small_integer(text)
    if ticket_id is None:
        raise not_found(None)
    return ticket_id


def small_integer(text: str) -> int | None:
    """The positive id ``text`` spells in ASCII digits, if it fits a database integer."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID))):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def load(request: Request, ticket_id: int) -> Ticket:
    ticket: Ticket | None = request.db.get(Ticket, ticket_id)
    if ticket is None:
        raise not_found(ticket_id)
    return ticket


def readable(request: Request, ticket_id: int) -> tuple[Ticket, bool]:
    """The ticket and whether the person works on it (sees notes); 404 for a ticket they may not read."""
    ticket = load(request, ticket_id)
    if permissions.may_work_on(request, ticket):
        return ticket, True
    if ticket.requester_id == me(request).id:
        return ticket, False
    raise not_found(ticket_id)
