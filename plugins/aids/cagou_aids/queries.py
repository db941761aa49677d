"""What the aids module's pages read: the open procedures, a person's drafts and applications."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from cagou.kit import Directorate
from cagou_aids.annotations import FILE_FIELD_PREFIX
from cagou_aids.models import (
    AUDIENCES,
    BOTH,
    PUBLISHED,
    TEST,
    Application,
    ApplicationEvent,
    ApplicationMessage,
    Assignment,
    Draft,
    GroupMember,
    Procedure,
    StoredFile,
)  # fmt: skip
from cagou_aids.triage import PRIORITY, by_priority

MAX_QUERY = 100


def is_open(procedure: Procedure, instant: datetime.datetime) -> bool:
    return (
        procedure.state in (PUBLISHED, TEST)
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
    """The draft ``token`` if it is ``applicant_id``'s, or a guest's (``applicant_id`` None: the token is the
    guest's key); anyone else is told it does not exist."""
    draft: Draft | None = db.scalar(sa.select(Draft).where(Draft.token == token[:64]))
    if draft is None or draft.applicant_id != applicant_id:
        return None
    return draft


def drafts_of(db: Session, applicant_id: int) -> list[Draft]:
    """A person's drafts not submitted yet, the latest first."""
    query = sa.select(Draft).where(Draft.applicant_id == applicant_id, Draft.application_id.is_(None))
    return list(db.scalars(query.order_by(Draft.updated_at.desc(), Draft.id.desc())))


def applications_of(db: Session, applicant_id: int) -> list[Application]:
    query = sa.select(Application).where(Application.applicant_id == applicant_id, Application.is_test.is_(False))
    return list(db.scalars(query.order_by(Application.submitted_at.desc(), Application.id.desc())))


@dataclass(frozen=True)
class ApplicationFilters:
    """The instructors' list: a text (receipt number or e-mail address), an answer equal to a value, a page."""

    text: str = ""
    field: str = ""
    value: str = ""
    #: One state of the procedure's workflow, or "" for all.
    state: str = ""
    #: Keyset pagination: the (submitted_at, id) of the last row of the page before.
    after: tuple[datetime.datetime, int] | None = None
    #: "" (the latest first) or ``priorite`` (the triage's score, cagou_aids/triage.py).
    sort: str = ""
    #: "Mes groupes": the applications in the groups of instructors this agent is a member of.
    member: int | None = None


PAGE_SIZE = 50


def cursor_of(application: Application) -> str:
    """The keyset cursor after ``application``: its submission instant and id."""
    return f"{application.submitted_at.isoformat()}_{application.id}"


def read_cursor(text: str) -> tuple[datetime.datetime, int] | None:
    """The (instant, id) of a cursor :func:`cursor_of` wrote, None for none; ValueError for anything else."""
    if not text:
        return None
    moment, _, number = text.rpartition("_")
    instant = datetime.datetime.fromisoformat(moment)
    if instant.tzinfo is None or not number.isdigit():
        raise ValueError(text)
    return instant, int(number)


def applications(
    db: Session, procedure: Procedure, filters: ApplicationFilters, size: int = PAGE_SIZE
) -> list[Application]:
    """A page of ``procedure``'s applications, the latest first (tests are left out once it is published)."""
    query = sa.select(Application).where(Application.procedure_id == procedure.id)
    if procedure.state == PUBLISHED:
        query = query.where(Application.is_test.is_(False))
    text = filters.text.strip()[:MAX_QUERY]
    if text:
        query = query.where(sa.or_(Application.receipt == text.upper(), Application.email.ilike(f"%{text}%")))
    if filters.field and filters.value:
        query = query.where(Application.answers[filters.field].as_string() == filters.value[:MAX_QUERY])
    if filters.state:
        query = query.where(Application.state == filters.state)
    if filters.member is not None:
        query = query.where(in_my_groups(filters.member))
    if filters.sort == PRIORITY:
        return by_priority(db, procedure, query, filters.after, size)
    if filters.after is not None:
        moment, last_id = filters.after
        query = query.where(
            sa.or_(
                Application.submitted_at < moment, sa.and_(Application.submitted_at == moment, Application.id < last_id)
            )
        )
    return list(db.scalars(query.order_by(Application.submitted_at.desc(), Application.id.desc()).limit(size)))


def in_my_groups(account_id: int) -> sa.ColumnElement[bool]:
    """The condition "the application is in one of the groups of instructors ``account_id`` is a member of"."""
    groups = sa.select(GroupMember.group_id).where(GroupMember.account_id == account_id)
    return Application.id.in_(sa.select(Assignment.application_id).where(Assignment.group_id.in_(groups)))


def application_by_receipt(db: Session, procedure: Procedure, receipt: str) -> Application | None:
    found: Application | None = db.scalar(
        sa.select(Application).where(Application.procedure_id == procedure.id, Application.receipt == receipt[:32])
    )
    return found


def all_applications(engine: sa.Engine, procedure_id: int) -> Iterator[sa.Row[Any]]:
    """Every application of a procedure, oldest first, streamed on a connection of its own: an export is
    still being sent after its request's transaction has ended."""
    query = (
        sa.select(Application.receipt, Application.submitted_at, Application.state, Application.email,
                  Application.answers)
        .where(Application.procedure_id == procedure_id, Application.is_test.is_(False))
        .order_by(Application.submitted_at, Application.id)
    )  # fmt: skip
    with engine.connect() as connection:
        yield from connection.execution_options(yield_per=500).execute(query)


def procedures_all(db: Session) -> list[Procedure]:
    """Every procedure with its directorate and the services above it (each one's ACL reads them): four queries
    in all, rather than one per procedure and level."""
    directorates = selectinload(Procedure.directorate)
    above = directorates.selectinload(Directorate.parent)
    ancestors = above.selectinload(Directorate.parent).selectinload(Directorate.parent)
    return list(db.scalars(sa.select(Procedure).options(ancestors).order_by(Procedure.title)))


def files_sent(db: Session, application: Application) -> list[StoredFile]:
    query = sa.select(StoredFile).where(
        StoredFile.application_id == application.id,
        StoredFile.message_id.is_(None),
        StoredFile.replaced_at.is_(None),
        ~StoredFile.field.startswith(FILE_FIELD_PREFIX),  # the instructors' private annotations' files
    )
    return list(db.scalars(query.order_by(StoredFile.field, StoredFile.id)))


def messages_of(db: Session, application: Application) -> list[tuple[ApplicationMessage, list[StoredFile]]]:
    """The application's messages, oldest first, each with its files."""
    messages = list(db.scalars(sa.select(ApplicationMessage).where(ApplicationMessage.application_id == application.id)
                               .order_by(ApplicationMessage.at, ApplicationMessage.id)))  # fmt: skip
    query = sa.select(StoredFile).where(StoredFile.message_id.in_([message.id for message in messages]))
    files: dict[int, list[StoredFile]] = {}
    for stored in db.scalars(query.order_by(StoredFile.id)):
        files.setdefault(stored.message_id or 0, []).append(stored)
    return [(message, files.get(message.id, [])) for message in messages]


def own_application(db: Session, receipt: str, applicant_id: int) -> Application | None:
    """The application ``receipt`` if it is ``applicant_id``'s (anyone else is told it does not exist)."""
    found: Application | None = db.scalar(
        sa.select(Application).where(Application.receipt == receipt[:32], Application.applicant_id == applicant_id)
    )
    return found


def history_of(db: Session, application: Application) -> list[ApplicationEvent]:
    query = sa.select(ApplicationEvent).where(ApplicationEvent.application_id == application.id)
    return list(db.scalars(query.order_by(ApplicationEvent.at, ApplicationEvent.id)))


def state_counts(db: Session, procedure: Procedure) -> dict[str, int]:
    """How many of ``procedure``'s applications are in each state (tests left out once it is published)."""
    query = sa.select(Application.state, sa.func.count()).where(Application.procedure_id == procedure.id)
    if procedure.state == PUBLISHED:
        query = query.where(Application.is_test.is_(False))
    return {state: count for state, count in db.execute(query.group_by(Application.state))}


def history_for_applicant(db: Session, application: Application) -> list[ApplicationEvent]:
    """The history lines the applicant reads (a workflow keeps some for the instructors)."""
    return [event for event in history_of(db, application) if event.public]
