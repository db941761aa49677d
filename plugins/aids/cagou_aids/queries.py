"""What the aids module's pages read: the open procedures, a person's drafts and applications."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cagou_aids.models import AUDIENCES, BOTH, PUBLISHED, Application, Draft, Procedure

MAX_QUERY = 100


def is_open(procedure: Procedure, instant: datetime.datetime) -> bool:
    return (
        procedure.state == PUBLISHED
        and (procedure.opens_at is None or procedure.opens_at <= instant)
        and (procedure.closes_at is None or instant < procedure.closes_at)
    )


def open_procedures(db: Session, instant: datetime.datetime, text: str = "", audience: str = "") -> list[Procedure]:
    """The catalogue: published procedures open at ``instant``, matching ``text`` and ``audience`` when given."""
    query = sa.select(Procedure).where(
        Procedure.state == PUBLISHED,
        sa.or_(Procedure.opens_at.is_(None), Procedure.opens_at <= instant),
        sa.or_(Procedure.closes_at.is_(None), Procedure.closes_at > instant),
    )
    for word in text.split()[:10]:
        pattern = f"%{word[:MAX_QUERY]}%"
        query = query.where(
            sa.or_(Procedure.title.ilike(pattern), Procedure.summary.ilike(pattern), Procedure.category.ilike(pattern))
        )
    if audience in AUDIENCES and audience != BOTH:
        query = query.where(Procedure.audience.in_((audience, BOTH)))
    return list(db.scalars(query.order_by(Procedure.closes_at.is_(None), Procedure.closes_at, Procedure.title)))


def procedure_by_slug(db: Session, slug: str) -> Procedure | None:
    found: Procedure | None = db.scalar(sa.select(Procedure).where(Procedure.slug == slug[:100]))
    return found


def draft_of(db: Session, token: str, applicant_id: int | None) -> Draft | None:
    """The draft ``token`` if it is ``applicant_id``'s (anyone else is told it does not exist)."""
    draft: Draft | None = db.scalar(sa.select(Draft).where(Draft.token == token[:64]))
    if draft is None or draft.applicant_id is None or draft.applicant_id != applicant_id:
        return None
    return draft


def drafts_of(db: Session, applicant_id: int) -> list[Draft]:
    """A person's drafts not submitted yet, the latest first."""
    query = sa.select(Draft).where(Draft.applicant_id == applicant_id, Draft.application_id.is_(None))
    return list(db.scalars(query.order_by(Draft.updated_at.desc(), Draft.id.desc())))


def applications_of(db: Session, applicant_id: int) -> list[Application]:
    query = sa.select(Application).where(Application.applicant_id == applicant_id, Application.is_test.is_(False))
    return list(db.scalars(query.order_by(Application.submitted_at.desc(), Application.id.desc())))
