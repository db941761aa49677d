"""The helpdesk's JSON API, reached with personal tokens, in the platform's OpenAPI document.

Under ``/intranet/api/v1/assistance/``:

- ``GET tickets``: the tickets the token's owner may see, a page at a time
  (keyset cursor in ``next``): a requester's own (view ``requested``), a
  technician's queues (views of :data:`queries.VIEWS`, ``group`` by default);
- ``POST tickets``: open a ticket (a technician may open it for someone
  else), in JSON, or in ``multipart/form-data`` with files;
- ``GET tickets/{id}``: one ticket with its messages; internal notes only for
  the technicians of its group;
- ``PATCH tickets/{id}``: status, priority (with a reason), group, assignee,
  parent incident; technicians of the ticket's groups only;
- ``POST tickets/{id}/messages``: a public reply, or an internal note
  (technicians), in JSON, or in ``multipart/form-data`` with files
  (``attachments``) checked as the web form checks them. A requester reopens
  a resolved ticket by replying to it, as they would by mail;
- ``GET tickets/{id}/attachments/{attachment}``: a file of the ticket, as it
  was sent (those of internal notes for the technicians of its group only);
- ``PUT tickets/{id}/rating``: the requester rates the answer to a resolved
  ticket, 1 to 5, with a comment.

A ticket's JSON lists its attachments (with their download address), its
parent incident and, for the technicians of its group, the tickets linked to
it when it is a major incident.

Every change goes through :mod:`cagou_helpdesk.services`, which check the rules
and write the audit log. A refusal is raised as :class:`ApiError` and answered
by an exception view, so pyramid_tm aborts the request's transaction: a
refused request stores nothing, even when part of it had already been applied.
Errors are the core's JSON errors (:func:`cagou.web.views.json_error`:
``{"error": "…"}``), with ``errors`` (field → French message) when input is
refused field by field; each operation declares the refusals it adds to the
core's (404, 409, 503) for the OpenAPI document.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from webob.compat import cgi_FieldStorage as FieldStorage

from cagou.kit import (
    INTRANET,
    Account,
    ApiError,
    FormErrors,
    IAccounts,
    IFileStorage,
    Invalid,
    Refused,
    invalid,
    refusals,
)
from cagou_helpdesk import queries, services
from cagou_helpdesk.models import (
    API,
    IMPACTS,
    NOTE,
    PRIORITIES,
    REFERENCE,
    REPLY,
    SOURCES,
    STATUSES,
    URGENCIES,
    WAITING,
    WAITING_FOR,
    Attachment,
    Group,
    Message,
    Ticket,
    reference_of,
)

CREATE = "helpdesk:ticket:create"
WORK = "helpdesk:ticket:work"

TICKETS = "helpdesk.api.tickets"
TICKET = "helpdesk.api.ticket"
MESSAGES = "helpdesk.api.messages"
ATTACHMENT_ROUTE = "helpdesk.api.attachment"
RATING = "helpdesk.api.rating"
PREFIX = "/api/v1/assistance/tickets"
TAGS = ("assistance",)

#: Tickets per page when the client does not say, and at most.
DEFAULT_LIMIT = queries.PAGE_SIZE
MAX_LIMIT = 100
MAX_QUERY_LENGTH = 200
#: Ids beyond a 32-bit integer name no ticket (and would overflow PostgreSQL's integer).
MAX_ID = 2**31 - 1
#: The requester's own tickets, most recent first: the view of anyone without helpdesk:ticket:work.
REQUESTED = "requested"
VIEWS = {REQUESTED: "Mes demandes", **queries.VIEWS}

CREATE_FIELDS = ("title", "description", "category", "urgency", "impact", "contact_phone", "requester")
PATCH_FIELDS = ("status", "waiting_for", "priority", "reason", "group", "assignee", "parent")
MESSAGE_FIELDS = ("body", "kind")
RATING_FIELDS = ("rating", "comment")
RATINGS = {value: str(value) for value in range(1, 6)}
#: The longest rating comment services.rate takes, for the OpenAPI document (a test holds them together).
MAX_COMMENT = 2000
#: The content type of a reply with files, and the name of its file parts (that of the web form's field).
MULTIPART = "multipart/form-data"
FILES = "attachments"


# ---------------------------------------------------------------------------
# JSON schemas of the OpenAPI document
# ---------------------------------------------------------------------------


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
        "title": required_text(services.MAX_TITLE),
        "description": required_text(services.MAX_TEXT),
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
        "body": required_text(services.MAX_TEXT),
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


# ---------------------------------------------------------------------------
# Errors: raised, so that the transaction aborts
# ---------------------------------------------------------------------------


def not_found(ticket_id: int | None) -> ApiError:
    name = f"de ticket {reference_of(ticket_id)}" if ticket_id is not None else "de ticket à cette adresse"
    return ApiError(404, f"Pas {name} parmi ceux que vous pouvez voir.")


# ---------------------------------------------------------------------------
# Reading what clients send
# ---------------------------------------------------------------------------


def json_object(request: Request) -> dict[str, Any]:
    try:
        body = request.json_body
    except ValueError as error:
        raise ApiError(400, "Le corps de la requête n'est pas du JSON valide (UTF-8).") from error
    if not isinstance(body, dict):
        raise ApiError(400, 'Envoyez un objet JSON : {"champ": valeur, …}.')
    return body


def multipart_body(request: Request) -> tuple[dict[str, str], list[services.Upload]]:
    """The text fields and the files (the parts named :data:`FILES`) of a ``multipart/form-data`` body."""
    try:
        parts = list(request.POST.items())
    except ValueError as error:  # a truncated body, a missing boundary, text that is not UTF-8
        raise ApiError(400, f"Le corps {MULTIPART} est illisible : envoyez-le comme un formulaire.") from error
    fields: dict[str, str] = {}
    uploads: list[services.Upload] = []
    errors = FormErrors()
    for name, value in parts:
        if name == FILES and isinstance(value, FieldStorage):
            if value.filename:  # a file input left empty sends a nameless, empty part
                uploads.append(services.Upload(value.filename, value.file.read()))
        elif name == FILES:
            errors.add(FILES, f"« {FILES} » attend des fichiers : une partie par fichier, avec son nom (filename).")
        elif isinstance(value, FieldStorage):
            errors.add(name[:40], f"« {name[:40]} » est un champ de texte : les fichiers vont dans « {FILES} ».")
        elif name in fields:
            errors.add(name[:40], f"« {name[:40]} » est donné deux fois.")
        else:
            fields[name] = value
    if errors:
        raise invalid(errors)
    return fields, uploads


def body_and_files(request: Request, accepted: Collection[str]) -> tuple[Body, list[services.Upload]]:
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
    if services.may_work_on(request, ticket):
        return ticket, True
    if ticket.requester_id == me(request).id:
        return ticket, False
    raise not_found(ticket_id)


# ---------------------------------------------------------------------------
# What the API answers
# ---------------------------------------------------------------------------


def instant(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.astimezone(datetime.UTC).isoformat(timespec="seconds")


def person(account: Account | None) -> dict[str, str] | None:
    return None if account is None else {"login": account.login, "display_name": account.display_name}


def attachment_json(request: Request, attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "created_at": instant(attachment.created_at),
        "message_id": attachment.message_id,
        "url": request.route_url(ATTACHMENT_ROUTE, id=attachment.ticket_id, attachment=attachment.id),
    }


def message_json(request: Request, message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind,
        "author": person(message.author),
        "body": message.body,
        "source": message.source,
        "created_at": instant(message.created_at),
        "attachments": [attachment_json(request, attachment) for attachment in message.attachments],
    }


def shows(attachment: Attachment, works_on: bool) -> bool:
    """Whether the file reaches the reader: those of internal notes only reach the technicians of the ticket's group."""
    return works_on or attachment.message is None or not attachment.message.is_note


def ticket_json(request: Request, ticket: Ticket, works_on: bool, detail: bool = False) -> dict[str, Any]:
    """The ticket as the API shows it; ``works_on``: to a technician of its group (reasons, notes)."""
    found: dict[str, Any] = {
        "id": ticket.id,
        "reference": ticket.reference,
        "url": request.route_url("helpdesk.ticket", id=ticket.id),
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status,
        "status_label": ticket.status_label,
        "waiting_for": ticket.waiting_for,
        "priority": ticket.priority,
        "priority_label": ticket.priority_label,
        "priority_reason": ticket.priority_reason if works_on else None,
        "urgency": ticket.urgency,
        "impact": ticket.impact,
        "category": ticket.category.path if ticket.category else None,
        "group": {"code": ticket.group.code, "name": ticket.group.name},
        "requester": person(ticket.requester),
        "opened_by": person(ticket.opened_by),
        "assignee": person(ticket.assignee),
        "source": ticket.source,
        "contact_phone": ticket.contact_phone,
        "parent": reference_of(ticket.parent_id) if ticket.parent_id else None,
        "reopened": ticket.reopened,
        "rating": ticket.rating,
        "rating_comment": ticket.rating_comment,
        "created_at": instant(ticket.created_at),
        "updated_at": instant(ticket.updated_at),
        "first_response_at": instant(ticket.first_response_at),
        "resolved_at": instant(ticket.resolved_at),
        "closed_at": instant(ticket.closed_at),
        "first_response_due": instant(ticket.first_response_due),
        "resolution_due": instant(ticket.resolution_due),
    }
    if detail:
        shown = [message for message in ticket.messages if works_on or not message.is_note]
        found["messages"] = [message_json(request, message) for message in shown]
        found["attachments"] = [
            attachment_json(request, attachment) for attachment in ticket.attachments if shows(attachment, works_on)
        ]
        # As on the ticket page: the duplicates of a major incident are the technicians' business.
        found["children"] = (
            [{"id": child.id, "reference": child.reference, "status": child.status} for child in ticket.children]
            if works_on
            else None
        )
    return found


def worked_groups(request: Request) -> set[int] | None:
    """The groups whose tickets the person works on (None: every group, a helpdesk administrator)."""
    if not request.can(WORK):
        return set()
    if services.is_admin(request):
        return None
    return {group.id for group in services.groups_of(request, me(request))}


# ---------------------------------------------------------------------------
# Listing
# ---------------------------------------------------------------------------


def given_parameters(request: Request) -> dict[str, str]:
    """The query string's parameters, those sent empty (``?sort=``) left out: an empty value is no value."""
    return {name: value for name, value in request.GET.items() if value != ""}


def list_filter(request: Request, technician: bool) -> tuple[queries.QueueFilter, int]:
    """The filter the query string asks for, checked: a wrong value is a 400, not a silent default."""
    params = given_parameters(request)
    errors = FormErrors()
    view = params.get("view", "group" if technician else REQUESTED)
    if view not in VIEWS:
        errors.add("view", f"Vue inconnue : « {view[:40]} ». Vues : {', '.join(VIEWS)}.")
    elif view != REQUESTED and not technician:
        raise ApiError(403, f"La vue « {view} » est celle des techniciens : il faut la permission {WORK}.")
    sort = params.get("sort", "recent" if view == REQUESTED else "priority")
    if view == REQUESTED and sort != "recent":
        errors.add("sort", "Vos demandes sont toujours triées des plus récentes aux plus anciennes (sort=recent).")
    elif sort not in queries.SORTS:
        errors.add("sort", f"Tri inconnu : « {sort[:40]} ». Tris : {', '.join(queries.SORTS)}.")
    status = params.get("status", "")
    if status and status not in STATUSES:
        errors.add("status", f"Statut inconnu : « {status[:40]} ». Statuts : {', '.join(STATUSES)}.")
    priority = params.get("priority", "")
    if priority and priority not in {str(value) for value in PRIORITIES}:
        errors.add("priority", f"Priorité inconnue : « {priority[:40]} ». Priorités : 1 à {max(PRIORITIES)}.")
    text = " ".join(params.get("q", "").split())
    reference = REFERENCE.search(text.upper())
    if len(text) > MAX_QUERY_LENGTH:
        errors.add("q", f"La recherche est trop longue ({MAX_QUERY_LENGTH} caractères au plus).")
    elif reference is not None and small_integer(reference.group(1)) is None:
        errors.add("q", f"Aucun ticket n'a la référence « {reference.group(0)[:40]} ».")
    category = params.get("category", "").strip()
    if len(category) > MAX_QUERY_LENGTH:
        errors.add("category", f"La catégorie est trop longue ({MAX_QUERY_LENGTH} caractères au plus).")
    limit_text = params.get("limit", str(DEFAULT_LIMIT))
    limit = int(limit_text) if limit_text.isdigit() and len(limit_text) <= 4 else 0
    if not 1 <= limit <= MAX_LIMIT:
        errors.add("limit", f"« limit » est un nombre de 1 à {MAX_LIMIT}.")
    after = params.get("after", "")
    if after and not errors and not valid_cursor(after, sort):
        errors.add("after", "Curseur invalide : reprenez la valeur « next » de la page précédente, sans la modifier.")
    if errors:
        raise invalid(errors)
    found = queries.QueueFilter(
        view=view, sort=sort, status=status, priority=priority, category=category, text=text, after=after
    )
    return found, limit


def valid_cursor(after: str, sort: str) -> bool:
    """A cursor this API gave for this sort: well formed, and values the database can compare."""
    cursor = queries.decode_cursor(after, sort)
    if cursor is None:
        return False
    value, ticket_id = cursor
    if not 0 < ticket_id <= MAX_ID:
        return False
    key, _descending = queries.SORT_KEYS[sort]
    if key == "priority":
        return isinstance(value, int) and not isinstance(value, bool) and value in PRIORITIES
    if key == "resolution_due":
        return isinstance(value, datetime.datetime) and value.tzinfo is not None
    return True


def requested_page(request: Request, filters: queries.QueueFilter, limit: int) -> queries.QueuePage:
    """The person's own tickets, the most recent first, a page at a time (the cursor holds the last id)."""
    cursor = queries.decode_cursor(filters.after, "recent") if filters.after else None
    tickets = queries.tickets_of(
        request,
        me(request),
        limit=limit + 1,
        before_id=cursor[1] if cursor is not None else None,
        filters=filters,
        detailed=True,
    )
    if len(tickets) <= limit:
        return queries.QueuePage(tickets, None)
    tickets = tickets[:limit]
    return queries.QueuePage(tickets, queries.encode_cursor(tickets[-1].id, tickets[-1].id))


@view_config(route_name=TICKETS, request_method="GET", renderer="json", permission=CREATE)
def list_tickets(request: Request) -> dict[str, Any]:
    technician = bool(request.can(WORK))
    filters, limit = list_filter(request, technician)
    if filters.view == REQUESTED:
        page = requested_page(request, filters, limit)
    else:
        page = queries.queue(request, me(request), filters, page_size=limit)
    groups = worked_groups(request)
    return {
        "items": [ticket_json(request, ticket, groups is None or ticket.group_id in groups) for ticket in page.tickets],
        "next": page.next_cursor,
    }


# ---------------------------------------------------------------------------
# Opening, reading, updating, replying
# ---------------------------------------------------------------------------


@view_config(route_name=TICKETS, request_method="POST", renderer="json", permission=CREATE)
def create_ticket(request: Request) -> dict[str, Any]:
    body, uploads = body_and_files(request, CREATE_FIELDS)
    data = services.TicketInput(
        title=body.text("title") or "",
        description=body.text("description") or "",
        category=body.reference("category"),
        urgency=str(body.integer("urgency", URGENCIES, default=2)),
        impact=str(body.integer("impact", IMPACTS, default=1)),
        contact_phone=body.text("contact_phone") or "",
        uploads=uploads,
    )
    requester_login = (body.text("requester") or "").strip()
    body.check()
    requester, opened_by = me(request), None
    if requester_login and requester_login != requester.login:
        if not request.can(WORK):
            raise ApiError(
                403,
                f"Seul un technicien ouvre un ticket pour quelqu'un d'autre (permission {WORK}) : ôtez « requester ».",
            )
        found = request.find_service(IAccounts).by_login(requester_login)
        if found is None:
            raise invalid({"requester": f"Aucun compte n'a l'identifiant « {requester_login[:120]} »."})
        requester, opened_by = found, me(request)
    with refusals():
        ticket = services.open_ticket(request, data, requester, opened_by=opened_by, source=API)
    request.response.status_int = 201
    request.response.location = request.route_url(TICKET, id=ticket.id)
    return ticket_json(request, ticket, services.may_work_on(request, ticket), detail=True)


@view_config(route_name=TICKET, request_method="GET", renderer="json", permission=CREATE)
def read_ticket(request: Request) -> dict[str, Any]:
    ticket, works_on = readable(request, ticket_id_of(request))
    return ticket_json(request, ticket, works_on, detail=True)


@view_config(route_name=TICKET, request_method="PATCH", renderer="json", permission=WORK)
def update_ticket(request: Request) -> dict[str, Any]:
    ticket = load(request, ticket_id_of(request))
    with refusals():
        services.check_may_work_on(request, ticket)
    body = Body(json_object(request), PATCH_FIELDS)
    if not body.data:
        raise ApiError(400, f"Rien à modifier : envoyez au moins un de ces champs : {', '.join(PATCH_FIELDS)}.")
    status = body.text("status") if "status" in body else None
    waiting_for = body.text("waiting_for") if "waiting_for" in body else None
    priority = body.integer("priority", PRIORITIES)
    reason = body.text("reason") or ""
    group_code = (body.text("group") or "").strip()
    assignee_login = body.text("assignee", null=True)
    parent_text = body.reference("parent").strip()
    if waiting_for is not None and status != WAITING:
        body.errors.add("waiting_for", "« waiting_for » accompagne le statut « waiting » : qui le ticket attend.")
    if "reason" in body and priority is None:
        body.errors.add("reason", "La raison accompagne un changement de priorité (« priority »).")
    if "group" in body and not group_code:
        body.errors.add("group", "« group » est le code d'un groupe de techniciens (BAU).")
    body.check()
    errors = FormErrors()
    group = ticket.group
    if group_code:
        found_group = request.db.scalars(sa.select(Group).where(Group.code == group_code)).first()
        if found_group is None:
            errors.add("group", f"Aucun groupe de techniciens n'a le code « {group_code[:32]} ».")
        else:
            group = found_group
    assignee = None
    if assignee_login:
        assignee = request.find_service(IAccounts).by_login(assignee_login.strip())
        if assignee is None:
            errors.add("assignee", f"Aucun compte n'a l'identifiant « {assignee_login.strip()[:120]} ».")
    parent = None
    if parent_text:
        found_reference = REFERENCE.fullmatch(parent_text.upper())
        parent_id = small_integer(found_reference.group(1) if found_reference else parent_text)
        parent = request.db.get(Ticket, parent_id) if parent_id is not None else None
        if parent is None:
            errors.add("parent", f"Aucun ticket « {parent_text[:40]} » : donnez une référence HD-000123.")
    if errors:
        raise invalid(errors)
    actor = me(request)
    with refusals():
        if status is not None:
            services.change_status(request, ticket, status, waiting_for, actor)
        if priority is not None:
            services.override_priority(request, ticket, str(priority), reason, actor)
        if parent is not None:
            services.link_to_incident(request, ticket, parent, actor)
        if group_code or "assignee" in body:
            if "assignee" not in body:  # the assignee stays if the ticket stays in their group
                assignee = ticket.assignee if group.id == ticket.group_id else None
            services.assign(request, ticket, group, assignee, actor)
    request.db.flush()
    return ticket_json(request, ticket, services.may_work_on(request, ticket), detail=True)


@view_config(route_name=MESSAGES, request_method="POST", renderer="json", permission=CREATE)
def add_message(request: Request) -> dict[str, Any]:
    ticket = load(request, ticket_id_of(request))
    if not services.may_read(request, ticket) and not request.can(WORK):
        raise not_found(ticket.id)
    body, uploads = body_and_files(request, MESSAGE_FIELDS)
    text = body.text("body") or ""
    kind = body.text("kind", default=REPLY) or REPLY
    if kind not in (REPLY, NOTE):
        body.errors.add("kind", f"« kind » vaut « {REPLY} » (réponse publique) ou « {NOTE} » (note interne).")
    body.check()
    with refusals():  # the files are checked there, by size and by content, as the web form's are
        message = services.add_message(request, ticket, me(request), text, kind=kind, uploads=uploads, source=API)
    request.db.flush()  # the attachments' ids, for their addresses
    request.response.status_int = 201
    request.response.location = request.route_url(TICKET, id=ticket.id)
    return message_json(request, message)


@view_config(route_name=ATTACHMENT_ROUTE, request_method="GET", permission=CREATE)
def download_attachment(request: Request) -> Response:
    """The file as it was sent; the ticket's readers only, and those of internal notes its technicians only."""
    ticket, works_on = readable(request, ticket_id_of(request))
    text: str = request.matchdict["attachment"]
    attachment_id = small_integer(text)
    found = request.db.get(Attachment, attachment_id) if attachment_id is not None else None
    if found is None or found.ticket_id != ticket.id or not shows(found, works_on):
        raise ApiError(404, f"Pas de pièce jointe « {text[:20]} » parmi celles du ticket {ticket.reference}.")
    try:
        data = request.find_service(IFileStorage).open(found.file_key).read()
    except KeyError as error:
        raise ApiError(404, f"Le fichier « {found.filename} » n'est plus dans le stockage des fichiers.") from error
    response = Response(body=data, content_type=found.content_type)
    response.content_disposition = f"attachment; filename*=UTF-8''{quote(found.filename, safe='')}"
    return response


@view_config(route_name=RATING, request_method="PUT", renderer="json", permission=CREATE)
def rate_ticket(request: Request) -> dict[str, Any]:
    """The requester's rating of the answer, as on the ticket page; a new rating replaces the previous one."""
    ticket, works_on = readable(request, ticket_id_of(request))
    if ticket.requester_id != me(request).id:
        raise ApiError(403, f"Seul le demandeur, {ticket.requester.display_name}, note la réponse à son ticket.")
    body = Body(json_object(request), RATING_FIELDS)
    if body.data.get("rating") is None:
        body.errors.add("rating", "« rating » est obligatoire : une note de 1 (mauvaise) à 5 (excellente).")
    rating = body.integer("rating", RATINGS)
    comment = body.text("comment") or ""
    body.check()
    try:
        services.rate(request, ticket, str(rating), comment)
    except Invalid as error:
        raise invalid(error.errors) from error
    except Refused as error:  # not resolved yet: the refusal is about the rating
        raise ApiError(error.status, error.message, {"rating": error.message}) from error
    return ticket_json(request, ticket, works_on, detail=True)


# ---------------------------------------------------------------------------
# Wiring
# ---------------------------------------------------------------------------


def includeme(config: Configurator) -> None:
    config.add_site_route(INTRANET, TICKETS, PREFIX)
    config.add_site_route(INTRANET, TICKET, PREFIX + "/{id}")
    config.add_site_route(INTRANET, MESSAGES, PREFIX + "/{id}/messages")
    config.add_site_route(INTRANET, ATTACHMENT_ROUTE, PREFIX + "/{id}/attachments/{attachment}")
    config.add_site_route(INTRANET, RATING, PREFIX + "/{id}/rating")
    files = (
        f"Avec des fichiers : les mêmes champs en {MULTIPART}, en texte, et une partie « {FILES} » par fichier, "
        f"avec son nom (curl -F … -F {FILES}=@capture.png). Chaque fichier est vérifié comme sur le formulaire : "
        "taille (réglage helpdesk.max_attachment_mb) et type reconnu d'après son contenu (images, PDF, texte, "
        f"Word, Excel, OpenDocument) ; un fichier refusé l'est dans errors.{FILES} et rien n'est enregistré. "
    )
    errors = (
        'Erreurs : {"error": "message"} ; une saisie refusée donne aussi "errors" : champ → message. '
        "404 : ticket inconnu ou que vous ne pouvez pas voir ; 409 : refusé dans l'état du ticket."
    )
    conflict = {409: "Refusé dans l'état du ticket (clos, pas encore résolu, déjà rattaché…)."}
    config.add_api_operation(
        TICKETS,
        "GET",
        summary="Les tickets que vous pouvez voir, page par page",
        description="Demandeur : ses demandes (view=requested). Technicien (helpdesk:ticket:work) : les files de "
        "ses groupes. Pagination par curseur : passez « next » en ?after= jusqu'à ce qu'il soit null.",
        permission=CREATE,
        response=TICKET_PAGE,
        parameters=LIST_PARAMETERS,
        tags=TAGS,
    )
    config.add_api_operation(
        TICKETS,
        "POST",
        summary="Ouvrir un ticket",
        description="Un technicien peut l'ouvrir pour un autre agent (« requester »). " + files + errors,
        permission=CREATE,
        request_body=CREATE_BODY,
        other_request_bodies={MULTIPART: with_files(CREATE_BODY)},
        response=TICKET_DETAIL,
        status=201,
        tags=TAGS,
    )
    config.add_api_operation(
        TICKET,
        "GET",
        summary="Un ticket, ses messages et ses pièces jointes",
        description="Les notes internes et leurs pièces jointes ne sont montrées qu'aux techniciens du groupe du "
        "ticket, comme les tickets rattachés à un incident majeur (children). " + errors,
        permission=CREATE,
        response=TICKET_DETAIL,
        tags=TAGS,
    )
    config.add_api_operation(
        TICKET,
        "PATCH",
        summary="Modifier un ticket : statut, priorité, groupe, technicien, incident parent",
        description="Pour les techniciens des groupes du ticket (sinon 403). Tout ou rien : si une partie est "
        "refusée, rien n'est modifié. Un demandeur rouvre un ticket résolu en y répondant. " + errors,
        permission=WORK,
        request_body=PATCH_BODY,
        response=TICKET_DETAIL,
        errors=conflict,
        tags=TAGS,
    )
    config.add_api_operation(
        MESSAGES,
        "POST",
        summary="Répondre sur un ticket, ou y ajouter une note interne, avec ou sans fichiers",
        description="Une réponse du demandeur relance un ticket qui l'attendait et rouvre un ticket résolu "
        "(dans le délai de réouverture). Un ticket clos ne reçoit plus de réponse (409). " + files + errors,
        permission=CREATE,
        request_body=MESSAGE_BODY,
        other_request_bodies={MULTIPART: with_files(MESSAGE_BODY)},
        response=MESSAGE,
        status=201,
        errors=conflict,
        tags=TAGS,
    )
    config.add_api_operation(
        ATTACHMENT_ROUTE,
        "GET",
        summary="Télécharger une pièce jointe d'un ticket",
        description="La réponse est le fichier lui-même, pas du JSON : son type (Content-Type, reconnu d'après le "
        "contenu à l'envoi) et son nom (Content-Disposition, filename*). Les adresses sont dans les « url » des "
        "pièces jointes du ticket. Celles des notes internes pour les techniciens du groupe du ticket "
        "seulement. " + errors,
        permission=CREATE,
        response=FILE_SCHEMA,
        response_media_type="*/*",
        tags=TAGS,
    )
    config.add_api_operation(
        RATING,
        "PUT",
        summary="Noter la réponse à son ticket résolu, de 1 à 5, avec un commentaire",
        description="Pour le demandeur seulement (403 pour les autres), une fois le ticket résolu ou clos (409 "
        "avant) ; une nouvelle note remplace la précédente. " + errors,
        permission=CREATE,
        request_body=RATING_BODY,
        response=TICKET_DETAIL,
        errors=conflict,
        tags=TAGS,
    )
    config.scan("cagou_helpdesk.api")
