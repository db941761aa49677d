"""The sample module's pages."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPBadRequest, HTTPConflict, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from cagou.kit import IAuditLog, IJobQueue, Root, directorate_acl
from cagou_sample.models import SampleNote


@view_config(route_name="sample.notes", renderer="cagou_sample:templates/notes.jinja2", permission="sample:note:view")
def notes(request: Request) -> dict[str, Any]:
    return {"notes": list(request.db.scalars(sa.select(SampleNote).order_by(SampleNote.title)))}


@view_config(route_name="sample.note_add", request_method="POST", permission="sample:note:view")
def note_add(request: Request) -> HTTPSeeOther:
    note = SampleNote(title=request.POST["title"], author_id=request.identity.id)
    request.db.add(note)
    request.db.flush()
    request.find_service(IAuditLog).record(
        "sample:note:create",
        f"Note « {note.title} » ajoutée.",
        module="sample",
        object_type="note",
        object_id=str(note.id),
    )
    request.find_service(IJobQueue).enqueue("sample.echo", text=note.title)
    if request.POST.get("fail") == "1":
        raise RuntimeError("Échec demandé par le test")
    return HTTPSeeOther(request.route_path("sample.notes"))


NOTE_SCHEMA = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "title": {"type": "string"}},
    "required": ["id", "title"],
}
MAX_TITLE_LENGTH = 200


@view_config(route_name="sample.api.notes", request_method="GET", renderer="json", permission="sample:note:view")
def api_notes(request: Request) -> list[dict[str, Any]]:
    notes = request.db.scalars(sa.select(SampleNote).order_by(SampleNote.id))
    return [{"id": note.id, "title": note.title} for note in notes]


@view_config(route_name="sample.api.notes", request_method="POST", renderer="json", permission="sample:note:view")
def api_note_add(request: Request) -> Any:
    try:
        title = request.json_body["title"]
    except (ValueError, KeyError, TypeError) as error:
        raise HTTPBadRequest('Envoyez un objet JSON avec un titre : {"title": "…"}.') from error
    if not isinstance(title, str):
        raise HTTPBadRequest("Le titre est une chaîne de caractères.")
    title = title.strip()
    if not title or len(title) > MAX_TITLE_LENGTH:
        raise HTTPBadRequest(f"Le titre est obligatoire et fait {MAX_TITLE_LENGTH} caractères au plus.")
    if request.db.scalar(sa.select(SampleNote.id).where(SampleNote.title == title)) is not None:
        raise HTTPConflict(f"Une note s'intitule déjà « {title} ».")
    note = SampleNote(title=title, author_id=request.identity.id)
    request.db.add(note)
    request.db.flush()
    request.response.status_int = 201
    return {"id": note.id, "title": note.title}


@view_config(route_name="sample.api.note", request_method="GET", renderer="json", permission="sample:note:view")
def api_note(request: Request) -> dict[str, Any]:
    number = request.matchdict["id"]
    # Anything but a number names no note (the input guard already answers 404 past 32 bits).
    note = request.db.get(SampleNote, int(number)) if number.isascii() and number.isdigit() else None
    if note is None:
        raise HTTPNotFound()
    return {"id": note.id, "title": note.title}


class NoteContext:
    """A note as a resource: its ACL says who may act on it, by its directorate."""

    def __init__(self, request: Request, note: SampleNote) -> None:
        self.note = note
        self.__parent__ = Root(request)
        self.__acl__ = directorate_acl(request.registry, note.directorate)


def note_context(request: Request) -> NoteContext:
    note = request.db.get(SampleNote, int(request.matchdict["id"]))
    if note is None:
        raise HTTPNotFound()
    return NoteContext(request, note)


@view_config(route_name="sample.note_edit", renderer="json", permission="sample:note:edit")
def note_edit(context: NoteContext, request: Request) -> dict[str, Any]:
    if request.method == "POST" and request.POST["title"] != context.note.title:
        before, context.note.title = context.note.title, request.POST["title"]
        request.find_service(IAuditLog).record(
            "sample:note:edit",
            f"Note « {before} » renommée « {context.note.title} ».",
            module="sample",
            object_type="note",
            object_id=str(context.note.id),
            changes={"before": {"title": before}, "after": {"title": context.note.title}},
        )
    directorate = context.note.directorate
    return {"title": context.note.title, "directorate": directorate.code if directorate else None}


@view_config(
    route_name="sample.public", renderer="cagou_sample:templates/public.jinja2", permission=NO_PERMISSION_REQUIRED
)
def public(request: Request) -> dict[str, Any]:
    return {}
