"""The application page's section "Attribution et suivi": what it shows (views/assignment.py takes its forms)."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from cagou.kit import IAccounts
from cagou_aids.assignment import INSTRUCT, assignment_of, follower_ids, instructors_of
from cagou_aids.models import Application
from cagou_aids.services.workflows import resource_of


def assignment_panel(request: Request, application: Application) -> dict[str, Any]:
    """What the application's section "Attribution et suivi" shows: its group, its assignee, its followers, and
    the instructors it may go to."""
    procedure = application.version.procedure
    assignment = assignment_of(request.db, application)
    colleagues = instructors_of(request, procedure)
    names = {account.id: account.display_name for account in colleagues}
    accounts = request.find_service(IAccounts)

    def name_of(account_id: int) -> str:
        account = names.get(account_id) or accounts.by_id(account_id)
        return account if isinstance(account, str) else (account.display_name if account else "?")

    followers = follower_ids(request.db, application.id)
    group = assignment.group if assignment is not None else None
    members = group.member_ids if group is not None else set()
    me = request.identity.id
    assignee = assignment.assignee_id if assignment is not None else None
    return {
        "group": group.name if group is not None else None,
        "assignee": name_of(assignee) if assignee is not None else None,
        "mine": assignee == me,
        "following": me in followers,
        "followers": sorted(name_of(account_id) for account_id in followers),
        # The group's instructors first, then the directorate's.
        "colleagues": sorted(
            ((account.id, account.display_name) for account in colleagues if account.id != me),
            key=lambda pair: (pair[0] not in members, pair[1]),
        ),
        "may_instruct": bool(request.has_permission(INSTRUCT, resource_of(request, procedure))),
    }
