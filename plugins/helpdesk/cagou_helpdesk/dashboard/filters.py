"""Who sees what, and the filters of the query string, checked with their French messages."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request

from cagou.kit import (
    FormErrors,
    read_period,
    timezone,
)
from cagou_helpdesk.dashboard.common import (
    DEFAULT_WEEKS,
    DEFAULT_WINDOW,
    MAX_DAYS,
    MAX_TEXT,
    MAX_WINDOW,
    PARAMETERS,
    WEEK_YEAR_FIRST,
    WEEK_YEAR_LAST,
)
from cagou_helpdesk.models import PRIORITIES, Category, Group, Ticket
from cagou_helpdesk.permissions import groups_of, is_admin
from cagou_helpdesk.rules import now


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
