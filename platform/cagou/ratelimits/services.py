"""Rate limits: a few attempts per account and per address, then a pause.

Each rule allows ``limit`` attempts per ``window`` for one subject (the login
typed, the client's address…). Counters live in the database, so every
process shares them; a subject is stored as a digest, so the table holds no
login nor address. A rule says nothing about whether the subject exists: the
same login typed by anyone is counted alike, and the message never reveals
whether an account exists.

The core's rules are below; a module declares its own through the
``cagou_rate_limits`` hook. The ``cagou.ratelimits`` setting changes any of
them, one ``name = attempts / minutes`` a line.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
import zope.sqlalchemy
from pyramid.registry import Registry
from pyramid.request import Request
from sqlalchemy.dialects import postgresql, sqlite
from zope.interface import implementer

from cagou.contributions import RateLimit
from cagou.db import increment, transaction_scope
from cagou.interfaces import IClock, IRateLimits
from cagou.ratelimits.models import AttemptCounter

CORE_RULES: list[RateLimit] = [
    RateLimit("login.account", 5, datetime.timedelta(minutes=15)),
    RateLimit("login.address", 30, datetime.timedelta(minutes=15)),
    RateLimit("register.address", 10, datetime.timedelta(hours=1)),
    RateLimit("reset.account", 3, datetime.timedelta(hours=1)),
    RateLimit("reset.address", 20, datetime.timedelta(hours=1)),
    RateLimit("second-factor.account", 5, datetime.timedelta(minutes=15)),
    # Requests refused for hostile input that are audited (see cagou.web.input_guard).
    RateLimit("refused-input.address", 20, datetime.timedelta(hours=1)),
]


def parse_rules(text: str, declared: Iterable[RateLimit] = CORE_RULES) -> dict[str, RateLimit]:
    """The ``declared`` rules by name, changed by ``login.account = 5/15`` lines (attempts per minutes)."""
    declared = list(declared)
    rules = {rule.name: rule for rule in declared}
    names = Counter(rule.name for rule in declared)
    if twice := sorted(name for name, count in names.items() if count > 1):
        raise ValueError(f"Limites de fréquence déclarées deux fois : {', '.join(twice)}.")
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, value = line.partition("=")
        attempts, _, minutes = value.partition("/")
        try:
            rule = RateLimit(name.strip(), int(attempts), datetime.timedelta(minutes=float(minutes)))
        except ValueError as error:
            raise ValueError(
                f"cagou.ratelimits : règle illisible « {line.strip()} » (nom = essais/minutes)."
            ) from error
        if rule.attempts < 1 or rule.window.total_seconds() < 1:
            raise ValueError(f"cagou.ratelimits : règle « {line.strip()} » sans effet : au moins un essai par seconde.")
        rules[rule.name] = rule
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
        self.rules: dict[str, RateLimit] = request.registry["cagou.ratelimits"]

    def _window(self, rule: RateLimit) -> datetime.datetime:
        return window_start(self.request.find_service(IClock).now(), rule.window)

    def blocked_for(self, checks: dict[str, str]) -> datetime.timedelta | None:
        """How long the first exhausted rule of ``{rule: subject}`` still blocks, or None."""
        now: datetime.datetime = self.request.find_service(IClock).now()
        for name, subject in checks.items():
            rule = self.rules[name]
            start = self._window(rule)
            row = self.request.db.get(AttemptCounter, (subject_key(name, subject), start))
            if row is not None and row.attempts >= rule.attempts:
                return start + rule.window - now
        return None

    def count(self, checks: dict[str, str]) -> None:
        """Count one more attempt for each ``{rule: subject}``."""
        for name, subject in checks.items():
            rule = self.rules[name]
            key = subject_key(name, subject)
            increment(self.request.db, AttemptCounter, "attempts", key=key, window_start=self._window(rule))

    def check_and_count(self, checks: dict[str, str]) -> datetime.timedelta | None:
        """Count one more attempt for each ``{rule: subject}``, in one statement; how long the first rule now past
        its limit blocks, or None.

        The count stands only if the transaction commits: a caller that refuses the attempt raises, and the
        request's transaction, aborted, forgets it, as ``blocked_for`` then ``count`` would never have counted it.
        """
        if not checks:
            return None
        now: datetime.datetime = self.request.find_service(IClock).now()
        rows = {
            subject_key(name, subject): (self.rules[name], window_start(now, self.rules[name].window))
            for name, subject in checks.items()
        }
        table = sa.inspect(AttemptCounter).local_table
        dialect = postgresql if self.request.db.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(table)
            .values([{"key": key, "window_start": start, "attempts": 1} for key, (_rule, start) in rows.items()])
            .on_conflict_do_update(index_elements=["key", "window_start"], set_={"attempts": table.c.attempts + 1})
            .returning(table.c.key, table.c.attempts)
        )
        attempts = {key: count for key, count in self.request.db.execute(statement)}
        zope.sqlalchemy.mark_changed(self.request.db)
        for key, (rule, start) in rows.items():
            if attempts[key] > rule.attempts:
                return start + rule.window - now
        return None


def rate_limits_factory(context: Any, request: Request) -> DatabaseRateLimits:
    return DatabaseRateLimits(request)


def purge_old_counters(registry: Registry) -> None:
    """Scheduled: forget the windows that are over (the longest rule's window ago)."""
    longest = max(rule.window for rule in registry["cagou.ratelimits"].values())
    with transaction_scope(registry) as request:
        limit = request.find_service(IClock).now() - longest
        request.db.execute(sa.delete(AttemptCounter).where(AttemptCounter.window_start < limit))
