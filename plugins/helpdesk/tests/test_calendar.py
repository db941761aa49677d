"""The business-hours calendar counts helpdesk delays in New Caledonian working time.

Dates are in September 2026 unless said otherwise: Monday 21, Wednesday 23,
Thursday 24 (Citizenship Day, a public holiday), Friday 25. Expected instants
are exact: a calendar off by a lunch break or a holiday fails here.
"""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from cagou_helpdesk import calendar
from cagou_helpdesk.calendar import (
    DEFAULT_WORKING_DAYS,
    DEFAULT_WORKING_HOURS,
    BusinessCalendar,
    parse_calendar,
)

NOUMEA = zoneinfo.ZoneInfo("Pacific/Noumea")
UTC = datetime.UTC
H = datetime.timedelta(hours=1)
MIN = datetime.timedelta(minutes=1)


def nc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime.datetime:
    """An instant on New Caledonia's wall clock."""
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=NOUMEA)


def sep(day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return nc(2026, 9, day, hour, minute)


@pytest.fixture
def cal() -> BusinessCalendar:
    return parse_calendar(DEFAULT_WORKING_HOURS, DEFAULT_WORKING_DAYS)


def assert_same(result: datetime.datetime, expected: datetime.datetime) -> None:
    """Same instant, and given back in UTC as the API promises."""
    assert result.tzinfo is UTC
    assert result == expected, f"{result.astimezone(NOUMEA)} != {expected.astimezone(NOUMEA)}"


# --- Parsing -----------------------------------------------------------------------------------------------------


def test_defaults_parse_to_two_periods_monday_to_friday_in_noumea(cal):
    assert cal.timezone == NOUMEA
    assert cal.periods == (
        (datetime.time(7, 30), datetime.time(11, 30)),
        (datetime.time(12, 30), datetime.time(16, 30)),
    )
    assert cal.weekdays == frozenset({1, 2, 3, 4, 5})
    assert cal.holiday_country == "NC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1-5", {1, 2, 3, 4, 5}),
        ("1,2,3,4,5", {1, 2, 3, 4, 5}),
        ("1-4,6", {1, 2, 3, 4, 6}),
        (" 1 - 4 , 6 ", {1, 2, 3, 4, 6}),
        ("5,1,3", {1, 3, 5}),
        ("1-5,3", {1, 2, 3, 4, 5}),
        ("7", {7}),
    ],
)
def test_working_days_notations(text, expected):
    assert parse_calendar(DEFAULT_WORKING_HOURS, text).weekdays == frozenset(expected)


def test_working_hours_tolerate_order_spaces_around_the_dash_and_french_notation():
    expected = ((datetime.time(7, 30), datetime.time(11, 30)), (datetime.time(12, 30), datetime.time(16, 30)))
    assert parse_calendar("12:30-16:30 07:30-11:30", "1-5").periods == expected
    assert parse_calendar("  7:30 - 11:30   12:30-16:30 ", "1-5").periods == expected
    assert parse_calendar("7h30-11h30 12h30-16h30", "1-5").periods == expected


def test_touching_periods_are_accepted_and_count_as_one_stretch():
    cal = parse_calendar("08:00-10:00 10:00-12:00", "1-5")
    assert_same(cal.add(sep(23, 9), 2 * H), sep(23, 11))
    assert cal.is_open(sep(23, 10))


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (
            "25:00-12:00",
            "Horaires invalides : « 25:00-12:00 ». Écrivez des plages HH:MM-HH:MM séparées par des espaces.",
        ),
        (
            "07:30-11:60",
            "Horaires invalides : « 07:30-11:60 ». Écrivez des plages HH:MM-HH:MM séparées par des espaces.",
        ),
        (
            "07:30-11:30 midi-16:30",
            "Horaires invalides : « midi-16:30 ». Écrivez des plages HH:MM-HH:MM séparées par des espaces.",
        ),
        ("0730-1130", "Horaires invalides : « 0730-1130 ». Écrivez des plages HH:MM-HH:MM séparées par des espaces."),
        ("07:30", "Horaires invalides : « 07:30 ». Écrivez des plages HH:MM-HH:MM séparées par des espaces."),
        ("", "Horaires invalides : aucune plage. Écrivez des plages HH:MM-HH:MM séparées par des espaces."),
        ("   ", "Horaires invalides : aucune plage. Écrivez des plages HH:MM-HH:MM séparées par des espaces."),
        ("16:30-07:30", "Plage horaire inversée ou vide : « 16:30-07:30 ». Le début doit précéder la fin."),
        ("08:00-08:00", "Plage horaire inversée ou vide : « 08:00-08:00 ». Le début doit précéder la fin."),
        (
            "07:30-11:30 11:00-16:30",
            "Plages horaires qui se chevauchent ou dans le désordre : « 07:30-11:30 » et « 11:00-16:30 ».",
        ),
        (
            "12:30-16:30 07:30-13:00",
            "Plages horaires qui se chevauchent ou dans le désordre : « 07:30-13:00 » et « 12:30-16:30 ».",
        ),
        (
            "08:00-12:00 08:00-12:00",
            "Plages horaires qui se chevauchent ou dans le désordre : « 08:00-12:00 » et « 08:00-12:00 ».",
        ),
    ],
)
def test_malformed_working_hours_are_refused_in_french(hours, message):
    with pytest.raises(ValueError) as excinfo:
        parse_calendar(hours, "1-5")
    assert str(excinfo.value) == message


DAYS_HELP = (
    "Écrivez des numéros de jour de 1 (lundi) à 7 (dimanche), séparés par des virgules "
    "ou en plages, par exemple « 1-5 » ou « 1-4,6 »."
)


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("8", f"Jour de semaine inconnu : 8. {DAYS_HELP}"),
        ("0-4", f"Jour de semaine inconnu : 0. {DAYS_HELP}"),
        ("1-9", f"Jour de semaine inconnu : 9. {DAYS_HELP}"),
        ("5-1", f"Plage de jours inversée : « 5-1 ». {DAYS_HELP}"),
        ("", f"Jours ouvrés invalides : aucun jour. {DAYS_HELP}"),
        ("lundi-vendredi", f"Jours ouvrés invalides : « lundi-vendredi ». {DAYS_HELP}"),
        ("1,,2", f"Jours ouvrés invalides : « 1,,2 ». {DAYS_HELP}"),
        ("1-2-3", f"Jours ouvrés invalides : « 1-2-3 ». {DAYS_HELP}"),
        ("1;2", f"Jours ouvrés invalides : « 1;2 ». {DAYS_HELP}"),
    ],
)
def test_malformed_working_days_are_refused_in_french(days, message):
    with pytest.raises(ValueError) as excinfo:
        parse_calendar(DEFAULT_WORKING_HOURS, days)
    assert str(excinfo.value) == message


@pytest.mark.parametrize("zone", ["Pacific/Nowhere", "Pacific", "", "../etc/passwd"])
def test_unknown_time_zone_is_refused_in_french(zone):
    with pytest.raises(ValueError) as excinfo:
        parse_calendar(DEFAULT_WORKING_HOURS, DEFAULT_WORKING_DAYS, zone)
    assert str(excinfo.value) == f"Fuseau horaire inconnu : « {zone} »."


def test_a_calendar_built_by_hand_is_checked_too():
    """An empty week would make add() search for ever; the dataclass refuses it whoever builds it."""
    periods = ((datetime.time(8), datetime.time(12)),)
    with pytest.raises(ValueError, match="aucun jour"):
        BusinessCalendar(NOUMEA, periods, frozenset())
    with pytest.raises(ValueError, match="Jour de semaine inconnu : 0"):
        BusinessCalendar(NOUMEA, periods, frozenset({0, 1}))
    with pytest.raises(ValueError, match="aucune plage"):
        BusinessCalendar(NOUMEA, (), frozenset({1}))
    with pytest.raises(ValueError, match="dans le désordre"):
        BusinessCalendar(
            NOUMEA, ((datetime.time(13), datetime.time(16)), (datetime.time(8), datetime.time(12))), frozenset({1})
        )
    with pytest.raises(ValueError, match="Pays inconnu pour les jours fériés : « XX »"):
        BusinessCalendar(NOUMEA, periods, frozenset({1}), holiday_country="XX")


# --- Working days and opening hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (datetime.date(2026, 9, 23), True),  # Wednesday
        (datetime.date(2026, 9, 24), False),  # Thursday, Citizenship Day
        (datetime.date(2025, 9, 24), False),  # Citizenship Day again, another year
        (datetime.date(2026, 9, 25), True),  # Friday
        (datetime.date(2026, 9, 26), False),  # Saturday
        (datetime.date(2026, 9, 27), False),  # Sunday
        (datetime.date(2026, 5, 1), False),  # Labour Day, a Friday
        (datetime.date(2026, 4, 6), False),  # Easter Monday
        (datetime.date(2026, 4, 3), True),  # Good Friday is no holiday in New Caledonia
        (datetime.date(2026, 4, 7), True),
        (datetime.date(2026, 7, 14), False),  # National Day, a Tuesday
        (datetime.date(2027, 1, 1), False),
    ],
)
def test_is_working_day(cal, day, working):
    assert cal.is_working_day(day) is working


@pytest.mark.parametrize(
    ("instant", "open_"),
    [
        (sep(23, 7, 29), False),
        (nc(2026, 9, 23, 7, 29, 59), False),
        (sep(23, 7, 30), True),
        (sep(23, 11, 29), True),
        (sep(23, 11, 30), False),  # periods are half-open: closed at 11:30 sharp
        (sep(23, 12), False),
        (sep(23, 12, 30), True),
        (sep(23, 16, 29), True),
        (sep(23, 16, 30), False),
        (sep(23, 23, 59), False),
        (sep(24, 9), False),  # Citizenship Day
        (sep(26, 9), False),  # Saturday
        (datetime.datetime(2026, 9, 22, 21, 0, tzinfo=UTC), True),  # Wednesday 08:00 in Noumea
        (datetime.datetime(2026, 9, 23, 9, 0, tzinfo=UTC), False),  # Wednesday 20:00 in Noumea
        (datetime.datetime(2026, 9, 22, 20, 29, tzinfo=UTC), False),  # Wednesday 07:29 in Noumea
        (datetime.datetime(2026, 9, 22, 20, 30, tzinfo=UTC), True),  # Wednesday 07:30 in Noumea
        # Thursday 22:00 UTC is already Friday 09:00 in Noumea: open, though Thursday is the holiday.
        (datetime.datetime(2026, 9, 24, 22, 0, tzinfo=UTC), True),
        # Wednesday 22:00 UTC is Thursday 09:00 in Noumea: the holiday, closed.
        (datetime.datetime(2026, 9, 23, 22, 0, tzinfo=UTC), False),
    ],
)
def test_is_open(cal, instant, open_):
    assert cal.is_open(instant) is open_


def test_naive_instants_are_refused(cal):
    naive = datetime.datetime(2026, 9, 23, 8, 0)
    with pytest.raises(ValueError, match="fuseau horaire"):
        cal.is_open(naive)
    with pytest.raises(ValueError, match="fuseau horaire"):
        cal.add(naive, H)
    with pytest.raises(ValueError, match="fuseau horaire"):
        cal.between(sep(23, 8), naive)
    with pytest.raises(ValueError, match="fuseau horaire"):
        cal.next_opening(naive)


def test_negative_durations_are_refused(cal):
    with pytest.raises(ValueError, match="Durée négative"):
        cal.add(sep(23, 8), -MIN)


# --- add -----------------------------------------------------------------------------------------------------------


def test_add_returns_utc(cal):
    result = cal.add(sep(23, 8), 2 * H)
    assert result.tzinfo is UTC
    assert (result.year, result.month, result.day, result.hour, result.minute) == (2026, 9, 22, 23, 0)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Within one period.
        (sep(23, 8), 2 * H, sep(23, 10)),
        (sep(23, 7, 30), 30 * MIN, sep(23, 8)),
        (sep(23, 13), 3 * H + 29 * MIN, sep(23, 16, 29)),
        # Ending exactly as the period closes: the deadline is the closing time, not the next opening.
        (sep(23, 7, 30), 4 * H, sep(23, 11, 30)),
        (sep(23, 12, 30), 4 * H, sep(23, 16, 30)),
        # Across the lunch break.
        (sep(23, 10), 3 * H, sep(23, 14)),
        (sep(23, 11, 29), 2 * MIN, sep(23, 12, 31)),
        (sep(23, 7, 30), 4 * H + MIN, sep(23, 12, 31)),
        (sep(23, 7, 30), 8 * H, sep(23, 16, 30)),
        # Across a night (Tuesday to Wednesday).
        (sep(22, 15), 3 * H, sep(23, 9)),
        (sep(22, 16, 29), 2 * MIN, sep(23, 7, 31)),
        (sep(22, 7, 30), 8 * H + MIN, sep(23, 7, 31)),
        (sep(22, 8), 12 * H, sep(23, 13)),
        # Across a weekend (Friday to Monday).
        (sep(18, 15, 30), 2 * H, sep(21, 8, 30)),
        (sep(18, 16), 9 * H, sep(22, 8)),
        # Across Citizenship Day (Wednesday 23 to Friday 25 September).
        (sep(23, 16), H, sep(25, 8)),
        (sep(23, 16, 30), 8 * H + 30 * MIN, sep(28, 8)),  # Friday, then the weekend as well
        # Across Labour Day (Thursday 30 April to Monday 4 May 2026).
        (nc(2026, 4, 30, 16), H, nc(2026, 5, 4, 8)),
        # Across Easter Monday (Friday 3 to Tuesday 7 April 2026).
        (nc(2026, 4, 3, 16), H, nc(2026, 4, 7, 8)),
        # Across the year's end: 31 December 2026 is a Thursday, 1 January a holiday.
        (nc(2026, 12, 31, 16), H, nc(2027, 1, 4, 8)),
        # Starting before opening, during lunch, after closing, on a weekend, on a holiday.
        (sep(23, 6), H, sep(23, 8, 30)),
        (sep(23, 0), 4 * H, sep(23, 11, 30)),
        (sep(23, 12), H, sep(23, 13, 30)),
        (sep(23, 11, 30), H, sep(23, 13, 30)),
        (sep(22, 18), H, sep(23, 8, 30)),
        (sep(22, 16, 30), H, sep(23, 8, 30)),
        (sep(26, 10), H, sep(28, 8, 30)),
        (sep(27, 23, 59), H, sep(28, 8, 30)),
        (sep(24, 10), H, sep(25, 8, 30)),
        (sep(23, 18), H, sep(25, 8, 30)),  # after closing on the eve of the holiday
        # Zero: the start itself when open, the next opening otherwise.
        (sep(23, 9, 15), datetime.timedelta(0), sep(23, 9, 15)),
        (sep(23, 7, 30), datetime.timedelta(0), sep(23, 7, 30)),
        (sep(23, 11, 30), datetime.timedelta(0), sep(23, 12, 30)),
        (sep(23, 17), datetime.timedelta(0), sep(25, 7, 30)),
        # Sub-minute precision is kept.
        (
            sep(23, 8),
            datetime.timedelta(seconds=90, microseconds=5),
            sep(23, 8, 1) + datetime.timedelta(seconds=30, microseconds=5),
        ),
        # Several weeks: 25 working days of 8 hours from Monday 31 August, Citizenship Day skipped.
        (nc(2026, 8, 31, 7, 30), 25 * 8 * H, nc(2026, 10, 5, 16, 30)),
        (nc(2026, 8, 31, 7, 30), 25 * 8 * H + MIN, nc(2026, 10, 6, 7, 31)),
    ],
)
def test_add(cal, start, duration, expected):
    assert_same(cal.add(start, duration), expected)


def test_add_over_a_year_skips_every_holiday(cal):
    """2027 has 261 weekdays, 8 of them public holidays in New Caledonia: 253 working days."""
    holidays_2027 = [day for day in calendar._holidays("NC", 2027) if day.isoweekday() <= 5]
    assert len(holidays_2027) == 8
    assert_same(cal.add(nc(2027, 1, 1), 253 * 8 * H), nc(2027, 12, 31, 16, 30))
    assert cal.between(nc(2027, 1, 1), nc(2028, 1, 1)) == 253 * 8 * H


def test_holidays_are_computed_once_per_year(monkeypatch):
    """add() over weeks asks the holidays library once per year, not once per day."""
    calls: list[tuple[str, object]] = []
    real = calendar.holidays.country_holidays

    def counting(country, years=None, **kwargs):
        calls.append((country, years))
        return real(country, years=years, **kwargs)

    calendar._holidays.cache_clear()
    monkeypatch.setattr(calendar.holidays, "country_holidays", counting)
    try:
        cal = parse_calendar(DEFAULT_WORKING_HOURS, DEFAULT_WORKING_DAYS)
        assert_same(cal.add(nc(2026, 11, 2, 7, 30), 60 * 8 * H), nc(2027, 1, 27, 16, 30))
        cal.between(nc(2026, 11, 2), nc(2027, 2, 1))
        assert sorted(calls) == [("NC", 2026), ("NC", 2027)]
    finally:
        calendar._holidays.cache_clear()


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (sep(23, 9), sep(23, 9)),
        (sep(23, 7, 30), sep(23, 7, 30)),
        (sep(23, 7, 29), sep(23, 7, 30)),
        (sep(23, 11, 30), sep(23, 12, 30)),
        (sep(23, 16, 30), sep(25, 7, 30)),  # Thursday is Citizenship Day
        (sep(25, 17), sep(28, 7, 30)),
        (sep(26, 9), sep(28, 7, 30)),
        (nc(2026, 4, 3, 17), nc(2026, 4, 7, 7, 30)),  # Easter weekend and Monday
        (datetime.datetime(2026, 9, 23, 6, 0, tzinfo=UTC), sep(25, 7, 30)),  # Wednesday 17:00 in Noumea
    ],
)
def test_next_opening(cal, instant, expected):
    assert_same(cal.next_opening(instant), expected)


# --- between -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (sep(23, 8), sep(23, 10), 2 * H),
        (sep(23, 10), sep(23, 14), 3 * H),
        (sep(23, 11, 45), sep(23, 12, 15), datetime.timedelta(0)),
        (sep(23, 0), sep(24, 0), 8 * H),
        (sep(22, 15), sep(23, 9), 3 * H),
        (sep(18, 15, 30), sep(21, 8, 30), 2 * H),
        (sep(23, 16), sep(25, 8), H),
        (sep(24, 0), sep(25, 0), datetime.timedelta(0)),
        (sep(21, 0), sep(28, 0), 32 * H),  # a week with Citizenship Day
        (sep(14, 0), sep(21, 0), 40 * H),  # a full week
        (sep(26, 9), sep(27, 18), datetime.timedelta(0)),
        # Nothing backwards.
        (sep(23, 10), sep(23, 10), datetime.timedelta(0)),
        (sep(23, 14), sep(23, 10), datetime.timedelta(0)),
        (sep(25, 8), sep(18, 8), datetime.timedelta(0)),
    ],
)
def test_between(cal, start, end, expected):
    assert cal.between(start, end) == expected


STARTS = [
    sep(23, 7, 30),
    sep(23, 8, 17),
    sep(23, 11, 30),
    sep(23, 12),
    sep(23, 16, 29),
    sep(23, 16, 30),
    sep(23, 22),
    sep(24, 10),
    sep(25, 16, 15),
    sep(26, 11),
    nc(2026, 4, 2, 9, 41, 13),
    nc(2026, 4, 30, 15),
    nc(2026, 12, 24, 14),
    datetime.datetime(2026, 9, 22, 3, 7, tzinfo=UTC),
]
DURATIONS = [
    datetime.timedelta(0),
    datetime.timedelta(seconds=1),
    MIN,
    59 * MIN,
    4 * H,
    4 * H + MIN,
    8 * H,
    8 * H + datetime.timedelta(seconds=1),
    27 * H + 13 * MIN,
    40 * H,
    123 * H + 45 * MIN,
]


def test_between_is_the_inverse_of_add(cal):
    for start in STARTS:
        for duration in DURATIONS:
            end = cal.add(start, duration)
            assert end >= start
            assert cal.between(start, end) == duration, (start, duration)
            if duration:
                # The deadline is the first instant at which the duration is reached.
                assert cal.between(start, end - datetime.timedelta(microseconds=1)) < duration, (start, duration)


def test_add_is_the_inverse_of_between_up_to_closed_time(cal):
    """add(start, between(start, end)) lands on end, or on the last closing before it when end is closed."""
    ends = [start + offset for start in STARTS for offset in (H, 5 * H, 17 * H + 3 * MIN, 3 * 24 * H)]
    for start in STARTS:
        for end in ends:
            if end <= start:
                continue
            reached = cal.add(start, cal.between(start, end))
            assert reached <= end or reached == cal.next_opening(start), (start, end)
            assert cal.between(reached, end) == datetime.timedelta(0), (start, end)
            if cal.is_open(end - datetime.timedelta(microseconds=1)) and cal.between(start, end):
                # Working time was still accruing just before end: nothing left to land earlier on.
                assert reached == end, (start, end)


def test_utc_and_noumea_instants_give_the_same_results(cal):
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    for start in STARTS:
        as_utc = start.astimezone(UTC)
        as_paris = start.astimezone(paris)
        assert cal.is_open(as_utc) is cal.is_open(start) is cal.is_open(as_paris)
        assert cal.next_opening(as_utc) == cal.next_opening(start) == cal.next_opening(as_paris)
        for duration in DURATIONS:
            expected = cal.add(start, duration)
            assert cal.add(as_utc, duration) == expected
            assert cal.add(as_paris, duration) == expected
            assert cal.between(as_utc, expected.astimezone(paris)) == duration
            assert cal.between(as_paris, expected) == duration


# --- Custom calendars ----------------------------------------------------------------------------------------------


def test_monday_to_thursday(cal):
    four_days = parse_calendar(DEFAULT_WORKING_HOURS, "1-4")
    assert not four_days.is_working_day(datetime.date(2026, 9, 18))  # Friday
    assert not four_days.is_open(sep(18, 9))
    assert_same(four_days.add(sep(17, 16), H), sep(21, 8))  # Thursday to Monday
    assert_same(four_days.next_opening(sep(18, 9)), sep(21, 7, 30))
    # Wednesday 23 to Monday 28: Thursday is Citizenship Day and Friday is off.
    assert_same(four_days.add(sep(23, 16), H), sep(28, 8))
    assert four_days.between(sep(14, 0), sep(21, 0)) == 32 * H
    assert cal.between(sep(14, 0), sep(21, 0)) == 40 * H


def test_saturday_morning_shift():
    cal = parse_calendar("07:30-11:30 12:30-16:30", "1-4,6")
    assert_same(cal.add(sep(17, 16), H), sep(19, 8))  # Thursday to Saturday, Friday off
    assert_same(cal.add(sep(19, 16), H), sep(21, 8))  # Saturday to Monday


def test_single_period_and_another_time_zone():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    cal = parse_calendar("09:00-17:00", "1-5", "Europe/Paris")
    assert cal.timezone == paris
    start = datetime.datetime(2026, 9, 23, 16, 0, tzinfo=paris)
    assert_same(cal.add(start, 2 * H), datetime.datetime(2026, 9, 25, 10, 0, tzinfo=paris))
    # 09:00 in Paris (summer time, UTC+2) is 07:00 UTC.
    assert cal.is_open(datetime.datetime(2026, 9, 23, 7, 0, tzinfo=UTC))
    assert not cal.is_open(datetime.datetime(2026, 9, 23, 6, 59, tzinfo=UTC))


def test_daylight_saving_change_is_counted_in_real_time():
    """On the night clocks go back, a period spanning it lasts an hour longer."""
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    cal = parse_calendar("00:00-06:00", "7", "Europe/Paris")
    # Sunday 25 October 2026: 03:00 summer time becomes 02:00 winter time.
    day_start = datetime.datetime(2026, 10, 25, 0, 0, tzinfo=paris)
    assert cal.between(day_start, day_start + 24 * H) == 7 * H
    assert_same(cal.add(day_start, 7 * H), datetime.datetime(2026, 10, 25, 6, 0, tzinfo=paris))


# --- The cache of each day's periods ----------------------------------------------------------------------------


def test_each_days_periods_are_computed_once_and_the_same_as_computed_afresh(cal):
    start = datetime.date(2026, 1, 1)
    days = [start + datetime.timedelta(days=n) for n in range(2 * 366)]
    first = [cal._intervals(day) for day in days]
    assert all(cal._intervals(day) is periods for day, periods in zip(days, first, strict=True))
    assert first == [cal._compute_intervals(day) for day in days]
    assert cal._intervals(datetime.date(2026, 9, 24)) == ()  # Citizenship Day, a Thursday
    assert len(cal._intervals(datetime.date(2026, 9, 23))) == 2


def test_the_cache_stays_bounded(cal):
    start = datetime.date(2000, 1, 1)
    for n in range(calendar._CACHED_DAYS + 10):
        cal._intervals(start + datetime.timedelta(days=n))
    assert len(cal._days) <= calendar._CACHED_DAYS
    # A calendar built from the same settings is the same calendar: the cache takes no part in equality.
    assert cal == parse_calendar(DEFAULT_WORKING_HOURS, DEFAULT_WORKING_DAYS)
