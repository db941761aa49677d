"""What the aids module's pages read: the open procedures, a person's drafts and applications."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH
from sqlalchemy.orm import Session, selectinload

from cagou.kit import Directorate
from cagou_aids.annotations import FILE_FIELD_PREFIX
from cagou_aids.definition import NAME
from cagou_aids.fulltext import full_text
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
class AnswerFilter:
    """One condition on an answer (:mod:`cagou_aids.queue` reads them from the query string): equal to ``value``
    (a choice, a yes/no, a commune), containing ``value`` (a text), or between ``low`` and ``high`` (a number, an
    amount, a date as ``AAAA-MM-JJ``; either bound may be None)."""

    field: str
    kind: str
    value: str = ""
    low: int | str | None = None
    high: int | str | None = None


#: The kinds of :class:`AnswerFilter`.
EQUALS, CONTAINS, BETWEEN, YES_OR_NO = "egal", "contient", "entre", "oui-non"


@dataclass(frozen=True)
class ApplicationFilters:
    """The instructors' list: a text (receipt number, or words of the applicant's name and answers), conditions
    on answers, a state, a submission period, an order and a page."""

    text: str = ""
    answers: tuple[AnswerFilter, ...] = ()
    #: One state of the procedure's workflow, or "" for all.
    state: str = ""
    #: Submitted at or after ``submitted_from``, before ``submitted_before`` (UTC instants), when given.
    submitted_from: datetime.datetime | None = None
    submitted_before: datetime.datetime | None = None
    #: One of :data:`SORTS`.
    sort: str = "recent"
    #: Keyset pagination: the (submitted_at, id) of the last row of the page before (``after``), or of the first
    #: row of the page after (``before``, the link "Précédent").
    after: tuple[datetime.datetime, int] | None = None
    before: tuple[datetime.datetime, int] | None = None
    #: Parameters that later filters read (the query string's, by name), so that adding one needs no new field.
    extra: tuple[tuple[str, str], ...] = ()
    #: The agent looking at the list, for filters about them ("Mes groupes"); None for a program's token.
    account_id: int | None = None
    #: "Mes groupes": the applications in the groups of instructors this agent is a member of.
    member: int | None = None


PAGE_SIZE = 50
#: Control characters never reach a query (PostgreSQL refuses NUL in text).
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Sort:
    """An order of the list: by submission instant then id (stable, what keyset pagination pages on)."""

    label: str
    newest_first: bool


#: The orders an instructor chooses (``tri=``); another order is added here with its keyset columns.
SORTS = {
    "recent": Sort("Les plus récentes d'abord", True),
    "ancien": Sort("Les plus anciennes d'abord", False),
    PRIORITY: Sort("Par score de priorité (tri des inscriptions)", True),
}


def cursor_of(application: Application) -> str:
    """The keyset cursor after ``application``: its submission instant and id."""
    return f"{application.submitted_at.isoformat()}_{application.id}"


def read_cursor(text: str) -> tuple[datetime.datetime, int] | None:
    """The (instant, id) of a cursor :func:`cursor_of` wrote, None for none; ValueError for anything else."""
    if not text:
        return None
    moment, _, number = text.rpartition("_")
    instant = datetime.datetime.fromisoformat(moment)
    if instant.tzinfo is None or not number.isdigit() or len(number) > 18:
        raise ValueError(text)
    return instant, int(number)


def like_pattern(text: str) -> str:
    """``text`` anywhere, its own ``%`` and ``_`` taken literally (escaped with ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def answer_number(name: str, dialect: str) -> sa.ColumnElement[Any]:
    """The answer ``name`` as a number, NULL when it holds none (a cast of a text would fail on PostgreSQL)."""
    if dialect == "postgresql":
        kind = sa.func.json_typeof(Application.answers.op("->")(name))
        return sa.case((kind == "number", Application.answers[name].as_string().cast(sa.Numeric)), else_=None)
    kind = sa.func.json_type(Application.answers, f'$."{name}"')
    return sa.case((kind.in_(("integer", "real")), Application.answers[name].as_float()), else_=None)


def answer_condition(condition: AnswerFilter, dialect: str) -> sa.ColumnElement[bool]:
    text: sa.ColumnElement[str] = Application.answers[condition.field].as_string()
    if condition.kind == CONTAINS:
        return text.ilike(like_pattern(condition.value), escape="\\")
    if condition.kind == EQUALS:
        return text == condition.value
    if condition.kind == YES_OR_NO:  # stored as a JSON boolean, which each database writes its own way
        stored = "true" if condition.value == "oui" else "false"
        if dialect == "postgresql":
            return Application.answers.op("->>")(condition.field) == stored
        return sa.func.json_type(Application.answers, f'$."{condition.field}"') == stored
    value: sa.ColumnElement[Any] = (
        text if isinstance(condition.low or condition.high, str) else answer_number(condition.field, dialect)
    )
    bounds = [value >= condition.low] if condition.low is not None else []
    bounds += [value <= condition.high] if condition.high is not None else []
    return sa.and_(value.is_not(None), *bounds)


def text_condition(filters: ApplicationFilters, dialect: str) -> sa.ColumnElement[bool] | None:
    text = CONTROL.sub(" ", filters.text).strip()[:MAX_QUERY]
    if not text:
        return None
    found = full_text(text, dialect)
    exact = Application.receipt == text.upper()
    return exact if found is None else sa.or_(exact, found)


def answers_condition(filters: ApplicationFilters, dialect: str) -> sa.ColumnElement[bool] | None:
    conditions = list(filters.answers)
    if dialect != "postgresql" or not conditions:
        return sa.and_(*(answer_condition(c, dialect) for c in conditions)) if conditions else None
    # PostgreSQL: the equalities as one containment, which the GIN index ix_aids_application_answers_fts answers
    # (and one parse of the row's JSON rather than one per answer asked).
    equal: dict[str, Any] = {c.field: c.value for c in conditions if c.kind == EQUALS}
    equal |= {c.field: c.value == "oui" for c in conditions if c.kind == YES_OR_NO}
    answers = sa.cast(Application.answers, JSONB)
    found = [answer_condition(c, dialect) for c in conditions if c.kind == CONTAINS]
    if equal:
        found.append(answers.op("@>")(sa.cast(sa.literal(json.dumps(equal, ensure_ascii=False)), JSONB)))
    if ranges := [c for c in conditions if c.kind == BETWEEN]:
        found.append(ranges_condition(answers, ranges))
    return sa.and_(*found)


def ranges_condition(answers: sa.ColumnElement[Any], ranges: list[AnswerFilter]) -> sa.ColumnElement[bool]:
    """Every range as one JSON path over the row's answers, read once (``$ ? (@."montant" >= $b0 && …)``), its
    bounds passed as the path's variables. A field's name is a definition's (``[a-z][a-z0-9_]*``); an answer
    of another type than its bounds' compares as unknown, which is false, never an error."""
    tests: list[str] = []
    bounds: dict[str, int | str] = {}
    for condition in ranges:
        if not NAME.match(condition.field):  # never written into the path unless a definition's name
            raise ValueError(f"field name {condition.field[:40]!r}")
        for operator, value in ((">=", condition.low), ("<=", condition.high)):
            if value is not None:
                bounds[f"b{len(bounds)}"] = value
                tests.append(f'@."{condition.field}" {operator} $b{len(bounds) - 1}')
    path = sa.cast(sa.literal(f"$ ? ({' && '.join(tests)})"), JSONPATH)
    variables = sa.cast(sa.literal(json.dumps(bounds)), JSONB)
    return sa.func.jsonb_path_exists(answers, path, variables).is_(True)


def state_condition(filters: ApplicationFilters, dialect: str) -> sa.ColumnElement[bool] | None:
    return Application.state == filters.state if filters.state else None


def period_condition(filters: ApplicationFilters, dialect: str) -> sa.ColumnElement[bool] | None:
    bounds = [Application.submitted_at >= filters.submitted_from] if filters.submitted_from else []
    bounds += [Application.submitted_at < filters.submitted_before] if filters.submitted_before else []
    return sa.and_(*bounds) if bounds else None


def groups_condition(filters: ApplicationFilters, dialect: str) -> sa.ColumnElement[bool] | None:
    return in_my_groups(filters.member) if filters.member is not None else None


def in_my_groups(account_id: int) -> sa.ColumnElement[bool]:
    """The condition "the application is in one of the groups of instructors ``account_id`` is a member of"."""
    groups = sa.select(GroupMember.group_id).where(GroupMember.account_id == account_id)
    return Application.id.in_(sa.select(Assignment.application_id).where(Assignment.group_id.in_(groups)))


#: The list's filters, each a function of the filters read and the database's dialect giving its WHERE clause
#: (None when it does not apply). A new filter is one more function here, reading its own field of
#: :class:`ApplicationFilters` or its parameter in ``extra``.
FILTERS: list[Callable[[ApplicationFilters, str], sa.ColumnElement[bool] | None]] = [
    text_condition, answers_condition, state_condition, period_condition, groups_condition,
]  # fmt: skip


def filtered(db: Session, procedure: Procedure, filters: ApplicationFilters) -> sa.Select[Any]:
    """``procedure``'s applications that ``filters`` select, in no order (tests left out once it is published)."""
    dialect = db.get_bind().dialect.name
    query = sa.select(Application).where(Application.procedure_id == procedure.id)
    if procedure.state == PUBLISHED:
        query = query.where(Application.is_test.is_(False))
    conditions = (condition(filters, dialect) for condition in FILTERS)
    return query.where(*(condition for condition in conditions if condition is not None))


def keyset(query: sa.Select[Any], filters: ApplicationFilters) -> sa.Select[Any]:
    """The page's rows in the order asked: after the cursor ``after``, or before ``before`` in the reverse order
    (the caller turns them back)."""
    newest_first = SORTS.get(filters.sort, SORTS["recent"]).newest_first
    cursor, forward = (filters.before, False) if filters.before is not None else (filters.after, True)
    descending = newest_first == forward
    if cursor is not None:
        # A row comparison, which the databases read as a range of the index (an OR of two tests they do not).
        moment, last_id = cursor
        bound = sa.tuple_(sa.literal(moment, Application.submitted_at.type), sa.literal(last_id, sa.Integer))
        row = sa.tuple_(Application.submitted_at, Application.id)
        query = query.where(row < bound if descending else row > bound)
    if descending:
        return query.order_by(Application.submitted_at.desc(), Application.id.desc())
    return query.order_by(Application.submitted_at, Application.id)


def applications(
    db: Session, procedure: Procedure, filters: ApplicationFilters, size: int = PAGE_SIZE
) -> list[Application]:
    """A page of ``procedure``'s applications in the order asked (the latest first by default), at most ``size``,
    with the applications they may duplicate; a page asked ``before`` a cursor comes back in the list's order.
    By the triage's score (``tri=priorite``, :mod:`cagou_aids.triage`), the page after ``after`` (the score is
    computed on read: there is no keyset on it)."""
    if filters.sort == PRIORITY:
        return by_priority(db, procedure, filtered(db, procedure, filters), filters.after, size)
    query = keyset(filtered(db, procedure, filters), filters).options(selectinload(Application.duplicate_of))
    rows: list[Application] = list(db.scalars(query.limit(size)))
    return rows[::-1] if filters.before is not None else rows


def filtered_ids(db: Session, procedure: Procedure, filters: ApplicationFilters, limit: int) -> list[int]:
    """The ids of at most ``limit`` applications ``filters`` select (every page): a bulk action's selection."""
    query = filtered(db, procedure, filters).with_only_columns(Application.id).order_by(Application.id)
    return list(db.scalars(query.limit(limit)))


def filtered_count(db: Session, procedure: Procedure, filters: ApplicationFilters, at_most: int) -> int:
    """How many applications ``filters`` select, counted up to ``at_most``: counting 50,000 rows whose answers
    must be read one by one would cost more than the page itself, and past a bulk action's most, "more than"
    is what an instructor needs to know."""
    found = filtered(db, procedure, filters).with_only_columns(Application.id).order_by(None).limit(at_most)
    return int(db.scalar(sa.select(sa.func.count()).select_from(found.subquery())) or 0)


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
