"""Business-hours calendars: open or not, next opening, counting only open time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lara.cases.business_hours import Calendar, NeverOpen

from .helpers import BERLIN_HOURS, JERUSALEM_HOURS

BERLIN = ZoneInfo("Europe/Berlin")
JERUSALEM = ZoneInfo("Asia/Jerusalem")
berlin = Calendar.from_json(BERLIN_HOURS)
jerusalem = Calendar.from_json(JERUSALEM_HOURS)


def test_open_only_inside_weekly_hours_and_never_on_a_national_holiday() -> None:
    assert berlin.is_open(datetime(2026, 11, 20, 17, 59, tzinfo=BERLIN)) is True  # Friday
    assert berlin.is_open(datetime(2026, 11, 20, 18, 0, tzinfo=BERLIN)) is False
    assert berlin.is_open(datetime(2026, 11, 21, 12, 0, tzinfo=BERLIN)) is False  # Saturday
    assert berlin.is_open(datetime(2026, 12, 25, 12, 0, tzinfo=BERLIN)) is False  # Christmas, a Friday
    assert berlin.is_open(datetime(2026, 12, 24, 12, 0, tzinfo=BERLIN)) is False  # an explicit date


def test_the_same_instant_is_open_in_jerusalem_and_closed_in_berlin() -> None:
    sunday_morning = datetime(2026, 9, 20, 7, 0, tzinfo=UTC)  # 10:00 in Jerusalem, 09:00 in Berlin

    assert jerusalem.is_open(sunday_morning) is True
    assert berlin.is_open(sunday_morning) is False


def test_next_open_skips_the_weekend_and_the_holidays() -> None:
    assert berlin.next_open(datetime(2026, 12, 23, 19, 0, tzinfo=BERLIN)) == datetime(
        2026, 12, 28, 9, 0, tzinfo=BERLIN
    )
    at = datetime(2026, 12, 23, 10, 0, tzinfo=BERLIN)
    assert berlin.next_open(at) == at


def test_business_time_runs_across_a_weekend_and_a_holiday_in_berlin() -> None:
    start = datetime(2026, 12, 23, 17, 0, tzinfo=BERLIN)  # Wednesday before Christmas

    due = berlin.add_business_time(start, timedelta(hours=8))

    assert due == datetime(2026, 12, 28, 16, 0, tzinfo=BERLIN)  # 1 h Wed, then Monday 09–16
    assert berlin.business_time_between(start, due) == timedelta(hours=8)


def test_business_time_runs_across_a_weekend_and_yom_kippur_in_jerusalem() -> None:
    start = datetime(2026, 9, 17, 17, 0, tzinfo=JERUSALEM)  # Thursday; Fri–Sat closed, Mon 21 Yom Kippur

    due = jerusalem.add_business_time(start, timedelta(hours=12))

    assert due == datetime(2026, 9, 22, 11, 0, tzinfo=JERUSALEM)  # 1 h Thu + 9 h Sun + 2 h Tue
    assert jerusalem.business_time_between(start, due) == timedelta(hours=12)


def test_a_daylight_saving_change_does_not_move_the_opening_hour() -> None:
    friday = datetime(2026, 3, 27, 17, 0, tzinfo=BERLIN)  # CET; Sunday the clocks go forward

    due = berlin.add_business_time(friday, timedelta(hours=2))

    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # Monday 10:00 CEST
    assert berlin.business_time_between(friday, due) == timedelta(hours=2)


def test_business_time_between_counts_only_open_time_and_has_a_sign() -> None:
    friday = datetime(2026, 11, 20, 17, 0, tzinfo=BERLIN)
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)

    assert berlin.business_time_between(friday, monday) == timedelta(hours=2)
    assert berlin.business_time_between(monday, friday) == -timedelta(hours=2)
    assert berlin.business_time_between(friday, friday) == timedelta(0)


def test_a_span_past_midnight_belongs_to_the_day_it_starts() -> None:
    nights = Calendar.from_json({"time_zone": "UTC", "weekly": {"fri": [["22:00", "02:00"]]}})

    assert nights.is_open(datetime(2026, 11, 21, 1, 0, tzinfo=UTC)) is True  # Saturday 01:00
    assert nights.is_open(datetime(2026, 11, 21, 2, 0, tzinfo=UTC)) is False
    assert nights.add_business_time(
        datetime(2026, 11, 20, 23, 0, tzinfo=UTC), timedelta(hours=4)
    ) == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)


def test_a_calendar_without_hours_never_opens() -> None:
    closed = Calendar.from_json({"time_zone": "UTC", "weekly": {}})
    at = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

    assert closed.is_open(at) is False
    assert closed.next_open(at) is None
    with pytest.raises(NeverOpen):
        closed.add_business_time(at, timedelta(minutes=1))


def test_always_open_counts_wall_clock_time() -> None:
    at = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)

    assert Calendar.always_open().add_business_time(at, timedelta(hours=50)) == at + timedelta(hours=50)


@pytest.mark.parametrize(
    ("hours", "error"),
    [
        ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
        ({"weekly": {"mon": [["9am", "18:00"]]}}, "HH:MM"),
        ({"weekly": {"monday": [["09:00", "18:00"]]}}, "unknown day"),
        ({"weekly": {"mon": [["09:00", "25:00"]]}}, "not a time of day"),
        ({"holidays": ["24.12.2026"]}, "ISO date"),
        ({"country": "XX"}, "no calendar"),
    ],
)
def test_malformed_hours_are_refused_with_the_reason(hours: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        Calendar.from_json(hours)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        berlin.is_open(datetime(2026, 11, 20, 12, 0))
