"""The helpdesk's settings, read once at start-up.

Each ``helpdesk.*`` setting comes from the ``.ini`` file, or from the
environment variable of the same name in capitals (``helpdesk.reopen_days``
from ``HELPDESK_REOPEN_DAYS``), or from the default below. A bad value stops
the platform at start-up with a French message instead of failing later.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from pyramid.exceptions import ConfigurationError
from pyramid.registry import Registry
from pyramid.settings import asbool

from cagou.kit import environment_name
from cagou_helpdesk.calendar import DEFAULT_WORKING_DAYS, DEFAULT_WORKING_HOURS, BusinessCalendar, parse_calendar

DEFAULTS: dict[str, str] = {
    "helpdesk.max_attachment_mb": "10",
    "helpdesk.reopen_days": "7",
    "helpdesk.breach_warning_minutes": "60",
    "helpdesk.working_hours": DEFAULT_WORKING_HOURS,
    "helpdesk.working_days": DEFAULT_WORKING_DAYS,
    "helpdesk.address": "assistance@cagou.example.nc",
    "helpdesk.default_group": "BAU",
    "helpdesk.mail_listen": "127.0.0.1:2525",
    "helpdesk.reference_refresh_seconds": "1",
    "helpdesk.demo_history": "true",
}


@dataclass(frozen=True)
class HelpdeskSettings:
    max_attachment_bytes: int
    reopen_days: int
    breach_warning_minutes: int
    calendar: BusinessCalendar
    #: The address agents write to, and the Reply-To of every notification.
    address: str
    #: The group whose queue receives tickets whose category names none.
    default_group: str
    mail_host: str
    mail_port: int
    #: How old another process's change to categories, groups, matrix or service levels may be when read.
    reference_refresh_seconds: float
    #: Whether ``cagou demo`` draws the six weeks of tickets, or only the groups, categories and articles.
    demo_history: bool


def read(settings: dict[str, Any]) -> HelpdeskSettings:
    values = {
        key: os.environ.get(environment_name(key), str(settings.get(key, default))) for key, default in DEFAULTS.items()
    }
    try:
        host, _, port = values["helpdesk.mail_listen"].rpartition(":")
        return HelpdeskSettings(
            max_attachment_bytes=int(float(values["helpdesk.max_attachment_mb"]) * 1024 * 1024),
            reopen_days=int(values["helpdesk.reopen_days"]),
            breach_warning_minutes=int(values["helpdesk.breach_warning_minutes"]),
            calendar=parse_calendar(
                values["helpdesk.working_hours"], values["helpdesk.working_days"], settings["cagou.timezone"]
            ),
            address=values["helpdesk.address"].strip(),
            default_group=values["helpdesk.default_group"].strip(),
            mail_host=host or "127.0.0.1",
            mail_port=int(port),
            reference_refresh_seconds=float(values["helpdesk.reference_refresh_seconds"]),
            demo_history=asbool(values["helpdesk.demo_history"]),
        )
    except ValueError as error:
        raise ConfigurationError(f"Réglage du module d'assistance invalide : {error}") from error


def get(registry: Registry) -> HelpdeskSettings:
    found: HelpdeskSettings = registry["helpdesk.settings"]
    return found
