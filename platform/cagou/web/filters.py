"""Jinja2 filters for the local facts: Nouméa time and the CFP franc."""

from __future__ import annotations

import datetime
from email.headerregistry import DateHeader
from typing import Any

from jinja2 import pass_context

from cagou.clock import local


@pass_context
def local_time(context: Any, instant: datetime.datetime | None, pattern: str = "%d/%m/%Y %H:%M") -> str:
    """An instant shown in the platform's time zone (Nouméa)."""
    if instant is None:
        return ""
    return local(context["request"].registry, instant).strftime(pattern)


@pass_context
def mail_date(context: Any, header: DateHeader | str | None, pattern: str = "%d/%m/%Y %H:%M:%S") -> str:
    """A mail's Date header (RFC 5322, in English and UTC) shown as the console's other dates: Nouméa time, French."""
    # A header the parser could not read as a date has no instant: it is shown as written rather than lost.
    instant = header.datetime if isinstance(header, DateHeader) else None
    if instant is None:
        return str(header or "")
    return local_time(context, instant, pattern)


def francs(amount: int | None) -> str:
    """150000 → « 150 000 F CFP »: whole francs, thin spaces between thousands."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", "\u202f") + "\u00a0F\u00a0CFP"
