"""Reference numbers without gaps: ``AIDE-2026-000123``.

The counter is incremented by one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``
in the caller's transaction. The row stays locked until that transaction ends,
so two transactions never get the same number, and a transaction that aborts
gives its number back: administrative acts are numbered without gaps.
"""

from __future__ import annotations

import re
from typing import Any

from pyramid.request import Request
from sqlalchemy.dialects import postgresql, sqlite
from zope.interface import implementer
from zope.sqlalchemy import mark_changed

from cagou.clock import local
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
        dialect = postgresql if self.request.db.bind.dialect.name == "postgresql" else sqlite
        table = ReferenceCounter.__table__
        statement = (
            dialect.insert(table)
            .values(prefix=prefix, year=year, last_value=1)
            .on_conflict_do_update(
                index_elements=[table.c.prefix, table.c.year], set_={"last_value": table.c.last_value + 1}
            )
            .returning(table.c.last_value)
        )
        value = self.request.db.execute(statement).scalar_one()
        # A Core statement goes unseen by zope.sqlalchemy, which would roll a
        # "read-only" session back instead of committing it.
        mark_changed(self.request.db)
        return f"{prefix}-{year}-{value:06d}"


def reference_numbers_factory(context: Any, request: Request) -> CounterReferenceNumbers:
    return CounterReferenceNumbers(request)
