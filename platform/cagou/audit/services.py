"""The audit log service: entries written in the request's transaction."""

from __future__ import annotations

import logging
from typing import Any

from pyramid.registry import Registry
from pyramid.request import Request
from zope.interface import implementer

from cagou.audit.models import AuditEntry
from cagou.contributions import AuditEntryView
from cagou.interfaces import IAuditLog, IClock
from cagou.plugins import call_active

log = logging.getLogger(__name__)


@implementer(IAuditLog)
class DatabaseAuditLog:
    def __init__(self, request: Request) -> None:
        self.request = request

    def record(
        self,
        action: str,
        summary: str,
        module: str = "core",
        object_type: str | None = None,
        object_id: str | None = None,
        changes: dict[str, Any] | None = None,
    ) -> AuditEntry:
        request = self.request
        actor = request.identity
        entry = AuditEntry(
            occurred_at=request.find_service(IClock).now(),
            actor_id=actor.id if actor is not None else None,
            actor_login=actor.login if actor is not None else None,
            actor_kind=actor.kind if actor is not None else None,
            address=request.client_addr,
            user_agent=(request.user_agent or "")[:512] or None,
            request_id=request.environ.get("cagou.request_id"),
            module=module,
            action=action,
            object_type=object_type,
            object_id=object_id,
            summary=summary,
            changes=changes,
        )
        request.db.add(entry)
        request.db.flush()
        registry, view = request.registry, entry_view(entry)
        request.tm.get().addAfterCommitHook(notify_observers, args=(registry, view))
        return entry


def entry_view(entry: AuditEntry) -> AuditEntryView:
    return AuditEntryView(
        id=entry.id,
        occurred_at=entry.occurred_at,
        actor=entry.actor_login,
        module=entry.module,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        summary=entry.summary,
        address=entry.address,
        request_id=entry.request_id,
        changes=entry.changes,
    )


def notify_observers(committed: bool, registry: Registry, view: AuditEntryView) -> None:
    """Hand a committed entry to the observers; their failures stay theirs."""
    if committed:
        call_active(registry, "cagou_audit_observed", registry=registry, entry=view)


def audit_log_factory(context: Any, request: Request) -> DatabaseAuditLog:
    return DatabaseAuditLog(request)
