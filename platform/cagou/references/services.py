"""Reference numbers without gaps: ``AIDE-2026-000123``.

The counter is incremented by :func:`cagou.db.increment` in the caller's
transaction. The row stays locked until that transaction ends,
so two transactions never get the same number, and a transaction that aborts
gives its number back: administrative acts are numbered without gaps.
"""

from __future__ import annotations

import re
from typing import Any

from pyramid.request import Request
from zope.interface import implementer

from cagou.clock import local
from cagou.db import increment
from cagou.interfaces import IClock, IReferenceNumbers
from cagou.references.models import ReferenceCounter

PREFIX_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{1,31}$")


@implementer(IReferenceNumbers)
class CounterReferenceNumbers:
    def __init__(self, request: Request) -> None:
        self.request = request

    def next(self, prefix: str) -> str:
        if not PREFIX_PATTERN.match(prefix):
            raise ValueError(f"Préfixe de référence invalide : « {prefix} ».")
        year = local(self.request.registry, self.request.find_service(IClock).now()).year
        value = increment(self.request.db, ReferenceCounter, "last_value", prefix=prefix, year=year)
        return f"{prefix}-{year}-{value:06d}"


def reference_numbers_factory(context: Any, request: Request) -> CounterReferenceNumbers:
    return CounterReferenceNumbers(request)
