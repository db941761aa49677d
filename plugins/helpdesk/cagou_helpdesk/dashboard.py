"""The managers' dashboard: the activity in charts, the peak view, and the exports of the filtered tickets.

Who sees what: a group manager (or a technician given the dashboard) sees the
groups they manage or belong to; a helpdesk administrator sees them all. The
filters come from a GET form that works without JavaScript (htmx only swaps
the results in place); a bad value answers 400 with its French message next to
its field, for the page, the JSON figures and the exports alike.

What the figures mean, written the same way on the page:

- **Days are Nouméa's days** (``cagou.timezone``): instants are stored in UTC,
  and "opened on Monday" means between Monday 00:00 and Tuesday 00:00 in
  Nouméa. The counts per day are one SQL query that joins the tickets to a
  ``VALUES`` list of the period's local days given as UTC bounds: exact in any
  time zone, portable between SQLite and PostgreSQL, and it uses the index on
  ``created_at``.
- Tickets **opened** are counted by their opening instant, tickets **resolved**
  by their (last) resolution instant; the backlog and the load per technician
  are the open tickets *now*.
- **Durations are business time** (the helpdesk's calendar of working hours and
  New Caledonia's public holidays, the one service levels are counted in),
  from the opening to the first public reply, and to the resolution; the time
  a ticket spent waiting is included. A ticket resolved without a public reply
  counts its resolution as its first response (the requester received the
  resolution mail). Median, and 90th percentile by the nearest rank. They are
  measured on the tickets answered (or resolved) within the period.
- **Service-level compliance** is the share of those tickets answered before
  their ``first_response_due`` and resolved before their ``resolution_due``
  (due dates already pushed back by the time spent waiting).
- **Satisfaction**: the ratings of the tickets resolved within the period.
- **The peak view** compares one week (by default the busiest of the period)
  with the usual week: the mean of the N weeks before it (12 by default),
  leaving out weeks that began before the helpdesk's first ticket (no
  service, no "usual" week). The chart shows N weeks on either side.
"""

from __future__ import annotations

import datetime
import math
import re
import statistics
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pyramid.config import Configurator
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy.engine import Engine

from cagou.kit import (
    INTRANET,
    FormErrors,
    IAuditLog,
    UTCDateTime,
    account_names,
    csv_response,
    get_engine,
    read_period,
    timezone,
    translate,
    xlsx_file,
    xlsx_response,
)
from cagou_helpdesk import charts
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.models import OPEN_STATUSES, PRIORITIES, STATUSES, Category, Group, Ticket, reference_of
from cagou_helpdesk.services import groups_of, is_admin, now

PERMISSION = "helpdesk:dashboard:view"
TEMPLATE = "cagou_helpdesk:templates/dashboard.jinja2"
RESULTS_TEMPLATE = "cagou_helpdesk:templates/dashboard_results.jinja2"
#: The element htmx swaps when the filters change.
TARGET = "tableau-de-bord"

DEFAULT_WEEKS = 6
DEFAULT_WINDOW = 12
MAX_WINDOW = 52
MAX_DAYS = 731
#: Beyond this, the bars of a daily chart are too thin to read: the weekly chart says it all.
DAILY_CHART_DAYS = 92
TOP_CATEGORIES = 10
MAX_TEXT = 200
WEEK_YEAR_FIRST = re.compile(r"^(\d{4})\s*-?\s*[WS]\s*(\d{1,2})$", re.IGNORECASE)
WEEK_YEAR_LAST = re.compile(r"^[WS]\s*(\d{1,2})\s*[-/ ]\s*(\d{4})$", re.IGNORECASE)
#: The query string parameters of the filter form (French, as they show in the address bar).
PARAMETERS = ("du", "au", "groupe", "categorie", "priorite", "semaine", "fenetre")
NO_CATEGORY = "(sans catégorie)"


def includeme(config: Configurator) -> None:
    config.add_site_route(INTRANET, "helpdesk.dashboard", "/assistance/tableau-de-bord/")
    config.add_site_route(INTRANET, "helpdesk.dashboard_data", "/assistance/tableau-de-bord/donnees.json")
    config.add_site_route(INTRANET, "helpdesk.dashboard_csv", "/assistance/tableau-de-bord/export.csv")
    config.add_site_route(INTRANET, "helpdesk.dashboard_xlsx", "/assistance/tableau-de-bord/export.xlsx")
    config.scan("cagou_helpdesk.dashboard")


# ---------------------------------------------------------------------------
# Who sees what, and the filters
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Scope:
    """The groups whose tickets the person sees: all of them (``everything``) or theirs."""

    groups: tuple[GroupRef, ...]
    everything: bool

    @property
    def ids(self) -> list[int]:
        return [group.id for group in self.groups]

    def by_code(self, code: str) -> GroupRef | None:
        return next((group for group in self.groups if group.code == code), None)


def scope_of(request: Request) -> Scope:
    if is_admin(request):
        found = list(request.db.scalars(sa.select(Group).order_by(Group.name)))
        everything = True
    else:
        found = groups_of(request, request.identity) if request.identity is not None else []
        everything = False
    return Scope(tuple(GroupRef(group.id, group.code, group.name) for group in found), everything)


def monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def iso_week(monday: datetime.date) -> str:
    """``2026-W13``: the value of an ``<input type="week">``."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Filters:
    """What the person asked for, checked; dates are Nouméa's days, ``end`` included."""

    start: datetime.date
    end: datetime.date
    group: GroupRef | None = None
    category: str = ""
    priority: int | None = None
    #: The Monday of the week the peak view looks at; None: the busiest week of the period.
    week: datetime.date | None = None
    window: int = DEFAULT_WINDOW

    def params(self) -> dict[str, str]:
        """The query string that asks for these filters again (links, exports)."""
        values = {
            "du": self.start.isoformat(),
            "au": self.end.isoformat(),
            "groupe": self.group.code if self.group else "",
            "categorie": self.category,
            "priorite": str(self.priority or ""),
            "semaine": iso_week(self.week) if self.week else "",
            "fenetre": str(self.window) if self.window != DEFAULT_WINDOW else "",
        }
        return {name: value for name, value in values.items() if value}

    def described(self) -> str:
        """The filters in a French phrase, for the audit entry of an export."""
        parts = [f"du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"]
        if self.group:
            parts.append(f"groupe {self.group.code}")
        if self.category:
            parts.append(f"catégorie « {self.category} »")
        if self.priority:
            parts.append(f"priorité P{self.priority}")
        return ", ".join(parts)


def parse_week(value: str) -> datetime.date | None:
    """The Monday of an ISO week written ``2026-W13`` (what browsers send), ``2026-S13`` or ``S13 2026``."""
    match = WEEK_YEAR_FIRST.match(value)
    if match is not None:
        year, week = int(match.group(1)), int(match.group(2))
    else:
        match = WEEK_YEAR_LAST.match(value)
        if match is None:
            return None
        week, year = int(match.group(1)), int(match.group(2))
    try:
        return datetime.date.fromisocalendar(year, week, 1)
    except ValueError:
        return None


def today(request: Request) -> datetime.date:
    return now(request).astimezone(timezone(request.registry)).date()


def raw_params(params: Mapping[str, Any]) -> dict[str, str]:
    return {name: " ".join(str(params.get(name, "")).split())[:MAX_TEXT] for name in PARAMETERS}


def read_filters(request: Request, params: Mapping[str, Any], scope: Scope, errors: FormErrors) -> Filters:
    """The filters of a query string; a problem goes to ``errors`` next to its field, in French."""
    raw = raw_params(params)
    current = today(request)
    default_start = monday_of(current) - datetime.timedelta(weeks=DEFAULT_WEEKS - 1)
    start, end = read_period(errors, raw, defaults=(default_start, current), max_days=MAX_DAYS, limit_label="deux ans")
    start, end = start or default_start, end or current
    group = None
    if raw["groupe"]:
        group = scope.by_code(raw["groupe"])
        if group is None:
            errors.add("groupe", "Choisissez un groupe de la liste : vous ne voyez que les vôtres.")
    category = raw["categorie"]
    if category and not request.db.scalar(
        sa.select(sa.func.count()).select_from(Category).where(Category.path.istartswith(category, autoescape=True))
    ):
        errors.add(
            "categorie",
            f"Aucune catégorie ne commence par « {category} » : tapez le début d'un chemin de la liste, "
            "par exemple « Réseau » ou « Matériel > Ordinateur portable ».",
        )
    priority = None
    if raw["priorite"]:
        if raw["priorite"].isdigit() and int(raw["priorite"]) in PRIORITIES:
            priority = int(raw["priorite"])
        else:
            errors.add("priorite", "Choisissez une priorité de la liste.")
    week = None
    if raw["semaine"]:
        week = parse_week(raw["semaine"])
        if week is None:
            errors.add("semaine", "Saisissez une semaine au format AAAA-Wnn (par exemple 2026-W13 pour la semaine 13).")
    window = DEFAULT_WINDOW
    if raw["fenetre"]:
        if raw["fenetre"].isdigit() and 1 <= int(raw["fenetre"]) <= MAX_WINDOW:
            window = int(raw["fenetre"])
        else:
            errors.add("fenetre", f"Saisissez un nombre entier de semaines, de 1 à {MAX_WINDOW}.")
    return Filters(start, end, group, category, priority, week, window)


def conditions(filters: Filters, scope: Scope) -> list[sa.ColumnElement[bool]]:
    """What restricts the tickets, whatever the period: the person's groups and the filters."""
    found: list[sa.ColumnElement[bool]] = []
    if not scope.everything:
        found.append(Ticket.group_id.in_(scope.ids))
    if filters.group is not None:
        found.append(Ticket.group_id == filters.group.id)
    if filters.category:
        found.append(
            Ticket.category_id.in_(
                sa.select(Category.id).where(Category.path.istartswith(filters.category, autoescape=True))
            )
        )
    if filters.priority is not None:
        found.append(Ticket.priority == filters.priority)
    return found


# ---------------------------------------------------------------------------
# The figures
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# How figures are written (French: thin spaces between thousands, a decimal comma)
# ---------------------------------------------------------------------------


def number(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def duration(minutes: float | None) -> str:
    """Business minutes as ``2 h 30``, ``45 min``, ``12 h``."""
    if minutes is None:
        return "—"
    total = round(minutes)
    hours, rest = divmod(total, 60)
    if not hours:
        return f"{rest} min"
    return f"{number(hours)} h {rest:02d}" if rest else f"{number(hours)} h"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{number(rate * 100)}\u00a0%"


def ratio(value: float | None) -> str:
    return "—" if value is None else f"×\u00a0{number(value, 1)}"


def tr(request: Request, message: str, **mapping: Any) -> str:
    """``message`` in the request's language, with ``%(name)s`` placeholders as in the templates' messages."""
    translated: str = translate(request, message)
    return translated % mapping if mapping else translated


def week_label(request: Request, monday: datetime.date) -> str:
    return tr(request, "S%(week)s", week=monday.isocalendar()[1])


# ---------------------------------------------------------------------------
# The charts
# ---------------------------------------------------------------------------


def build_charts(request: Request, figures: Figures) -> dict[str, charts.Chart]:
    days = figures.days
    built: dict[str, charts.Chart] = {}
    if len(days) <= DAILY_CHART_DAYS:
        labels = [
            f"{day.day:%d/%m}" if day.day.weekday() == 0 or len(days) <= 14 or index == 0 else ""
            for index, day in enumerate(days)
        ]
        built["jours"] = charts.columns(
            "graphique-jours",
            labels,
            [
                charts.Series("serie-ouverts", [day.opened for day in days]),
                charts.Series("serie-resolus", [day.resolved for day in days], hatched=True),
            ],
        )
    weeks = figures.weeks
    built["semaines"] = charts.columns(
        "graphique-semaines",
        [week_label(request, week.monday) for week in weeks],
        [
            charts.Series("serie-ouverts", [week.opened for week in weeks]),
            charts.Series("serie-resolus", [week.resolved for week in weeks], hatched=True),
        ],
        value_labels=[f"{number(week.opened)} / {number(week.resolved)}" for week in weeks]
        if len(weeks) <= 12
        else None,
    )
    peak = figures.peak
    chosen = next((index for index, week in enumerate(peak.weeks) if week.chosen), None)
    average = peak.average
    built["pic"] = charts.columns(
        "graphique-pic",
        [week_label(request, week.monday) for week in peak.weeks],
        [
            charts.Series(
                "serie-autre",
                [week.count for week in peak.weeks],
                classes=["serie-autre" if week.reference else "serie-hors" for week in peak.weeks],
            )
        ],
        value_labels=[number(week.count) for week in peak.weeks],
        highlight=chosen,
        reference=(
            (average, tr(request, "pointillés : semaine habituelle, %(value)s", value=number(average, 1)))
            if average
            else None
        ),
    )
    built["delais"] = charts.bars(
        "graphique-delais",
        [
            (
                label,
                [
                    charts.Bar("serie-ouverts", (measure.median or 0) / 60, duration(measure.median)),
                    charts.Bar("serie-resolus", (measure.p90 or 0) / 60, duration(measure.p90), hatched=True),
                ],
            )
            for label, measure in (
                (tr(request, "Première réponse"), figures.first_response),
                (tr(request, "Résolution"), figures.resolution),
            )
        ],
    )
    built["engagements"] = charts.bars(
        "graphique-engagements",
        [
            (label, [charts.Bar("serie-valeur", (sla.rate or 0) * 100, compliance_text(request, sla))])
            for label, sla in (
                (tr(request, "Première réponse dans les délais"), figures.first_response_sla),
                (tr(request, "Résolution dans les délais"), figures.resolution_sla),
            )
        ],
        maximum=100,
    )
    built["satisfaction"] = charts.columns(
        "graphique-satisfaction",
        [f"{value}/5" for value in figures.ratings],
        [charts.Series("serie-valeur", list(figures.ratings.values()))],
        value_labels=[number(count) for count in figures.ratings.values()],
        height=220,
    )
    built["categories"] = charts.bars(
        "graphique-categories",
        [(path, [charts.Bar("serie-valeur", count, number(count))]) for path, count in figures.categories],
    )
    built["stock"] = charts.bars(
        "graphique-stock",
        [
            (
                f"{row.group.code} — P{priority}",
                [charts.Bar("serie-valeur", row.counts[priority], number(row.counts[priority]))],
            )
            for row in figures.backlog
            for priority in PRIORITIES
        ],
    )
    built["techniciens"] = charts.bars(
        "graphique-techniciens",
        [
            (
                row.name,
                [
                    charts.Bar("serie-ouverts", row.open, tr(request, "%(count)s en cours", count=number(row.open))),
                    charts.Bar(
                        "serie-resolus",
                        row.resolved,
                        tr(request, "%(count)s résolus", count=number(row.resolved)),
                        True,
                    ),
                ],
            )
            for row in figures.technicians
        ],
    )
    return built


def compliance_text(request: Request, sla: Compliance) -> str:
    if not sla.total:
        return "—"
    return tr(
        request,
        "%(rate)s (%(met)s sur %(total)s)",
        rate=percent(sla.rate),
        met=number(sla.met),
        total=number(sla.total),
    )


# ---------------------------------------------------------------------------
# The page and the JSON figures
# ---------------------------------------------------------------------------


def page_values(request: Request) -> dict[str, Any]:
    scope = scope_of(request)
    errors = FormErrors()
    filters = read_filters(request, request.params, scope, errors)
    figures = None if errors else compute(request, filters, scope)
    categories = list(
        request.db.scalars(sa.select(Category.path).where(Category.active.is_(True)).order_by(Category.path))
    )
    return {
        "scope": scope,
        "filters": filters,
        "params": raw_params(request.params),
        "errors": errors,
        "figures": figures,
        "charts": build_charts(request, figures) if figures is not None else {},
        "priorities": PRIORITIES,
        "categories": categories,
        "target": TARGET,
        "iso_week": iso_week,
        "week_label": lambda monday: week_label(request, monday),
        "number": number,
        "duration": duration,
        "percent": percent,
        "ratio": ratio,
        "max_window": MAX_WINDOW,
        "daily_chart_days": DAILY_CHART_DAYS,
    }


@view_config(route_name="helpdesk.dashboard", renderer=TEMPLATE, permission=PERMISSION)
def dashboard(request: Request) -> Any:
    """The dashboard; htmx swaps only the results (with 200 even on bad filters: htmx swaps no 400)."""
    values = page_values(request)
    if request.is_htmx and request.headers.get("HX-Target") == TARGET:
        return render_to_response(RESULTS_TEMPLATE, values, request=request)
    if values["errors"]:
        request.response.status_int = 400
    return values


def as_json(filters: Filters, scope: Scope, figures: Figures, zone: ZoneInfo) -> dict[str, Any]:
    peak = figures.peak
    return {
        "period": {"from": filters.start.isoformat(), "to": filters.end.isoformat(), "timezone": str(zone)},
        "filters": filters.params(),
        "groups": [group.code for group in scope.groups],
        "all_groups": scope.everything,
        "totals": {"opened": figures.opened, "resolved": figures.resolved, "backlog": figures.backlog_total},
        "per_day": [{"day": d.day.isoformat(), "opened": d.opened, "resolved": d.resolved} for d in figures.days],
        "per_week": [
            {"week": iso_week(w.monday), "opened": w.opened, "resolved": w.resolved, "partial": w.partial}
            for w in figures.weeks
        ],
        "durations": {
            "unit": "business_minutes",
            "first_response": figures.first_response.__dict__,
            "resolution": figures.resolution.__dict__,
        },
        "service_levels": {
            name: {"met": sla.met, "total": sla.total, "rate": sla.rate}
            for name, sla in (("first_response", figures.first_response_sla), ("resolution", figures.resolution_sla))
        },
        "satisfaction": {
            "count": figures.rating_count,
            "average": figures.rating_average,
            "distribution": {str(value): count for value, count in figures.ratings.items()},
        },
        "top_categories": [{"category": path, "count": count} for path, count in figures.categories],
        "backlog": [
            {"group": row.group.code, "by_priority": {str(p): n for p, n in row.counts.items()}, "total": row.total}
            for row in figures.backlog
        ],
        "technicians": [
            {"login": row.login, "name": row.name, "open": row.open, "resolved": row.resolved}
            for row in figures.technicians
        ],
        "peak": {
            "week": iso_week(peak.monday),
            "count": peak.count,
            "average": peak.average,
            "ratio": peak.ratio,
            "weeks": [{"week": iso_week(w.monday), "count": w.count, "role": w.role} for w in peak.weeks],
        },
    }


@view_config(route_name="helpdesk.dashboard_data", renderer="json", permission=PERMISSION)
def dashboard_data(request: Request) -> dict[str, Any]:
    """The same figures as the page, for other tools (and tests); bad filters answer 400 with their messages."""
    scope = scope_of(request)
    errors = FormErrors()
    filters = read_filters(request, request.params, scope, errors)
    if errors:
        request.response.status_int = 400
        return {"errors": dict(errors)}
    return as_json(filters, scope, compute(request, filters, scope), timezone(request.registry))


# ---------------------------------------------------------------------------
# Exports: the tickets opened in the period that match the filters
# ---------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "Référence",
    "Ouvert le (heure de Nouméa)",
    "Titre",
    "Catégorie",
    "Groupe",
    "Attribué à",
    "Demandeur",
    "Priorité",
    "Statut",
    "Première réponse le",
    "Résolu le",
    "Délais respectés",
    "Note de satisfaction",
)
#: Column widths of the spreadsheet, in characters.
EXPORT_WIDTHS = (11, 17, 50, 34, 34, 24, 24, 14, 11, 17, 17, 10, 10)
EXPORT_BATCH = 500

Cell = str | int | datetime.datetime | None
#: The export's select: many columns, of several types.
ExportQuery = sa.Select[*tuple[Any, ...]]


def export_query(request: Request, filters: Filters, scope: Scope) -> ExportQuery:
    zone = timezone(request.registry)
    start, stop = local_midnight(zone, filters.start), local_midnight(zone, filters.end + datetime.timedelta(days=1))
    assignee, requester = account_names("assignee"), account_names("requester")
    return (
        sa.select(
            Ticket.id,
            Ticket.created_at,
            Ticket.title,
            Category.path.label("category"),
            Group.name.label("group"),
            assignee.c.display_name.label("assignee"),
            requester.c.display_name.label("requester"),
            Ticket.priority,
            Ticket.status,
            Ticket.first_response_at,
            Ticket.resolved_at,
            Ticket.first_response_due,
            Ticket.resolution_due,
            Ticket.paused_since,
            Ticket.rating,
        )
        .select_from(Ticket)
        .join(Group, Ticket.group_id == Group.id)
        .join(requester, Ticket.requester_id == requester.c.id)
        .outerjoin(Category, Ticket.category_id == Category.id)
        .outerjoin(assignee, Ticket.assignee_id == assignee.c.id)
        .where(*conditions(filters, scope), within(Ticket.created_at, start, stop))
        .order_by(Ticket.id)
    )


def service_levels_met(row: Any, instant: datetime.datetime) -> bool | None:
    """Were both delays kept: yes or no once resolved; no as soon as one is missed; None while it can still be."""
    response_at = row.first_response_at or row.resolved_at
    response_late = row.first_response_due is not None and (
        (response_at is not None and response_at > row.first_response_due)
        or (response_at is None and row.paused_since is None and instant > row.first_response_due)
    )
    if row.resolved_at is not None:
        resolution_late = row.resolution_due is not None and row.resolved_at > row.resolution_due
        return not (response_late or resolution_late)
    resolution_late = row.paused_since is None and row.resolution_due is not None and instant > row.resolution_due
    return False if response_late or resolution_late else None


def export_cells(row: Any, zone: ZoneInfo, instant: datetime.datetime) -> list[Cell]:
    """One ticket's row, dates in Nouméa's time without a zone (what spreadsheets show)."""

    def when(value: datetime.datetime | None) -> datetime.datetime | None:
        return value.astimezone(zone).replace(tzinfo=None) if value is not None else None

    met = service_levels_met(row, instant)
    return [
        reference_of(row.id),
        when(row.created_at),
        row.title,
        row.category or "",
        row.group,
        row.assignee or "",
        row.requester,
        PRIORITIES.get(row.priority, str(row.priority)),
        STATUSES.get(row.status, row.status),
        when(row.first_response_at),
        when(row.resolved_at),
        "" if met is None else ("Oui" if met else "Non"),
        row.rating,
    ]


def export_rows(engine: Engine, query: ExportQuery, zone: ZoneInfo, instant: datetime.datetime) -> Iterator[list[Cell]]:
    """The rows, read a batch at a time on a connection of the export's own."""
    with engine.connect() as connection:
        result = connection.execute(query, execution_options={"yield_per": EXPORT_BATCH})
        for batch in result.partitions():
            for row in batch:
                yield export_cells(row, zone, instant)


def start_export(request: Request, kind: str) -> tuple[Filters, Scope, ExportQuery] | Response:
    """Check the filters (a 400 page next to the fields when bad), audit the export, give its query."""
    scope = scope_of(request)
    errors = FormErrors()
    filters = read_filters(request, request.params, scope, errors)
    if errors:
        values = page_values(request)
        response = render_to_response(TEMPLATE, values, request=request)
        response.status_int = 400
        return response
    query = export_query(request, filters, scope)
    count = request.db.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    request.find_service(IAuditLog).record(
        "helpdesk:ticket:export",
        f"Export {kind.upper()} de {count} ticket{'s' if count > 1 else ''} de l'assistance ({filters.described()}).",
        module="helpdesk",
        changes={"format": kind, "filters": filters.params(), "count": count},
    )
    return filters, scope, query


def file_name(request: Request, kind: str) -> str:
    stamp = now(request).astimezone(timezone(request.registry)).strftime("%Y%m%d-%H%M")
    return f"tickets-assistance-{stamp}.{kind}"


@view_config(route_name="helpdesk.dashboard_csv", permission=PERMISSION)
def export_csv(request: Request) -> Response:
    """The filtered tickets as CSV for French Excel, streamed; the export is in the audit log (personal data)."""
    started = start_export(request, "csv")
    if isinstance(started, Response):
        return started
    _, _, query = started
    rows = export_rows(get_engine(request.registry), query, timezone(request.registry), now(request))
    return csv_response(file_name(request, "csv"), EXPORT_COLUMNS, rows, EXPORT_BATCH)


@view_config(route_name="helpdesk.dashboard_xlsx", permission=PERMISSION)
def export_xlsx(request: Request) -> Response:
    """The filtered tickets as an Excel workbook, dates as real dates; audited like the CSV."""
    started = start_export(request, "xlsx")
    if isinstance(started, Response):
        return started
    _, _, query = started
    zone, instant = timezone(request.registry), now(request)
    result = request.db.execute(query, execution_options={"yield_per": EXPORT_BATCH})
    workbook = xlsx_file("Tickets", EXPORT_COLUMNS, (export_cells(row, zone, instant) for row in result), EXPORT_WIDTHS)
    return xlsx_response(file_name(request, "xlsx"), workbook)
