"""Rate limits: a few attempts per account and per address, then a pause.

Each rule allows ``limit`` attempts per ``window`` for one subject (the login
typed, the client's address…). Counters live in the database, so every
process shares them; a subject is stored as a digest, so the table holds no
login nor address. A rule says nothing about whether the subject exists: the
same login typed by anyone is counted alike, and the message never reveals
whether an account exists.

Rules have defaults below and can be changed by the ``cagou.ratelimits``
setting, one ``name = attempts / minutes`` a line.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pyramid.registry import Registry
from pyramid.request import Request
from zope.interface import implementer

from cagou.db import increment, transaction_scope
from cagou.interfaces import IClock, IRateLimits
from cagou.ratelimits.models import AttemptCounter


@dataclass(frozen=True)
class Rule:
    limit: int
    window: datetime.timedelta


DEFAULT_RULES: dict[str, Rule] = {
    "login.account": Rule(5, datetime.timedelta(minutes=15)),
    "login.address": Rule(30, datetime.timedelta(minutes=15)),
    "register.address": Rule(10, datetime.timedelta(hours=1)),
    "reset.account": Rule(3, datetime.timedelta(hours=1)),
    "reset.address": Rule(20, datetime.timedelta(hours=1)),
    "second-factor.account": Rule(5, datetime.timedelta(minutes=15)),
}


def parse_rules(text: str) -> dict[str, Rule]:
    """``login.account = 5/15`` lines → rules (attempts per minutes)."""
    rules = dict(DEFAULT_RULES)
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, value = line.partition("=")
        attempts, _, minutes = value.partition("/")
        try:
            rules[name.strip()] = Rule(int(attempts), datetime.timedelta(minutes=float(minutes)))
        except ValueError as error:
            raise ValueError(
                f"cagou.ratelimits : règle illisible « {line.strip()} » (nom = essais/minutes)."
            ) from error
    return rules


def window_start(now: datetime.datetime, window: datetime.timedelta) -> datetime.datetime:
    seconds = int(window.total_seconds())
    return datetime.datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=datetime.UTC)


def subject_key(rule_name: str, subject: str) -> str:
    return hashlib.sha256(f"{rule_name}\0{subject.strip().lower()}".encode()).hexdigest()


@implementer(IRateLimits)
class DatabaseRateLimits:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.rules: dict[str, Rule] = request.registry["cagou.ratelimits"]

    def _window(self, rule: Rule) -> datetime.datetime:
        return window_start(self.request.find_service(IClock).now(), rule.window)

    def blocked_for(self, checks: dict[str, str]) -> datetime.timedelta | None:
        """How long the first exhausted rule of ``{rule: subject}`` still blocks, or None."""
        now: datetime.datetime = self.request.find_service(IClock).now()
        for name, subject in checks.items():
            rule = self.rules[name]
            start = self._window(rule)
            row = self.request.db.get(AttemptCounter, (subject_key(name, subject), start))
            if row is not None and row.attempts >= rule.limit:
                return start + rule.window - now
        return None

    def count(self, checks: dict[str, str]) -> None:
        """Count one more attempt for each ``{rule: subject}``."""
        for name, subject in checks.items():
            rule = self.rules[name]
            key = subject_key(name, subject)
            increment(self.request.db, AttemptCounter, "attempts", key=key, window_start=self._window(rule))


def rate_limits_factory(context: Any, request: Request) -> DatabaseRateLimits:
    return DatabaseRateLimits(request)


def purge_old_counters(registry: Registry) -> None:
    """Scheduled: forget the windows that are over (the longest rule's window ago)."""
    longest = max(rule.window for rule in registry["cagou.ratelimits"].values())
    with transaction_scope(registry) as request:
        limit = request.find_service(IClock).now() - longest
        request.db.execute(sa.delete(AttemptCounter).where(AttemptCounter.window_start < limit))
