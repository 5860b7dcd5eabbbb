"""Business-hours arithmetic: the SLA clock runs 09:00–18:00 on working days only."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from kehu.service.business_hours import (
    BusinessHours,
    add_business_minutes,
    business_minutes_between,
)

SH = ZoneInfo("Asia/Shanghai")
HOURS = BusinessHours(zone=SH)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)  # 2026-03-02 is a Monday


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        (at(2, 10), 60, at(2, 11)),  # inside the day
        (at(2, 17, 30), 60, at(3, 9, 30)),  # runs over the evening
        (at(2, 7), 30, at(2, 9, 30)),  # opened before hours: counts from 09:00
        (at(2, 20), 30, at(3, 9, 30)),  # opened after hours
        (at(6, 17), 120, at(9, 10)),  # Friday afternoon → Monday morning
        (at(7, 11), 60, at(9, 10)),  # opened on Saturday
        (at(2, 9), 9 * 60, at(2, 18)),  # a whole day ends at closing, not next morning
        (at(2, 9), 5 * 9 * 60, at(6, 18)),  # a whole working week
        (at(2, 10), 0, at(2, 10)),
    ],
)
def test_add_business_minutes(start, minutes, due):
    assert add_business_minutes(HOURS, start, minutes) == due


def test_holidays_stop_and_make_up_days_run_the_clock():
    # Tuesday 3 March a holiday; Saturday 7 March a make-up working day (调休)
    hours = BusinessHours(
        zone=SH, holidays=frozenset({date(2026, 3, 3)}), workdays=frozenset({date(2026, 3, 7)})
    )
    assert add_business_minutes(hours, at(2, 17), 120) == at(4, 10)
    assert add_business_minutes(hours, at(6, 17), 120) == at(7, 10)


def test_custom_hours_and_days():
    six_days = BusinessHours(
        zone=SH,
        weekdays=frozenset({0, 1, 2, 3, 4, 5}),
        start=time(8, 30),
        end=time(12, 0),
    )
    assert add_business_minutes(six_days, at(6, 11), 120) == at(7, 9, 30)


def test_time_given_in_another_zone_counts_in_the_business_zone():
    utc = ZoneInfo("UTC")
    start = datetime(2026, 3, 2, 9, 30, tzinfo=utc)  # 17:30 in Shanghai
    assert add_business_minutes(HOURS, start, 60) == at(3, 9, 30)


def test_business_minutes_between():
    assert business_minutes_between(HOURS, at(2, 10), at(2, 11, 30)) == 90
    assert business_minutes_between(HOURS, at(6, 17), at(9, 10)) == 120
    assert business_minutes_between(HOURS, at(7, 10), at(8, 23)) == 0  # the weekend
    assert business_minutes_between(HOURS, at(3, 10), at(2, 10)) == 0


def test_a_calendar_without_working_days_falls_back_to_wall_clock():
    never = BusinessHours(zone=SH, weekdays=frozenset())
    assert add_business_minutes(never, at(2, 10), 60) == at(2, 11)
