"""Form errors tied to their fields, in French, and the parsing of what people type in them."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

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


#: The message of a day that could not be read, the same on every form.
BAD_DATE = "Saisissez une date valide au format JJ/MM/AAAA (par exemple 23/03/2026)."


def check_text(errors: FormErrors, name: str, value: str, label: str, maximum: int, required: bool = True) -> str:
    """``value`` without its outer spaces; an error on ``name`` when it is missing or longer than ``maximum``.

    ``label`` starts the French message: « Le titre », « La description »…
    """
    value = value.strip()
    if required and not value:
        errors.add(name, f"{label} est obligatoire.")
    elif len(value) > maximum:
        errors.add(
            name, f"{label} fait {maximum:,} caractères au plus (vous en avez saisi {len(value):,}).".replace(",", " ")
        )
    return value


def read_date(errors: FormErrors, name: str, value: str) -> datetime.date | None:
    """The day typed in field ``name`` (None when empty); an error on the field when it is no day."""
    if not value.strip():
        return None
    day = parse_date(value)
    if day is None:
        errors.add(name, BAD_DATE)
    return day


def read_period(
    errors: FormErrors,
    values: Mapping[str, str],
    names: tuple[str, str] = ("du", "au"),
    defaults: tuple[datetime.date | None, datetime.date | None] = (None, None),
    max_days: int | None = None,
    limit_label: str = "",
) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and last days of a period typed in two fields; an empty field takes its default.

    Errors go next to their field: a day that is no day, an end before the
    start, or a period longer than ``max_days`` (on the end's field, the limit
    said again in ``limit_label``, such as « deux ans »).
    """
    first_name, last_name = names
    first = read_date(errors, first_name, values.get(first_name, "")) or defaults[0]
    last = read_date(errors, last_name, values.get(last_name, "")) or defaults[1]
    if first and last and first_name not in errors and last_name not in errors:
        if last < first:
            errors.add(
                last_name,
                f"La date de fin ({last:%d/%m/%Y}) précède la date de début ({first:%d/%m/%Y}) : inversez-les.",
            )
        elif max_days is not None and (last - first).days + 1 > max_days:
            limit = f" ({limit_label})" if limit_label else ""
            errors.add(last_name, f"La période est limitée à {max_days} jours{limit} : raccourcissez-la.")
    return first, last
