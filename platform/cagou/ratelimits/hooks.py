"""The rate limits' scheduled clean-up."""

from __future__ import annotations

from cagou.contributions import ScheduledJob
from cagou.hookspecs import hookimpl
from cagou.ratelimits.services import purge_old_counters


@hookimpl
def cagou_scheduled_jobs() -> list[ScheduledJob]:
    return [ScheduledJob("core.ratelimits.purge", "17 3 * * *", purge_old_counters, "Oublier les tentatives anciennes")]
