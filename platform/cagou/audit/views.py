"""The history of one object, for the agents who may see that object.

The IT console shows the whole log to those who hold ``core:audit:view``. An
agent sees instead the entries about an object they work on (a citizen's
file, a ticket): the module that owns the object type says, through the hook
``cagou_audit_object_visible``, whether this person may see this object. No
answer, or False, is a 404: the page does not even confirm that the object
exists. The page is open to every agent and IT administrator
(``core:space:view``, the permission of "Mon espace"); the module decides
object by object.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from cagou.audit.models import CATEGORY_LABELS, AuditEntry
from cagou.plugins import call_enabled

HISTORY_LIMIT = 500
MAX_OBJECT_LENGTH = 128


def may_see_history(request: Request, object_type: str, object_id: str) -> bool:
    """IT administrators see every history; others, what the owning module allows."""
    if request.can("core:audit:view"):
        return True
    answers = call_enabled(
        request, "cagou_audit_object_visible", firstresult=True, object_type=object_type, object_id=object_id
    )
    return bool(answers) and answers[0] is True


@view_config(
    route_name="audit.object_history",
    renderer="cagou:audit/templates/object_history.jinja2",
    permission="core:space:view",
)
def object_history(request: Request) -> dict[str, Any]:
    object_type, object_id = request.matchdict["object_type"], request.matchdict["object_id"]
    if len(object_type) > MAX_OBJECT_LENGTH or len(object_id) > MAX_OBJECT_LENGTH:
        raise HTTPNotFound()
    if not may_see_history(request, object_type, object_id):
        raise HTTPNotFound()
    query = (
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id.desc())
        .limit(HISTORY_LIMIT + 1)
    )
    entries = list(request.db.scalars(query))
    return {
        "object_type": object_type,
        "object_id": object_id,
        "entries": entries[:HISTORY_LIMIT],
        "truncated": len(entries) > HISTORY_LIMIT,
        "categories": CATEGORY_LABELS,
    }
