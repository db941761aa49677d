"""The figures: counts per day and week, durations, compliance, backlog, load, the peak week."""

from __future__ import annotations

import datetime
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pyramid.request import Request

from cagou.kit import (
    UTCDateTime,
    account_names,
    timezone,
)
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.dashboard.common import NO_CATEGORY, TOP_CATEGORIES
from cagou_helpdesk.dashboard.filters import Filters, GroupRef, Scope, conditions, monday_of
from cagou_helpdesk.models import OPEN_STATUSES, PRIORITIES, Category, Ticket
from cagou_helpdesk.rules import now


def local_midnight(zone: ZoneInfo, day: datetime.date) -> datetime.datetime:
    """The UTC instant at which ``day`` starts in ``zone``."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=zone).astimezone(datetime.UTC)


def within(column: Any, start: datetime.datetime, stop: datetime.datetime) -> sa.ColumnElement[bool]:
    return sa.and_(column >= start, column < stop)


@dataclass(frozen=True)
class Bucket:
    """A span of time counted as one: a local day or a week, as UTC bounds."""

    key: str
    start: datetime.datetime
    stop: datetime.datetime


def bucket_counts(
    request: Request, buckets: Sequence[Bucket], where: Sequence[sa.ColumnElement[bool]], resolved: bool = True
) -> dict[tuple[str, str], int]:
    """(``opened`` or ``resolved``, bucket key) → number of tickets, in one query.

    The buckets are a ``VALUES`` list (a common table expression, which SQLite
    and PostgreSQL both read) joined to the tickets by range, so the
    grouping happens in the database and each bucket keeps its own time zone
    bounds (a day of a zone with daylight saving lasts 23 or 25 hours).
    """
    if not buckets:
        return {}
    table = (
        sa.values(
            sa.column("bucket", sa.String()),
            sa.column("start", UTCDateTime()),
            sa.column("stop", UTCDateTime()),
            name="tranches",
        )
        .data([(bucket.key, bucket.start, bucket.stop) for bucket in buckets])
        .cte("tranches")
    )
    first, last = buckets[0].start, buckets[-1].stop

    def counted(kind: str, column: Any) -> sa.Select[Any]:
        return (
            sa.select(sa.literal_column(f"'{kind}'").label("kind"), table.c.bucket, sa.func.count().label("n"))
            .select_from(table)
            .join(Ticket, sa.and_(column >= table.c.start, column < table.c.stop))
            .where(*where, within(column, first, last))
            .group_by(table.c.bucket)
        )

    parts = [counted("opened", Ticket.created_at)]
    if resolved:
        parts.append(counted("resolved", Ticket.resolved_at))
    query: Any = sa.union_all(*parts) if len(parts) > 1 else parts[0]
    return {(row.kind, row.bucket): int(row.n) for row in request.db.execute(query)}


@dataclass(frozen=True)
class DayCount:
    day: datetime.date
    opened: int
    resolved: int


@dataclass(frozen=True)
class WeekCount:
    monday: datetime.date
    opened: int
    resolved: int
    #: Only part of the week lies within the period.
    partial: bool


@dataclass(frozen=True)
class Durations:
    """Business minutes: how many tickets were measured, the median and the 90th percentile."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, minutes: Sequence[float]) -> Durations:
        if not minutes:
            return cls(0, None, None)
        ordered = sorted(minutes)
        rank = math.ceil(0.9 * len(ordered))
        return cls(len(ordered), float(statistics.median(ordered)), ordered[rank - 1])


@dataclass(frozen=True)
class Compliance:
    met: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.met / self.total if self.total else None


@dataclass(frozen=True)
class BacklogRow:
    group: GroupRef
    #: priority → open tickets
    counts: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class TechnicianRow:
    login: str
    name: str
    open: int
    resolved: int


#: What a week of the peak view is to the comparison.
REFERENCE = "reference"
CHOSEN = "chosen"
NOT_OVER = "not_over"
AFTER = "after"
BEFORE_SERVICE = "before_service"


@dataclass(frozen=True)
class PeakWeek:
    monday: datetime.date
    count: int
    #: One of REFERENCE (counted in the usual week's mean), CHOSEN, NOT_OVER, AFTER, BEFORE_SERVICE.
    role: str

    @property
    def reference(self) -> bool:
        return self.role == REFERENCE

    @property
    def chosen(self) -> bool:
        return self.role == CHOSEN


@dataclass(frozen=True)
class Peak:
    monday: datetime.date
    count: int
    weeks: list[PeakWeek]
    #: Whether the week was chosen by the person (else: the busiest of the period).
    asked: bool

    @property
    def reference_weeks(self) -> list[PeakWeek]:
        return [week for week in self.weeks if week.reference]

    @property
    def average(self) -> float | None:
        counted = self.reference_weeks
        return sum(week.count for week in counted) / len(counted) if counted else None

    @property
    def ratio(self) -> float | None:
        average = self.average
        return self.count / average if average else None


@dataclass
class Figures:
    days: list[DayCount]
    weeks: list[WeekCount]
    first_response: Durations
    resolution: Durations
    first_response_sla: Compliance
    resolution_sla: Compliance
    ratings: dict[int, int]
    categories: list[tuple[str, int]]
    backlog: list[BacklogRow]
    technicians: list[TechnicianRow]
    peak: Peak
    generated_at: datetime.datetime

    @property
    def opened(self) -> int:
        return sum(day.opened for day in self.days)

    @property
    def resolved(self) -> int:
        return sum(day.resolved for day in self.days)

    @property
    def backlog_total(self) -> int:
        return sum(row.total for row in self.backlog)

    @property
    def rating_count(self) -> int:
        return sum(self.ratings.values())

    @property
    def rating_average(self) -> float | None:
        count = self.rating_count
        return sum(value * number for value, number in self.ratings.items()) / count if count else None


def compute(request: Request, filters: Filters, scope: Scope) -> Figures:
    zone = timezone(request.registry)
    instant = now(request)
    where = conditions(filters, scope)
    start, stop = local_midnight(zone, filters.start), local_midnight(zone, filters.end + datetime.timedelta(days=1))

    # Opened and resolved per local day, one query.
    all_days = [filters.start + datetime.timedelta(days=n) for n in range((filters.end - filters.start).days + 1)]
    buckets = [
        Bucket(day.isoformat(), local_midnight(zone, day), local_midnight(zone, day + datetime.timedelta(days=1)))
        for day in all_days
    ]
    counts = bucket_counts(request, buckets, where)
    days = [
        DayCount(day, counts.get(("opened", day.isoformat()), 0), counts.get(("resolved", day.isoformat()), 0))
        for day in all_days
    ]
    weeks: dict[datetime.date, list[DayCount]] = {}
    for day in days:
        weeks.setdefault(monday_of(day.day), []).append(day)
    week_counts = [
        WeekCount(monday, sum(d.opened for d in of_week), sum(d.resolved for d in of_week), len(of_week) < 7)
        for monday, of_week in weeks.items()
    ]

    # Durations and service levels, in business time, from a narrow select of the tickets answered or resolved.
    calendar = helpdesk_settings.get(request.registry).calendar
    measured = request.db.execute(
        sa.select(
            Ticket.created_at,
            Ticket.first_response_at,
            Ticket.resolved_at,
            Ticket.first_response_due,
            Ticket.resolution_due,
        ).where(*where, sa.or_(within(Ticket.first_response_at, start, stop), within(Ticket.resolved_at, start, stop)))
    )
    response_minutes: list[float] = []
    resolution_minutes: list[float] = []
    response_met = response_total = resolution_met = resolution_total = 0
    for row in measured:
        response_at = row.first_response_at or row.resolved_at
        if response_at is not None and start <= response_at < stop:
            response_minutes.append(calendar.between(row.created_at, response_at).total_seconds() / 60)
            if row.first_response_due is not None:
                response_total += 1
                response_met += response_at <= row.first_response_due
        if row.resolved_at is not None and start <= row.resolved_at < stop:
            resolution_minutes.append(calendar.between(row.created_at, row.resolved_at).total_seconds() / 60)
            if row.resolution_due is not None:
                resolution_total += 1
                resolution_met += row.resolved_at <= row.resolution_due

    resolved_in_period = within(Ticket.resolved_at, start, stop)
    ratings = {value: 0 for value in range(1, 6)}
    for value, number in request.db.execute(
        sa.select(Ticket.rating, sa.func.count())
        .where(*where, resolved_in_period, Ticket.rating.is_not(None))
        .group_by(Ticket.rating)
    ):
        ratings[int(value)] = int(number)

    count = sa.func.count(Ticket.id)
    top = request.db.execute(
        sa.select(Category.path, count)
        .select_from(Ticket)
        .outerjoin(Category, Ticket.category_id == Category.id)
        .where(*where, within(Ticket.created_at, start, stop))
        .group_by(Category.path)
        .order_by(count.desc(), Category.path)
        .limit(TOP_CATEGORIES)
    )
    categories = [(path or NO_CATEGORY, int(number)) for path, number in top]

    is_open = Ticket.status.in_(OPEN_STATUSES)
    backlog_counts: dict[int, dict[int, int]] = {}
    for group_id, priority, number in request.db.execute(
        sa.select(Ticket.group_id, Ticket.priority, sa.func.count())
        .where(*where, is_open)
        .group_by(Ticket.group_id, Ticket.priority)
    ):
        backlog_counts.setdefault(group_id, {})[int(priority)] = int(number)
    shown_groups = [filters.group] if filters.group else list(scope.groups)
    backlog = [
        BacklogRow(group, {p: backlog_counts.get(group.id, {}).get(p, 0) for p in PRIORITIES}) for group in shown_groups
    ]

    person = account_names("technician")
    open_count = sa.func.sum(sa.case((is_open, 1), else_=0))
    resolved_count = sa.func.sum(sa.case((resolved_in_period, 1), else_=0))
    technicians = [
        TechnicianRow(login, name, int(opened or 0), int(resolved or 0))
        for login, name, opened, resolved in request.db.execute(
            sa.select(person.c.login, person.c.display_name, open_count, resolved_count)
            .select_from(Ticket)
            .join(person, Ticket.assignee_id == person.c.id)
            .where(*where, sa.or_(is_open, resolved_in_period))
            .group_by(person.c.id, person.c.login, person.c.display_name)
        )
    ]
    technicians.sort(key=lambda row: (-row.open, -row.resolved, row.name))

    return Figures(
        days=days,
        weeks=week_counts,
        first_response=Durations.of(response_minutes),
        resolution=Durations.of(resolution_minutes),
        first_response_sla=Compliance(response_met, response_total),
        resolution_sla=Compliance(resolution_met, resolution_total),
        ratings=ratings,
        categories=categories,
        backlog=backlog,
        technicians=technicians,
        peak=peak_of(request, filters, where, week_counts, instant),
        generated_at=instant,
    )


def peak_of(
    request: Request,
    filters: Filters,
    where: Sequence[sa.ColumnElement[bool]],
    week_counts: Sequence[WeekCount],
    instant: datetime.datetime,
) -> Peak:
    """The chosen week (or the busiest of the period) against the weeks before it.

    The chart shows the window on both sides of the chosen week (the weeks
    after it show the return to normal); the usual week is the mean of the
    weeks before it that are within the window, are over, and began while the
    helpdesk was already running (a week that began before its first ticket
    would count a service that did not run the whole week).
    """
    zone = timezone(request.registry)
    if filters.week is not None:
        chosen = filters.week
    elif any(week.opened for week in week_counts):
        chosen = max(week_counts, key=lambda week: (week.opened, -week.monday.toordinal())).monday
    else:
        chosen = monday_of(filters.end)
    current = monday_of(instant.astimezone(zone).date())
    first_ticket = request.db.scalar(sa.select(sa.func.min(Ticket.created_at)))
    first_day = first_ticket.astimezone(zone).date() if first_ticket is not None else chosen
    mondays = [
        monday
        for monday in (chosen + datetime.timedelta(weeks=n) for n in range(-filters.window, filters.window + 1))
        if monday == chosen or monday_of(first_day) <= monday <= current
    ]
    buckets = [
        Bucket(monday.isoformat(), local_midnight(zone, monday), local_midnight(zone, monday + datetime.timedelta(7)))
        for monday in mondays
    ]
    counts = bucket_counts(request, buckets, where, resolved=False)
    weeks = []
    for bucket, monday in zip(buckets, mondays, strict=True):
        if monday == chosen:
            role = CHOSEN
        elif monday < first_day:
            role = BEFORE_SERVICE
        elif bucket.stop > instant:
            role = NOT_OVER
        elif monday > chosen:
            role = AFTER
        else:
            role = REFERENCE
        weeks.append(PeakWeek(monday, counts.get(("opened", bucket.key), 0), role))
    return Peak(chosen, counts.get(("opened", chosen.isoformat()), 0), weeks, filters.week is not None)
