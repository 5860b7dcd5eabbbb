"""Business-hours arithmetic for SLA clocks: add business minutes to a time, count the business
minutes between two times. Pure functions over a ``BusinessHours`` value; no database."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A calendar with no working day at all would loop for ever; past this many days the clock
# falls back to wall-clock time.
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # 0 is Monday
    start: time = time(9, 0)
    end: time = time(18, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # make-up days on weekends

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day in self.workdays or day.weekday() in self.weekdays

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The day's business hours as aware datetimes."""
        return (
            datetime.combine(day, self.start, tzinfo=self.zone),
            datetime.combine(day, self.end, tzinfo=self.zone),
        )

    def windows_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business-hour windows from ``moment`` on, the first one cut at ``moment``."""
        day = moment.astimezone(self.zone).date()
        for offset in range(MAX_DAYS):
            current = day + timedelta(days=offset)
            if not self.is_working_day(current):
                continue
            start, end = self.window(current)
            if end <= moment:
                continue
            yield max(start, moment), end


def add_business_minutes(hours: BusinessHours, start: datetime, minutes: int) -> datetime:
    """The moment ``minutes`` of business time after ``start``.

    A clock started outside business hours starts at the next opening; a deadline that falls
    exactly at closing stays at closing rather than moving to the next morning.
    """
    left = timedelta(minutes=minutes)
    for window_start, window_end in hours.windows_from(start):
        span = window_end - window_start
        if left <= span:
            return window_start + left
        left -= span
    return start + timedelta(minutes=minutes)


def business_minutes_between(hours: BusinessHours, start: datetime, end: datetime) -> int:
    """Whole business minutes from ``start`` to ``end`` (0 if ``end`` is not later)."""
    if end <= start:
        return 0
    total = timedelta()
    for window_start, window_end in hours.windows_from(start):
        if window_start >= end:
            break
        total += min(window_end, end) - window_start
    return int(total.total_seconds() // 60)
