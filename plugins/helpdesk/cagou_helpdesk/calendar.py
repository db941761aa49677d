"""Business-hours calendar: service levels count working time, not wall-clock time.

A request filed on Friday at 16:00 and answered on Monday at 08:00 waited one
hour of working time, not three days: the helpdesk promises delays in working
hours, so deadlines (``add``) and measured delays (``between``) skip nights,
the lunch break, weekends and New Caledonia's public holidays.

Working periods are wall-clock times of the calendar's time zone
(``Pacific/Noumea`` by default); instants come in and go out as aware
datetimes, returned in UTC so that they compare and store without ambiguity.
Public holidays come from the ``holidays`` library, which knows New Caledonia
(including 24 September, Citizenship Day): nothing here lists holidays by hand.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field

import holidays

DEFAULT_WORKING_HOURS = "07:30-11:30 12:30-16:30"
"""Working periods of a working day, local time."""

DEFAULT_WORKING_DAYS = "1-5"
"""ISO weekdays (1 = Monday); also written "1,2,3,4,5" or "1-4,6"."""

# A week always has a working day, but holidays could in theory close several
# in a row; a year without a single opening means the calendar is broken, and
# stopping beats looping for ever.
_MAX_CLOSED_DAYS = 366

_HOURS_HELP = "Écrivez des plages HH:MM-HH:MM séparées par des espaces."
_DAYS_HELP = (
    "Écrivez des numéros de jour de 1 (lundi) à 7 (dimanche), séparés par des virgules "
    "ou en plages, par exemple « 1-5 » ou « 1-4,6 »."
)
#: Days whose working periods a calendar keeps computed (about ten years of days): past that it starts again.
_CACHED_DAYS = 4096

_PERIOD = re.compile(r"(\d{1,2})[:h](\d{2})-(\d{1,2})[:h](\d{2})")
_DAYS = re.compile(r"(\d+)(?:-(\d+))?")

Period = tuple[datetime.time, datetime.time]


@functools.lru_cache(maxsize=128)
def _holidays(country: str, year: int) -> frozenset[datetime.date]:
    """The public holidays of one year, built once: ``holidays`` computes them on demand, slowly."""
    return frozenset(holidays.country_holidays(country, years=year))


@functools.cache
def _known_country(country: str) -> bool:
    """Whether ``holidays`` knows the country; asked once, the list is rebuilt on each call."""
    return country in holidays.list_supported_countries()


def _clock(value: datetime.time) -> str:
    """A time as people write it in the settings, for error messages."""
    return value.strftime("%H:%M") if not value.second and not value.microsecond else value.isoformat()


def _utc(instant: datetime.datetime) -> datetime.datetime:
    """The same instant in UTC; naive datetimes are refused, their zone would be a guess."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"L'instant {instant.isoformat()} n'indique pas son fuseau horaire.")
    return instant.astimezone(datetime.UTC)


@dataclass(frozen=True)
class BusinessCalendar:
    """When the helpdesk works: daily periods, on some weekdays, except public holidays.

    Periods are half-open: a period 07:30-11:30 is open at 07:30 and closed at 11:30.
    """

    timezone: zoneinfo.ZoneInfo
    periods: tuple[Period, ...]
    weekdays: frozenset[int]
    holiday_country: str = "NC"
    #: Each day's working periods in UTC, computed once: every deadline walks the same few days ahead.
    #: Nothing to invalidate: a calendar is immutable (built from the settings, once per process), and so
    #: are a year's public holidays; what changes at run time, the service levels, is read at each ticket.
    _days: dict[datetime.date, tuple[tuple[datetime.datetime, datetime.datetime], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        # Checked here rather than only in parse_calendar: an empty week or
        # overlapping periods would make add() loop for ever or count twice.
        if not self.periods:
            raise ValueError(f"Horaires invalides : aucune plage. {_HOURS_HELP}")
        for start, end in self.periods:
            if start >= end:
                raise ValueError(
                    f"Plage horaire inversée ou vide : « {_clock(start)}-{_clock(end)} ». "
                    "Le début doit précéder la fin."
                )
        for (start, end), (next_start, next_end) in itertools.pairwise(self.periods):
            if next_start < end:
                raise ValueError(
                    f"Plages horaires qui se chevauchent ou dans le désordre : « {_clock(start)}-{_clock(end)} » "
                    f"et « {_clock(next_start)}-{_clock(next_end)} »."
                )
        if not self.weekdays:
            raise ValueError(f"Jours ouvrés invalides : aucun jour. {_DAYS_HELP}")
        for weekday in sorted(self.weekdays):
            if not 1 <= weekday <= 7:
                raise ValueError(f"Jour de semaine inconnu : {weekday}. {_DAYS_HELP}")
        if not _known_country(self.holiday_country):
            raise ValueError(f"Pays inconnu pour les jours fériés : « {self.holiday_country} ».")

    def is_working_day(self, day: datetime.date) -> bool:
        """Whether the helpdesk works that (local) day: a working weekday that is no public holiday."""
        return day.isoweekday() in self.weekdays and day not in _holidays(self.holiday_country, day.year)

    def is_open(self, instant: datetime.datetime) -> bool:
        """Whether ``instant`` (aware, any zone) falls within a working period."""
        moment = _utc(instant)
        return any(start <= moment < end for start, end in self._intervals(self._local_day(moment)))

    def add(self, start: datetime.datetime, duration: datetime.timedelta) -> datetime.datetime:
        """The instant (UTC) when ``duration`` of working time has elapsed after ``start``.

        Time before the next opening does not count. A deadline that falls exactly
        at the end of a period is that end, not the next opening: the delay is met
        as the office closes. A zero duration gives ``start`` when open, else the
        next opening. The walk jumps period by period and day by day, so deadlines
        weeks ahead cost a few hundred steps at most.
        """
        if duration < datetime.timedelta(0):
            raise ValueError(f"Durée négative : {duration}.")
        cursor = _utc(start)
        remaining = duration
        for start_at, end_at in self._intervals_from(cursor):
            begin = max(start_at, cursor)
            available = end_at - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: _intervals_from never ends")  # pragma: no cover

    def between(self, start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
        """The working time between two instants; zero when ``end`` is not after ``start``.

        The inverse of ``add``: ``between(s, add(s, d)) == d``.
        """
        first, last = _utc(start), _utc(end)
        total = datetime.timedelta(0)
        if last <= first:
            return total
        day = self._local_day(first)
        last_day = self._local_day(last)
        while day <= last_day:
            for start_at, end_at in self._intervals(day):
                overlap = min(end_at, last) - max(start_at, first)
                if overlap > datetime.timedelta(0):
                    total += overlap
            day += datetime.timedelta(days=1)
        return total

    def next_opening(self, instant: datetime.datetime) -> datetime.datetime:
        """The first open instant from ``instant`` on (UTC): ``instant`` itself when open."""
        return self.add(instant, datetime.timedelta(0))

    def _local_day(self, instant: datetime.datetime) -> datetime.date:
        """The calendar day of ``instant`` where the helpdesk works."""
        return instant.astimezone(self.timezone).date()

    def _intervals(self, day: datetime.date) -> tuple[tuple[datetime.datetime, datetime.datetime], ...]:
        """The working periods of ``day`` as UTC instants; none on days off. Computed once per day."""
        found = self._days.get(day)
        if found is None:
            if len(self._days) >= _CACHED_DAYS:
                self._days.clear()
            found = self._days[day] = self._compute_intervals(day)
        return found

    def _compute_intervals(self, day: datetime.date) -> tuple[tuple[datetime.datetime, datetime.datetime], ...]:
        """The working periods of ``day`` as UTC instants; none on days off.

        Bounds are converted to UTC before any arithmetic: subtracting two
        datetimes that share a tzinfo compares wall clocks, which is wrong
        across a daylight saving change in zones that have one.
        """
        if not self.is_working_day(day):
            return ()
        intervals = []
        for start, end in self.periods:
            start_at = datetime.datetime.combine(day, start, tzinfo=self.timezone).astimezone(datetime.UTC)
            end_at = datetime.datetime.combine(day, end, tzinfo=self.timezone).astimezone(datetime.UTC)
            if start_at < end_at:  # a period swallowed by a daylight saving change is no period
                intervals.append((start_at, end_at))
        return tuple(intervals)

    def _intervals_from(self, instant: datetime.datetime) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
        """The working periods that end after ``instant``, in order, without end.

        Raises ``RuntimeError`` after a year without any opening rather than
        looping for ever on a calendar that never opens.
        """
        day = first_day = self._local_day(instant)
        closed_days = 0
        while closed_days <= _MAX_CLOSED_DAYS:
            intervals = [(start, end) for start, end in self._intervals(day) if end > instant]
            closed_days = 0 if intervals else closed_days + 1
            yield from intervals
            day += datetime.timedelta(days=1)
        raise RuntimeError(f"Le calendrier ne s'ouvre pas dans l'année qui suit le {first_day.isoformat()}.")


def _parse_periods(working_hours: str) -> tuple[Period, ...]:
    """Read "07:30-11:30 12:30-16:30" (spaces around the dash and "7h30" tolerated)."""
    text = re.sub(r"\s*-\s*", "-", working_hours.strip())
    if not text:
        raise ValueError(f"Horaires invalides : aucune plage. {_HOURS_HELP}")
    periods = []
    for token in text.split():
        match = _PERIOD.fullmatch(token)
        if match is None:
            raise ValueError(f"Horaires invalides : « {token} ». {_HOURS_HELP}")
        start_hour, start_minute, end_hour, end_minute = (int(part) for part in match.groups())
        if max(start_hour, end_hour) > 23 or max(start_minute, end_minute) > 59:
            raise ValueError(f"Horaires invalides : « {token} ». {_HOURS_HELP}")
        start, end = datetime.time(start_hour, start_minute), datetime.time(end_hour, end_minute)
        if start >= end:
            raise ValueError(f"Plage horaire inversée ou vide : « {token} ». Le début doit précéder la fin.")
        periods.append((start, end))
    # The order in which they are written does not matter; overlaps are caught by BusinessCalendar.
    return tuple(sorted(periods))


def _parse_weekdays(working_days: str) -> frozenset[int]:
    """Read "1-5", "1,2,3,4,5" or "1-4,6" into ISO weekdays."""
    text = re.sub(r"\s+", "", working_days)
    if not text:
        raise ValueError(f"Jours ouvrés invalides : aucun jour. {_DAYS_HELP}")
    weekdays: set[int] = set()
    for token in text.split(","):
        match = _DAYS.fullmatch(token)
        if match is None:
            raise ValueError(f"Jours ouvrés invalides : « {working_days.strip()} ». {_DAYS_HELP}")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        for number in (first, last):
            if not 1 <= number <= 7:
                raise ValueError(f"Jour de semaine inconnu : {number}. {_DAYS_HELP}")
        if first > last:
            raise ValueError(f"Plage de jours inversée : « {token} ». {_DAYS_HELP}")
        weekdays.update(range(first, last + 1))
    return frozenset(weekdays)


def parse_calendar(working_hours: str, working_days: str, timezone: str = "Pacific/Noumea") -> BusinessCalendar:
    """Build the calendar from the settings as people write them.

    Raises ``ValueError`` with a French message naming the faulty part, since
    the text comes from the module's settings form.
    """
    periods = _parse_periods(working_hours)
    weekdays = _parse_weekdays(working_days)
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Fuseau horaire inconnu : « {timezone} ».") from None
    return BusinessCalendar(timezone=zone, periods=periods, weekdays=weekdays)
