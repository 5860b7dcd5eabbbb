"""Dates, money and durations as people read them, in the page's language.

``{% load kehu_format %}`` then ``{{ case.due_at|when }}`` (``12-02 15:20`` this year,
``2025-12-02 15:20`` another year), ``{{ order.total_amount|money:order.currency }}``
(``¥12,345.00``), ``{{ minutes|duration }}`` (``12 分钟`` / ``12 min``).
"""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

SYMBOLS = {"CNY": "¥", "USD": "US$", "EUR": "€", "HKD": "HK$"}


def _this_year() -> int:
    return timezone.localdate().year


@register.filter
def when(value: datetime | None) -> str:
    """A moment in local time; the year only when it is not this year's."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    pattern = "m-d H:i" if value.year == _this_year() else "Y-m-d H:i"
    return date_format(value, pattern)


@register.filter
def day(value: date | None) -> str:
    """A date; the year only when it is not this year's."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return when(value).split(" ")[0]
    return date_format(value, "m-d" if value.year == _this_year() else "Y-m-d")


@register.filter
def money(value: Decimal | int | str | None, currency: str = "") -> str:
    """``¥12,345.00``: two places, thousands separated, the currency's sign (or its code)."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    text = f"{abs(amount):,.2f}"
    sign = "-" if amount < 0 else ""
    symbol = SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{text} {currency}".rstrip()


@register.filter
def share(value: float | None) -> str:
    """A fraction as a percentage to one place (0.1234 → ``12.3%``); ``—`` when there is none."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def duration(minutes: int | float | timedelta | None) -> str:
    """``12 分钟`` / ``12 min``; ``2 小时 5 分钟`` / ``2 h 5 min``; days beyond a day."""
    if minutes is None:
        return ""
    if isinstance(minutes, timedelta):
        minutes = minutes.total_seconds() / 60
    total = round(abs(minutes))
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(_("%(n)d h") % {"n": hours})
    if mins or not parts:
        parts.append(_("%(n)d min") % {"n": mins})
    return " ".join(parts)


@register.filter
def overdue_by(due: datetime | None, now: datetime | None = None) -> str:
    """“overdue by 3 days” when ``due`` is past (by whole days once a day late), else ''."""
    if due is None:
        return ""
    now = now or timezone.now()
    late = now - due
    if late <= timedelta(0):
        return ""
    if late >= timedelta(days=1):
        return ngettext("overdue by %(n)d day", "overdue by %(n)d days", late.days) % {
            "n": late.days
        }
    return _("overdue by %(d)s") % {"d": duration(late)}
