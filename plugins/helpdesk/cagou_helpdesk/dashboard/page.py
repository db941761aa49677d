"""The dashboard's page and its JSON figures."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.view import view_config

from cagou.kit import (
    FormErrors,
    timezone,
)
from cagou_helpdesk.dashboard.common import DAILY_CHART_DAYS, MAX_WINDOW, PERMISSION, RESULTS_TEMPLATE, TARGET, TEMPLATE
from cagou_helpdesk.dashboard.display import build_charts, duration, number, percent, ratio, week_label
from cagou_helpdesk.dashboard.figures import Figures, compute
from cagou_helpdesk.dashboard.filters import Filters, Scope, iso_week, raw_params, read_filters, scope_of
from cagou_helpdesk.models import PRIORITIES, Category


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
