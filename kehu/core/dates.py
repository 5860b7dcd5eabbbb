"""The range of dates a business record (an order, a contact) can sensibly carry."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

EARLIEST = date(1900, 1, 1)
YEARS_AHEAD = 5


def business_date_problem(value: date) -> str | None:
    """A message when ``value`` lies before 1900 or more than five years ahead, else None."""
    today = timezone.localdate()
    latest = today.replace(year=today.year + YEARS_AHEAD, day=min(today.day, 28))
    if value < EARLIEST:
        return _("Enter a date from 1900 on.")
    if value > latest:
        return _("Enter a date at most %(n)s years from today.") % {"n": YEARS_AHEAD}
    return None
