"""Service levels per priority, in business hours and minutes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from pyramid.view import view_config

from cagou.kit import FormErrors, Invalid, TextField, form_class, submit
from cagou_helpdesk import rules
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.admin.common import PERMISSION, TEMPLATES, at_most_10, base_values, record
from cagou_helpdesk.models import (
    PRIORITIES,
    ServiceLevel,
)

#: The longest service level accepted, in business hours (about six months of working days).
MAX_SERVICE_HOURS = 1000


#: The two delays of a service level: form name -> label.
MEASURES: dict[str, str] = {"first_response": "Première réponse", "resolution": "Résolution"}


def level_name(measure: str, priority: int) -> str:
    return f"{measure}-{priority}"


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


def read_duration(errors: FormErrors, form: Mapping[str, str], measure: str, priority: int) -> int | None:
    """Minutes from the hours and minutes fields of one delay; None (and an error) when they make no sense."""
    name = level_name(measure, priority)
    label = f"{MEASURES[measure]} en {PRIORITIES[priority]}"
    hours_text = str(form.get(f"{name}-hours", "")).strip() or "0"
    minutes_text = str(form.get(f"{name}-minutes", "")).strip() or "0"
    if not (hours_text.isdigit() and minutes_text.isdigit()):
        errors.add(name, f"{label} : écrivez un nombre entier d'heures et de minutes.")
        return None
    hours, minutes = int(hours_text), int(minutes_text)
    if minutes > 59:
        errors.add(name, f"{label} : les minutes vont de 0 à 59.")
        return None
    total = hours * 60 + minutes
    if total <= 0:
        errors.add(name, f"{label} : le délai doit être positif (au moins une minute ouvrée).")
        return None
    if total > MAX_SERVICE_HOURS * 60:
        errors.add(name, f"{label} : {MAX_SERVICE_HOURS} heures ouvrées au plus.")
        return None
    return total


def save_service_levels(
    request: Request, form: Mapping[str, str]
) -> dict[int, tuple[tuple[int, int], tuple[int, int]]]:
    """Write the service levels; those that changed, as (before, after). Raises :class:`Invalid`."""
    errors = FormErrors()
    wanted: dict[int, tuple[int, int]] = {}
    for priority in PRIORITIES:
        first = read_duration(errors, form, "first_response", priority)
        resolution = read_duration(errors, form, "resolution", priority)
        if first is not None and resolution is not None:
            if resolution < first:
                errors.add(
                    level_name("resolution", priority),
                    f"Résolution en {PRIORITIES[priority]} : le délai de résolution ne peut pas être plus court "
                    f"que celui de la première réponse ({format_minutes(first)}).",
                )
            else:
                wanted[priority] = (first, resolution)
    if errors:
        raise Invalid(errors)
    current = rules.service_levels(request)
    changed = {priority: (current[priority], level) for priority, level in wanted.items() if current[priority] != level}
    stored = {level.priority: level for level in request.db.scalars(sa.select(ServiceLevel))}
    for priority, ((before_first, before_resolution), (first, resolution)) in sorted(changed.items()):
        level = stored.get(priority)
        if level is None:
            request.db.add(ServiceLevel(priority=priority, first_response_minutes=first, resolution_minutes=resolution))
        else:
            level.first_response_minutes, level.resolution_minutes = first, resolution
        record(
            request,
            "service_level:update",
            f"Niveau de service {PRIORITIES[priority]} : première réponse en {format_minutes(first)}, "
            f"résolution en {format_minutes(resolution)} (heures ouvrées).",
            "service_level",
            priority,
            {"first_response_minutes": before_first, "resolution_minutes": before_resolution},
            {"first_response_minutes": first, "resolution_minutes": resolution},
        )
    request.db.flush()
    return changed


def format_minutes(total: int) -> str:
    """``270`` → ``4 h 30``; ``240`` → ``4 h``; ``30`` → ``30 min``."""
    hours, minutes = divmod(total, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes:02d}" if minutes else f"{hours} h"


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
        lambda form: save_service_levels(request, form.data),
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
