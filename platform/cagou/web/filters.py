"""Jinja2 filters for the local facts: Nouméa time and the CFP franc."""

from __future__ import annotations

import datetime
from typing import Any

from jinja2 import pass_context

from cagou.clock import local


@pass_context
def local_time(context: Any, instant: datetime.datetime | None, pattern: str = "%d/%m/%Y %H:%M") -> str:
    """An instant shown in the platform's time zone (Nouméa)."""
    if instant is None:
        return ""
    return local(context["request"].registry, instant).strftime(pattern)


def francs(amount: int | None) -> str:
    """150000 → « 150 000 F CFP »: whole francs, thin spaces between thousands."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", "\u202f") + "\u00a0F\u00a0CFP"
