"""The core's rate limits, and their scheduled clean-up."""

from __future__ import annotations

from cagou.contributions import RateLimit, ScheduledJob
from cagou.hookspecs import hookimpl
from cagou.ratelimits.services import CORE_RULES, purge_old_counters


@hookimpl
def cagou_rate_limits() -> list[RateLimit]:
    return CORE_RULES


@hookimpl
def cagou_scheduled_jobs() -> list[ScheduledJob]:
    return [ScheduledJob("core.ratelimits.purge", "17 3 * * *", purge_old_counters, "Oublier les tentatives anciennes")]
