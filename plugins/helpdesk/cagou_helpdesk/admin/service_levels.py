"""Service levels per priority, in business hours and minutes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from cagou.kit import FormErrors, TextField, form_class, submit
from cagou_helpdesk import rules
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.admin.common import PERMISSION, TEMPLATES, at_most_10, base_values
from cagou_helpdesk.checks import MEASURES, format_minutes, level_name
from cagou_helpdesk.interfaces import IServiceLevels
from cagou_helpdesk.models import (
    PRIORITIES,
)

#: Hours and minutes of each delay of each priority, built from the measures and priorities.
LevelsForm = form_class(
    "LevelsForm",
    {
        f"{level_name(measure, priority)}-{unit}": TextField(filters=[at_most_10])
        for measure in MEASURES
        for priority in PRIORITIES
        for unit in ("hours", "minutes")
    },
)


def weekday_ranges(weekdays: Iterable[int]) -> list[tuple[int, int]]:
    """``{1, 2, 3, 4, 6}`` → ``[(1, 4), (6, 6)]``: working days as people say them."""
    ranges: list[tuple[int, int]] = []
    for day in sorted(weekdays):
        if ranges and ranges[-1][1] == day - 1:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def service_levels_values(
    request: Request, errors: FormErrors | None = None, form: Mapping[str, str] | None = None
) -> dict[str, Any]:
    levels = rules.service_levels(request)
    shown: dict[str, str] = {}
    for priority, (first, resolution) in levels.items():
        for measure, minutes in (("first_response", first), ("resolution", resolution)):
            name = level_name(measure, priority)
            for part, number in (("hours", minutes // 60), ("minutes", minutes % 60)):
                key = f"{name}-{part}"
                shown[key] = str(form.get(key, ""))[:10] if form is not None else str(number)
    calendar = helpdesk_settings.get(request.registry).calendar
    day_minutes = sum(
        (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute) for start, end in calendar.periods
    )
    values = base_values(request, "helpdesk.admin.service_levels")
    values.update(
        priorities=PRIORITIES,
        measures=MEASURES,
        levels=levels,
        shown=shown,
        level_name=level_name,
        format_minutes=format_minutes,
        periods=[(start.strftime("%H:%M"), end.strftime("%H:%M")) for start, end in calendar.periods],
        weekday_ranges=weekday_ranges(calendar.weekdays),
        timezone=str(calendar.timezone),
        day_minutes=day_minutes,
        errors=errors or FormErrors(),
    )
    return values


@view_config(
    route_name="helpdesk.admin.service_levels",
    request_method="GET",
    renderer=TEMPLATES + "admin_service_levels.jinja2",
    permission=PERMISSION,
)
def service_levels(request: Request) -> dict[str, Any]:
    return service_levels_values(request)


@view_config(
    route_name="helpdesk.admin.service_levels",
    request_method="POST",
    renderer=TEMPLATES + "admin_service_levels.jinja2",
    permission=PERMISSION,
)
def service_levels_save(request: Request) -> Any:
    return submit(
        request,
        LevelsForm(request.POST),
        lambda form: request.find_service(IServiceLevels).save(form.data),
        message=levels_message,
        redirect_to=request.route_path("helpdesk.admin.service_levels"),
        render=lambda form: service_levels_values(request, form.field_errors(), form.data),
    )


def levels_message(changed: Iterable[int]) -> str:
    priorities = sorted(changed)
    if not priorities:
        return "Aucune modification."
    names = ", ".join(PRIORITIES[priority] for priority in priorities)
    return f"Niveaux de service enregistrés ({names}) : ils s'appliquent aux tickets ouverts désormais."
