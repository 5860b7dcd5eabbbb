"""What the KPI reads share."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

ZERO = Decimal("0.00")
PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class KpiFilters:
    period: str = "month"
    on: date | None = None  # a day inside the period (default today)
    team_id: int | None = None


@dataclass(frozen=True)
class Span:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def span_of(period: str, on: date) -> Span:
    """The month, quarter or year that contains ``on``."""
    if period == "year":
        return Span(date(on.year, 1, 1), date(on.year, 12, 31))
    if period == "quarter":
        first = (on.month - 1) // 3 * 3 + 1
        start = date(on.year, first, 1)
    else:
        first = on.month
        start = on.replace(day=1)
    last = first + (2 if period == "quarter" else 0)
    nxt = date(on.year + 1, 1, 1) if last == 12 else date(on.year, last + 1, 1)
    return Span(start, nxt - timedelta(days=1))


def previous_span(period: str, span: Span) -> Span:
    return span_of(period, span.start - timedelta(days=1))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _rate(part: float | Decimal | int, whole: float | Decimal | int) -> float | None:
    return round(float(part) * 100 / float(whole), 1) if whole else None


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
