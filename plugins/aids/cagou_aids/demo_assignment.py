"""The demonstration's groups of instructors on the business aid, by the company's commune, and a few files
assigned to and followed by the demonstration's agent (see demo.py)."""

from __future__ import annotations

import sqlalchemy as sa
from pyramid.request import Request

from cagou.kit import Account, IClock
from cagou_aids.interfaces import IInstructorGroups
from cagou_aids.models import Application, Assignment, Follower, Procedure

#: Name, communes (none: the default group).
GROUPS = (
    ("Nouméa", ("Nouméa",)),
    ("Grand Nouméa", ("Dumbéa", "Le Mont-Dore", "Païta")),
    ("Brousse et îles", ()),
)
#: How many files of the group "Nouméa" the agent has on their desk.
ASSIGNED = 8


def demo_groups(request: Request, procedure: Procedure, agent: Account | None) -> None:
    groups = request.find_service(IInstructorGroups)
    members = [agent.id] if agent is not None else []
    saved = [groups.save(procedure, name, "commune" if communes else "", communes, members, is_default=not communes)
             for name, communes in GROUPS]  # fmt: skip
    if agent is None:
        return
    ids = list(request.db.scalars(
        sa.select(Assignment.application_id).join(Application, Application.id == Assignment.application_id)
        .where(Assignment.group_id == saved[0].id).order_by(Application.submitted_at).limit(ASSIGNED)
    ))  # fmt: skip
    instant = request.find_service(IClock).now()
    request.db.execute(sa.update(Assignment).where(Assignment.application_id.in_(ids))
                       .values(assignee_id=agent.id, assigned_at=instant, assigned_by_id=agent.id))  # fmt: skip
    request.db.execute(sa.insert(Follower), [{"application_id": i, "account_id": agent.id, "since": instant}
                                             for i in ids])  # fmt: skip
