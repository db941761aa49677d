"""How figures are written (French: thin spaces between thousands, a decimal comma), and the charts."""

from __future__ import annotations

import datetime
from typing import Any

from pyramid.request import Request

from cagou.kit import (
    translate,
)
from cagou_helpdesk import charts
from cagou_helpdesk.dashboard.common import DAILY_CHART_DAYS
from cagou_helpdesk.dashboard.figures import Compliance, Figures
from cagou_helpdesk.models import PRIORITIES


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
