"""What the configuration's services share: the audit entry of a change."""

from __future__ import annotations

from collections.abc import Mapping

from pyramid.request import Request

from cagou.kit import IAuditLog
from cagou_helpdesk.rules import MODULE


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
        module=MODULE,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        changes=changes,
    )
