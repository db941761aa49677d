"""Form errors tied to their fields, in French, and the parsing of what people type in them."""

from __future__ import annotations

import datetime

#: How a day is typed: the French way, or as a browser's date field sends it.
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
#: The days a form takes: any date a person means, and none whose neighbours (the next day, midnight in
#: another time zone) fall outside what Python and the databases can hold, which answered 500.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2999, 12, 31)


class FormErrors(dict[str, str]):
    """Field name → message. The key ``form`` holds an error about the whole form.

    Templates render each message next to its field and link it with
    ``aria-describedby``; the page title announces that the form has errors.
    """

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)


def parse_date(value: str) -> datetime.date | None:
    """The calendar day typed (``23/03/2026`` or ``2026-03-23``), or None when it is no day of 1900 to 2999."""
    for pattern in DATE_FORMATS:
        try:
            day = datetime.datetime.strptime(value.strip(), pattern).date()  # noqa: DTZ007  (a calendar day, no instant)
        except ValueError:
            continue
        return day if EARLIEST_DATE <= day <= LATEST_DATE else None
    return None
