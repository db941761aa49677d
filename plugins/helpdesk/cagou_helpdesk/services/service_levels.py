"""The service levels' changes: per priority, in business hours and minutes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from zope.interface import implementer

from cagou.kit import FormErrors, Invalid
from cagou_helpdesk import rules
from cagou_helpdesk.checks import MAX_SERVICE_HOURS, MEASURES, format_minutes, level_name
from cagou_helpdesk.interfaces import IServiceLevels
from cagou_helpdesk.models import PRIORITIES, ServiceLevel
from cagou_helpdesk.services.common import record


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


@implementer(IServiceLevels)
class ServiceLevelService:
    """The service levels of the request's database, changed in the request's transaction."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def save(self, form: Mapping[str, str]) -> dict[int, tuple[tuple[int, int], tuple[int, int]]]:
        """Write the service levels; those that changed, as (before, after). Raises :class:`Invalid`."""
        request = self.request
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
        changed = {
            priority: (current[priority], level) for priority, level in wanted.items() if current[priority] != level
        }
        stored = {level.priority: level for level in request.db.scalars(sa.select(ServiceLevel))}
        for priority, ((before_first, before_resolution), (first, resolution)) in sorted(changed.items()):
            level = stored.get(priority)
            if level is None:
                request.db.add(
                    ServiceLevel(priority=priority, first_response_minutes=first, resolution_minutes=resolution)
                )
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


def service_level_service_factory(context: Any, request: Request) -> ServiceLevelService:
    return ServiceLevelService(request)
