"""Answer when a channel's team is at work: open or not, next opening, business time.

SLA clocks and the out-of-hours acknowledgement both count only the time a
team is working. Keeping that arithmetic in one pure module over a frozen
``Calendar`` (no ORM, explicit aware datetimes in and out) lets tests pin
weekends, national holidays and daylight-saving changes to fixed dates.

All arithmetic is done in UTC: Python subtracts two datetimes that share a
``ZoneInfo`` by wall clock, which is an hour off across a DST change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: A calendar with no open hour within this many days counts as never open.
HORIZON_DAYS = 400

#: Overlapping spans merge up to this length (guards a pathological week that never closes).
MAX_SPAN = timedelta(days=7)

Span = tuple[datetime, datetime]


class NeverOpen(ValueError):
    """The calendar has no open hours to count in."""


def _minutes(text: str) -> int:
    try:
        hours, minutes = (int(part) for part in str(text).split(":"))
    except ValueError as exc:
        raise ValueError(f"a time must look like HH:MM, not {text!r}") from exc
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or hours * 60 + minutes > 1440:
        raise ValueError(f"{text!r} is not a time of day")
    return hours * 60 + minutes


def _parse_date(item: Any) -> date:
    raw = item.get("date") if isinstance(item, Mapping) else item
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise ValueError(f"a holiday must be an ISO date like 2026-12-24, not {raw!r}") from exc


@lru_cache(maxsize=64)
def _national(country: str, subdiv: str) -> Any:
    """Load a national calendar once; it expands to new years as they are asked for."""
    try:
        return holidays_lib.country_holidays(country, subdiv=subdiv or None)
    except NotImplementedError as exc:
        raise ValueError(f"the holidays library has no calendar for {country!r} {subdiv!r}") from exc


@dataclass(frozen=True)
class Calendar:
    """Weekly open hours in one time zone, minus national and explicit holidays.

    ``weekly`` maps a day (``mon`` … ``sun``) to (start, end) minutes after
    local midnight; an end at or before the start runs past midnight.
    """

    time_zone: str = "UTC"
    weekly: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    country: str = ""
    subdiv: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Calendar:
        """Read ``Channel.business_hours``; raise ValueError on anything malformed."""
        data = data or {}
        time_zone = str(data.get("time_zone") or "UTC")
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {time_zone!r}") from exc
        weekly: dict[str, tuple[tuple[int, int], ...]] = {}
        for day, spans in (data.get("weekly") or {}).items():
            if day not in DAYS:
                raise ValueError(f"unknown day {day!r}; use {', '.join(DAYS)}")
            weekly[day] = tuple(sorted((_minutes(s), _minutes(e)) for s, e in spans))
        country = str(data.get("country") or "").upper()
        subdiv = str(data.get("subdiv") or "")
        if country:
            _national(country, subdiv)
        return cls(
            time_zone=time_zone,
            weekly=weekly,
            holidays=frozenset(_parse_date(d) for d in data.get("holidays") or []),
            country=country,
            subdiv=subdiv,
        )

    @classmethod
    def always_open(cls) -> Calendar:
        """Count wall-clock time (the fallback when a channel's hours are unusable)."""
        return cls(weekly={day: ((0, 1440),) for day in DAYS})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_holiday(self, day: date) -> bool:
        if day in self.holidays:
            return True
        return bool(self.country) and day in _national(self.country, self.subdiv)

    def local(self, at: datetime) -> datetime:
        """Show an aware datetime in the calendar's time zone."""
        return _aware(at).astimezone(self.tz)

    def _day_spans(self, day: date) -> list[Span]:
        if self.is_holiday(day):
            return []
        midnight = datetime.combine(day, time.min, tzinfo=self.tz)
        spans = []
        for start, end in self.weekly.get(DAYS[day.weekday()], ()):
            if end <= start:
                end += 1440
            # Wall-clock arithmetic on the local datetime, then UTC: 09:00 stays 09:00 across DST.
            spans.append(
                (
                    _wall(midnight + timedelta(minutes=start)),
                    _wall(midnight + timedelta(minutes=end)),
                )
            )
        return spans

    def spans(self, since: datetime) -> Iterator[Span]:
        """Yield the open spans (UTC) that end after ``since``, in order, never overlapping.

        Overlapping spans (an overnight shift running into the next morning's)
        are merged so no minute counts twice; spans that merely touch are not,
        so an always-open calendar still yields one day at a time.
        """
        since = _aware(since).astimezone(UTC)
        day = self.local(since).date() - timedelta(days=1)  # an overnight span of the day before
        current: Span | None = None
        idle = 0
        while idle <= HORIZON_DAYS:
            found = self._day_spans(day)
            idle = 0 if found else idle + 1
            for start, end in found:
                if end <= since:
                    continue
                if current is not None and start < current[1]:
                    if current[1] - current[0] < MAX_SPAN:
                        current = (current[0], max(current[1], end))
                        continue
                    start = current[1]  # cut a never-ending overlap chain; still count once
                if current is not None:
                    yield current
                current = (start, end)
            day += timedelta(days=1)
        if current is not None:
            yield current

    def is_open(self, at: datetime) -> bool:
        at = _aware(at).astimezone(UTC)
        for start, end in self.spans(at):
            return start <= at < end
        return False

    def next_open(self, at: datetime) -> datetime | None:
        """Return ``at`` when open, else the next opening (UTC); None if it never opens."""
        at = _aware(at).astimezone(UTC)
        for start, _end in self.spans(at):
            return max(start, at)
        return None

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """Return the moment ``duration`` of open time after ``start`` has passed (UTC)."""
        start = _aware(start).astimezone(UTC)
        remaining = duration
        if remaining <= timedelta(0):
            return start
        for span_start, span_end in self.spans(start):
            begin = max(span_start, start)
            available = span_end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise NeverOpen(f"the calendar in {self.time_zone} has no open hours")

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Count the open time from ``a`` to ``b`` (negative when ``b`` comes first)."""
        a, b = _aware(a).astimezone(UTC), _aware(b).astimezone(UTC)
        if b < a:
            return -self.business_time_between(b, a)
        total = timedelta(0)
        for start, end in self.spans(a):
            if start >= b:
                break
            total += min(end, b) - max(start, a)
        return total


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("business hours need an aware datetime (with a time zone)")
    return at


def _wall(local: datetime) -> datetime:
    """Resolve a local wall-clock time to UTC (a time skipped by DST moves forward)."""
    return local.astimezone(UTC)
