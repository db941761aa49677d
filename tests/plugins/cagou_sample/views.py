"""The sample module's pages."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from cagou.interfaces import IAuditLog, IJobQueue
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


@view_config(
    route_name="sample.public", renderer="cagou_sample:templates/public.jinja2", permission=NO_PERMISSION_REQUIRED
)
def public(request: Request) -> dict[str, Any]:
    return {}
