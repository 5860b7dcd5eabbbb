"""The columns an export may hold: a few archive facts (id, kind, owner, team…) and every field
of the registry (``kehu.customers.fields``) plus the active custom fields.

A column turns one customer into the text of one cell, masked like the 360° page unless the
exporting user may reveal the field's group.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.core.access import SensitiveGroup
from kehu.core.phones import format_phone_dialled
from kehu.customers.fields import BUILTIN_FIELDS, FieldSpec, Store, Type
from kehu.customers.models import Customer, CustomField, Email, Phone
from kehu.customers.selectors import channel_labels, custom_field_spec
from kehu.customers.values import mask_text, read_value, to_text


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


KINDS: dict[str, str | Promise] = dict(Customer.Kind.choices)

# Facts of the archive record itself, not fields of the profile.
RECORD_COLUMNS: dict[str, tuple[str | Promise, Callable[[Customer], Any]]] = {
    "id": (_("ID"), lambda c: c.pk),
    "kind": (_("kind"), lambda c: str(KINDS.get(c.kind, c.kind))),
    "status": (_("status"), lambda c: c.get_status_display()),
    "owner": (_("owner"), lambda c: str(c.owner) if c.owner else ""),
    "team": (_("team"), lambda c: c.team.name if c.team else ""),
    "province": (_("province"), lambda c: c.province),
    "city": (_("city"), lambda c: c.city),
    "created_at": (_("created at"), lambda c: _local(c.created_at)),
    "updated_at": (_("updated at"), lambda c: _local(c.updated_at)),
    "reviewed_at": (_("reviewed at"), lambda c: _local(c.reviewed_at)),
}

DEFAULT_COLUMNS = ("id", "name", "kind", "grade", "lifecycle_stage", "owner", "phones", "province")


@dataclass(frozen=True)
class Column:
    code: str
    label: str | Promise
    spec: FieldSpec | None = None  # None: a record column

    @property
    def sensitive(self) -> SensitiveGroup | None:
        return self.spec.sensitive if self.spec else None

    @property
    def needs(self) -> str:
        """The related rows this column reads: "phones", "emails", "tags" or ""."""
        if self.spec is not None and self.spec.store == Store.RELATED:
            return self.spec.code
        return ""


def export_columns() -> dict[str, Column]:
    """Every column an export may hold, by code, in the order the export dialog lists them."""
    columns = {code: Column(code, label) for code, (label, _read) in RECORD_COLUMNS.items()}
    for spec in BUILTIN_FIELDS:
        columns.setdefault(spec.code, Column(spec.code, spec.label, spec))
    for custom in CustomField.objects.filter(is_active=True):
        spec = custom_field_spec(custom)
        columns[spec.code] = Column(spec.code, spec.label, spec)
    return columns


def _grouped(pairs: Any) -> dict[int, list[str]]:
    grouped: dict[int, list[str]] = {}
    for customer_id, value in pairs:
        grouped.setdefault(customer_id, []).append(value)
    return grouped


class RowMaker:
    """Turns customers into rows of cell values for the chosen columns.

    ``revealed`` are the sensitive groups shown in clear; every other sensitive value is masked.
    """

    def __init__(self, columns: list[Column], revealed: frozenset[SensitiveGroup]) -> None:
        self.columns = columns
        self.revealed = revealed
        self.channels = channel_labels()
        self.related: dict[str, dict[int, list[str]]] = {}
        # Per column, computed once: the customer kinds it applies to, and labels by value.
        self.kinds: dict[str, frozenset[str]] = {}
        self.labels: dict[str, dict[str, str]] = {}
        yes_no = {"true": str(_("Yes")), "false": str(_("No"))}
        for column in columns:
            spec = column.spec
            if spec is None:
                continue
            kinds = spec.kinds
            if spec.store == Store.CUSTOM and spec.extra.get("applies_to") in KINDS:
                kinds = frozenset({str(spec.extra["applies_to"])})
            self.kinds[column.code] = kinds
            if spec.type == Type.CHOICE:
                self.labels[spec.code] = {code: str(label) for code, label in spec.choices}
            elif spec.type == Type.BOOLEAN:
                self.labels[spec.code] = yes_no
            elif spec.type == Type.CHANNEL:
                self.labels[spec.code] = self.channels

    def load_related(self, customer_ids: list[int]) -> None:
        """Read the phones, e-mails and tags the columns need for these customers (one query
        each), in the order the 360° page shows them."""
        self.related = {}
        needs = {column.needs for column in self.columns if column.needs}
        if "phones" in needs:
            phones = Phone.objects.filter(customer_id__in=customer_ids, contact__isnull=True)
            self.related["phones"] = _grouped(
                phones.order_by("id").values_list("customer_id", "number")
            )
        if "emails" in needs:
            emails = Email.objects.filter(customer_id__in=customer_ids, contact__isnull=True)
            self.related["emails"] = _grouped(
                emails.order_by("id").values_list("customer_id", "address")
            )
        if "tags" in needs:
            tags = Customer.tags.through.objects.filter(customer_id__in=customer_ids)
            self.related["tags"] = _grouped(
                tags.order_by("tag__name").values_list("customer_id", "tag__name")
            )

    def header(self) -> list[str]:
        return [str(column.label) for column in self.columns]

    def row(self, customer: Customer) -> list[Any]:
        return [self.cell(customer, column) for column in self.columns]

    def cell(self, customer: Customer, column: Column) -> Any:
        spec = column.spec
        if spec is None:
            return RECORD_COLUMNS[column.code][1](customer)
        if customer.kind not in self.kinds[column.code]:
            return ""
        if column.needs:
            values = self.related.get(column.needs, {}).get(customer.pk, [])
            return self.display(spec, to_text(spec, values))
        text = to_text(spec, read_value(customer, spec))
        if spec.sensitive is not None:
            return text if spec.sensitive in self.revealed else mask_text(spec, text)
        return self.display(spec, text)

    def display(self, spec: FieldSpec, text: str) -> str:
        """A stored text value in the words of the 360° page: choice labels, channel names,
        yes / no; phones in the one format of files (``phone_text``)."""
        if not text:
            return ""
        if spec.type in {Type.CHOICE, Type.BOOLEAN, Type.CHANNEL}:
            return self.labels[spec.code].get(text, text)
        if spec.type == Type.PHONES:
            return ", ".join(phone_text(p.strip()) for p in text.split(","))
        return text


_MAINLAND_MOBILE = re.compile(r"\+861\d{10}")


def phone_text(e164: str) -> str:
    """``format_phone_dialled``, with mainland mobiles (most numbers) formatted without
    parsing: +8613800138000 → 138 0013 8000."""
    if _MAINLAND_MOBILE.fullmatch(e164):
        return f"{e164[3:6]} {e164[6:10]} {e164[10:]}"
    return format_phone_dialled(e164)


# Columns written as text cells in XLSX (format "@"), so that a spreadsheet never turns them
# into numbers, not even once someone edits the cell: phones, ID numbers, credit codes.
TEXT_TYPES = frozenset({Type.PHONES, Type.ID_NUMBER, Type.CREDIT_CODE})


def is_text_column(column: Column) -> bool:
    return column.spec is not None and column.spec.type in TEXT_TYPES
