"""Questions about expert opinions that change nothing: who reads one, who answers one, which ones wait for me.

- **Reading**: the instructor who asked always; a *confidential* opinion
  also the validators of the procedure's directorate, a *shared* one every
  instructor of the procedure. The applicant never.
- **Answering** (an opinion asked of a directorate): the agents holding
  ``aids:instructor`` or ``aids:expert`` within that directorate (or above
  it), the permission ``aids:opinion:give``, while it is neither answered
  nor past its deadline.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request

from cagou.kit import Directorate, IAccounts, IClock, Root, directorate_acl, timezone
from cagou_aids.models import Application, Procedure
from cagou_aids.models.opinions import SHARED, Opinion

GIVE = "aids:opinion:give"
INSTRUCT = "aids:application:instruct"
VALIDATE = "aids:application:validate"
#: The roles whose holders answer for their directorate.
ANSWERING_ROLES = ("aids:instructor", "aids:expert")


@dataclass
class DirectorateResource:
    """A directorate as the ACL sees it (the opinions asked of it)."""

    __acl__: Any
    __parent__: Root


def directorate_resource(request: Request, directorate: Directorate | None) -> DirectorateResource:
    return DirectorateResource(directorate_acl(request.registry, directorate), Root(request))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def allowed(request: Request, permission: str, procedure: Procedure) -> bool:
    return bool(request.has_permission(permission, directorate_resource(request, procedure.directorate)))


def may_ask(request: Request, procedure: Procedure) -> bool:
    return allowed(request, INSTRUCT, procedure)


def may_read(request: Request, opinion: Opinion, procedure: Procedure) -> bool:
    if request.identity is not None and opinion.asked_by_id == request.identity.id:
        return True
    return allowed(request, INSTRUCT if opinion.visibility == SHARED else VALIDATE, procedure)


def is_open(request: Request, opinion: Opinion) -> bool:
    return opinion.answered_at is None and opinion.deadline > request.find_service(IClock).now()


def may_answer(request: Request, opinion: Opinion) -> bool:
    """Whether the signed-in agent answers for the directorate this opinion was asked of (open or not)."""
    if opinion.directorate is None:
        return False
    return bool(request.has_permission(GIVE, directorate_resource(request, opinion.directorate)))


def answering_directorates(request: Request) -> list[Directorate]:
    """The directorates whose agents may be asked an opinion: where someone holds one of the answering roles."""
    found: dict[int, Directorate] = {}
    for account in request.find_service(IAccounts).holders_of(ANSWERING_ROLES):
        for grant in account.grants:
            if grant.role in ANSWERING_ROLES and grant.directorate is not None:
                found[grant.directorate.id] = grant.directorate
    return sorted(found.values(), key=lambda directorate: directorate.name)


def opinions_of(request: Request, application: Application) -> list[Opinion]:
    """The application's opinions the signed-in agent may read, newest first."""
    procedure = application.version.procedure
    opinions = request.db.scalars(
        sa.select(Opinion).where(Opinion.application_id == application.id).order_by(Opinion.id.desc())
    )
    return [opinion for opinion in opinions if may_read(request, opinion, procedure)]


def asked_of_me(request: Request) -> list[Opinion]:
    """The opinions asked of the directorates the signed-in agent answers for, waiting first, then the latest."""
    query = (
        sa.select(Opinion)
        .where(Opinion.directorate_id.is_not(None))
        .order_by(Opinion.answered_at.is_not(None), Opinion.deadline, Opinion.id.desc())
    )
    return [opinion for opinion in request.db.scalars(query) if may_answer(request, opinion)]


def deadline_instant(request: Request, day: datetime.date) -> datetime.datetime:
    """The end of ``day`` in Nouméa time, as the instant stored (UTC)."""
    end = datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=timezone(request.registry))
    return end.astimezone(datetime.UTC)
