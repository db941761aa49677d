"""Who works on an application, as the pages and the services ask it (nothing here changes data).

The instructors of a procedure are the agents who hold ``aids:application:instruct`` on it: the role
``aids:instructor`` granted within its directorate or above it (the ACL of :func:`~cagou.kit.directorate_acl`),
found through ``IAccounts.holders_of``, never by reading the core's tables. The badges of a page of files come
from one query (:func:`badges_for`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from pyramid.authorization import ACLHelper
from pyramid.request import Request
from sqlalchemy.orm import Session

from cagou.kit import Account, IAccounts, principals_of
from cagou_aids.models import (
    APPLICANT,
    COMPLEMENT,
    Application,
    ApplicationMessage,
    Assignment,
    DocumentRequest,
    Follower,
    GroupMember,
    InstructorGroup,
    Procedure,
    Seen,
    TransitionTaken,
)  # fmt: skip
from cagou_aids.models.opinions import SHARED, Opinion
from cagou_aids.services.workflows import resource_of
from cagou_aids.workflow import PROPOSAL, VALIDATION

INSTRUCT = "aids:application:instruct"
VALIDATE = "aids:application:validate"
#: What a badge says, after "nouveau : " (its text alternative; the red dot is for the eye).
BADGES = {"message": "message", "complement": "complément reçu", "transition": "transition", "opinion": "avis"}


def may(request: Request, account: Account, procedure: Procedure, permission: str) -> bool:
    """Whether ``account`` (anyone, not only the signed-in agent) holds ``permission`` on ``procedure``."""
    principals = principals_of(account, strong=True, strong_roles=request.registry["cagou.strong_roles"])
    return bool(ACLHelper().permits(resource_of(request, procedure), principals, permission))


def instructors_of(request: Request, procedure: Procedure) -> list[Account]:
    """The agents who may instruct ``procedure``'s applications, by name."""
    holders = request.find_service(IAccounts).holders_of(["aids:instructor"])
    return [account for account in holders if may(request, account, procedure, INSTRUCT)]


def groups_of(db: Session, procedure_id: int) -> list[InstructorGroup]:
    query = sa.select(InstructorGroup).where(InstructorGroup.procedure_id == procedure_id)
    return list(db.scalars(query.order_by(InstructorGroup.is_default, InstructorGroup.name)))


def group_for(groups: Sequence[InstructorGroup], answers: dict[str, Any]) -> InstructorGroup | None:
    """The group the answers route to: the first whose field's answer is one of its values (any of them, for a
    multiple choice), else the default group, else None."""
    for group in groups:
        if group.is_default or not group.field:
            continue
        answer = answers.get(group.field)
        given = [str(item) for item in answer] if isinstance(answer, list) else [str(answer)]
        if answer is not None and set(given) & set(group.routing_values):
            return group
    return next((group for group in groups if group.is_default), None)


def assignment_of(db: Session, application: Application) -> Assignment | None:
    return db.get(Assignment, application.id)


def follower_ids(db: Session, application_id: int) -> set[int]:
    return set(db.scalars(sa.select(Follower.account_id).where(Follower.application_id == application_id)))


def is_member_somewhere(db: Session, procedure_id: int, account_id: int) -> bool:
    """Whether ``account_id`` is in one of ``procedure_id``'s groups (their list then shows "Mes groupes" first)."""
    query = (
        sa.select(InstructorGroup.id)
        .join(GroupMember)
        .where(InstructorGroup.procedure_id == procedure_id, GroupMember.account_id == account_id)
    )
    return db.scalar(query.limit(1)) is not None


def groups_filter(request: Request, procedure: Procedure, params: Mapping[str, str] | None = None) -> str:
    """The list's filter "groupes" in ``params`` (the query string by default): ``miens`` (my groups' files) or
    ``toutes``; by default ``miens`` for a member of one of the procedure's groups."""
    chosen = str((request.GET if params is None else params).get("groupes", ""))
    if chosen in ("miens", "toutes"):
        return chosen
    return "miens" if is_member_somewhere(request.db, procedure.id, request.identity.id) else "toutes"


def badges_for(db: Session, account_id: int, application_ids: Iterable[int]) -> dict[int, list[str]]:
    """For each application, what changed since ``account_id`` last opened it (since its submission, when never):
    a message from the applicant, an answered request for documents, a transition taken by someone else, an expert
    opinion answered by someone else. One query.
    """
    ids = list(application_ids)
    if not ids:
        return {}
    since = sa.func.coalesce(Seen.at, Application.submitted_at)
    message = sa.exists().where(ApplicationMessage.application_id == Application.id,
                                ApplicationMessage.author == APPLICANT, ApplicationMessage.at > since)  # fmt: skip
    complement = sa.exists().where(DocumentRequest.application_id == Application.id,
                                   DocumentRequest.answered_at > since)  # fmt: skip
    transition = sa.exists().where(TransitionTaken.application_id == Application.id,
                                   TransitionTaken.account_id != account_id, TransitionTaken.at > since)  # fmt: skip
    # A confidential opinion's badge goes to its asker only: the badge must not tell the others it exists.
    opinion = sa.exists().where(Opinion.application_id == Application.id, Opinion.answered_at > since,
                                sa.func.coalesce(Opinion.answered_by_id, 0) != account_id,
                                sa.or_(Opinion.visibility == SHARED, Opinion.asked_by_id == account_id))  # fmt: skip
    query = (
        sa.select(Application.id, message, complement, transition, opinion)
        .outerjoin(Seen, sa.and_(Seen.application_id == Application.id, Seen.account_id == account_id))
        .where(Application.id.in_(ids))
    )
    kinds = ("message", "complement", "transition", "opinion")
    found: dict[int, list[str]] = {}
    for application_id, *flags in db.execute(query):
        changed = [BADGES[kind] for kind, flag in zip(kinds, flags, strict=True) if flag]
        if changed:
            found[application_id] = changed
    return found


def my_files(db: Session, account_id: int, limit: int = 200) -> list[tuple[Application, bool]]:
    """The applications assigned to ``account_id`` or followed by them, the latest first, each with whether it is
    assigned to them."""
    assigned = sa.select(Assignment.application_id).where(Assignment.assignee_id == account_id)
    followed = sa.select(Follower.application_id).where(Follower.account_id == account_id)
    query = sa.select(Application).where(sa.or_(Application.id.in_(assigned), Application.id.in_(followed)))
    rows = list(db.scalars(query.order_by(Application.submitted_at.desc(), Application.id.desc()).limit(limit)))
    mine = set(db.scalars(assigned.where(Assignment.application_id.in_([row.id for row in rows]))))
    return [(row, row.id in mine) for row in rows]


def instructor_states(procedure: Procedure) -> set[str]:
    """The states in which an application waits for an instructor: those an instructor's transition leaves, but a
    complement asked (it waits for the applicant) and a proposal (it waits for its validation)."""
    version = procedure.workflow_version
    if version is None:
        return {"deposee"}
    return {source for transition in version.parsed.transitions if transition.role == "aids:instructor"
            for source in transition.sources} - {COMPLEMENT} - validation_states(procedure)  # fmt: skip


def waiting_for_me(db: Session, account_id: int) -> list[Application]:
    """The applications assigned to ``account_id`` that wait for an instructor's action."""
    query = sa.select(Application).where(Application.id.in_(
        sa.select(Assignment.application_id).where(Assignment.assignee_id == account_id)))  # fmt: skip
    rows = db.scalars(query.order_by(Application.submitted_at, Application.id))
    return [row for row in rows if row.state in instructor_states(row.version.procedure)]


def validation_states(procedure: Procedure) -> set[str]:
    version = procedure.workflow_version
    if version is None:
        return set()
    return {source for transition in version.parsed.transitions if transition.step == VALIDATION
            for source in transition.sources}  # fmt: skip


def to_validate(request: Request, procedures: Sequence[Procedure], account: Account) -> list[Application]:
    """The proposed applications of ``procedures`` that ``account`` may validate under the four-eyes rule: not their
    own proposal, not validated by them already in this round. Two queries, whatever the number of files."""
    wanted = [(procedure.id, state) for procedure in procedures if may(request, account, procedure, VALIDATE)
              for state in validation_states(procedure)]  # fmt: skip
    if not wanted:
        return []
    condition = sa.or_(*(sa.and_(Application.procedure_id == pid, Application.state == state) for pid, state in wanted))
    rows = list(request.db.scalars(sa.select(Application).where(condition, Application.is_test.is_(False))
                                   .order_by(Application.submitted_at, Application.id)))  # fmt: skip
    taken: dict[int, list[TransitionTaken]] = {}
    query = sa.select(TransitionTaken).where(TransitionTaken.application_id.in_([row.id for row in rows]))
    for row in request.db.scalars(query.order_by(TransitionTaken.id)):
        taken.setdefault(row.application_id, []).append(row)
    return [row for row in rows if not own_round(taken.get(row.id, []), account.id)]


def own_round(taken: list[TransitionTaken], account_id: int) -> bool:
    """Whether the four-eyes rule keeps ``account_id`` off the current proposal (theirs, or validated by them)."""
    starts = [index for index, row in enumerate(taken) if row.step == PROPOSAL]
    current = taken[starts[-1] :] if starts else []
    if not current:
        return False
    return current[0].account_id == account_id or any(
        row.step == VALIDATION and row.account_id == account_id for row in current
    )


def last_seen(db: Session, account_id: int, application_id: int) -> datetime.datetime | None:
    seen = db.get(Seen, (application_id, account_id))
    return seen.at if seen is not None else None
