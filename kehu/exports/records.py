"""Exports of the opportunity, order and case lists: the records selected on the list (in bulk,
``kehu.bulk``), with that list's columns in the words of its page.

The records are read through their app's scope again when the file is written, so a record the
requester may no longer see is left out. The columns hold no sensitive field (no contact
details, ID numbers or internal notes: a case's description and resolution stay out), so nothing
needs masking; the export is audited like a customer export.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.exports.models import RecordKind
from kehu.sales.selectors import opportunities_visible_to, orders_visible_to
from kehu.service.selectors import cases_visible_to


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _day(day: date | None) -> str:
    return day.isoformat() if day else ""


def _name(user: Any) -> str:
    return str(user) if user else ""


Cell = Callable[[Any], Any]


@dataclass(frozen=True)
class RecordList:
    """One list's export: its records for a user and its columns (label, cell)."""

    title: str | Promise
    visible: Callable[[User], QuerySet[Any]]
    related: tuple[str, ...]
    columns: tuple[tuple[str | Promise, Cell], ...]

    def records(self, *, user: User, ids: list[int]) -> QuerySet[Any]:
        return self.visible(user).filter(pk__in=ids).select_related(*self.related).order_by("id")

    def header(self) -> list[str]:
        return [str(label) for label, _cell in self.columns]

    def row(self, record: Any) -> list[Any]:
        return [cell(record) for _label, cell in self.columns]


RECORD_LISTS: dict[str, RecordList] = {
    RecordKind.OPPORTUNITIES: RecordList(
        title=_("Opportunities"),
        visible=opportunities_visible_to,
        related=("customer", "stage", "owner", "team"),
        columns=(
            (_("ID"), lambda o: o.pk),
            (_("Name"), lambda o: o.name),
            (_("Customer"), lambda o: o.customer.name),
            (_("Stage"), lambda o: o.stage.label),
            (_("Amount"), lambda o: str(o.amount)),
            (_("Currency"), lambda o: o.currency),
            (_("Probability (%)"), lambda o: o.probability),
            (_("Expected close date"), lambda o: _day(o.expected_close_on)),
            (_("Closed on"), lambda o: _day(o.closed_on)),
            (_("Lost reason"), lambda o: o.lost_reason),
            (_("Competitors"), lambda o: o.competitors),
            (_("Owner"), lambda o: _name(o.owner)),
            (_("Team"), lambda o: o.team.name if o.team else ""),
            (_("Created at"), lambda o: _local(o.created_at)),
        ),
    ),
    RecordKind.ORDERS: RecordList(
        title=_("Orders"),
        visible=orders_visible_to,
        related=("customer", "owner", "team"),
        columns=(
            (_("Order number"), lambda o: o.number),
            (_("Order date"), lambda o: _day(o.ordered_on)),
            (_("Customer"), lambda o: o.customer.name),
            (_("Channel"), lambda o: o.get_channel_display()),
            (_("Status"), lambda o: o.get_status_display()),
            (_("Total"), lambda o: str(o.total_amount)),
            (_("Paid"), lambda o: str(o.paid_amount)),
            (_("Outstanding"), lambda o: str(o.outstanding)),
            (_("Currency"), lambda o: o.currency),
            (_("Owner"), lambda o: _name(o.owner)),
            (_("Team"), lambda o: o.team.name if o.team else ""),
        ),
    ),
    RecordKind.CASES: RecordList(
        title=_("Cases"),
        visible=cases_visible_to,
        related=("customer", "assigned_to"),
        columns=(
            (_("Case"), lambda c: c.number),
            (_("Subject"), lambda c: c.subject),
            (_("Customer"), lambda c: c.customer.name),
            (_("Type"), lambda c: c.get_type_display()),
            (_("Priority"), lambda c: c.get_priority_display()),
            (_("Status"), lambda c: c.get_status_display()),
            (_("Agent"), lambda c: _name(c.assigned_to)),
            (_("Product"), lambda c: c.product_name),
            (_("Opened"), lambda c: _local(c.created_at)),
            (_("Respond by"), lambda c: _local(c.response_due_at)),
            (_("Resolve by"), lambda c: _local(c.resolution_due_at)),
            (_("Resolved at"), lambda c: _local(c.resolved_at)),
            (_("Closed at"), lambda c: _local(c.closed_at)),
        ),
    ),
}
