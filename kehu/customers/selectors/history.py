"""The change history (provenance) of a customer."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.access import (
    can_reveal,
)
from kehu.customers.fields import (
    FieldSpec,
)
from kehu.customers.models import (
    ChangeEntry,
    Customer,
    CustomerChange,
)
from kehu.customers.selectors.fields import field_label, field_specs_for
from kehu.customers.selectors.profile import _display_text, channel_labels
from kehu.customers.values import mask_text


@dataclass
class ChangeView:
    change: CustomerChange
    field: str  # of the entry (a creation row shows one view per initial value)
    label: str
    old: str
    new: str
    masked: bool
    can_reveal: bool


def customer_history(
    *,
    user: User,
    customer: Customer,
    field: str = "",
    channel: str = "",
    until: date | None = None,
) -> list[ChangeView]:
    """The customer's changes, newest first; sensitive values masked as on the live field."""
    specs = field_specs_for(customer.kind)
    rows = CustomerChange.objects.filter(customer=customer).select_related("channel", "changed_by")
    if field:
        rows = rows.filter(field__in=[field, CustomerChange.CREATED])
    if channel:
        rows = rows.filter(channel__code=channel)
    if until is not None:
        rows = rows.filter(changed_at__lte=timezone.make_aware(datetime.combine(until, time.max)))
    channels = channel_labels()
    views = []
    for change in rows.order_by("-changed_at", "-id"):
        for entry in change.entries():
            if not field or entry.field == field:
                views.append(_change_view(user, change, entry, specs, channels))
    return views


def _change_view(
    user: User,
    change: CustomerChange,
    entry: ChangeEntry,
    specs: dict[str, FieldSpec],
    channels: dict[str, str],
) -> ChangeView:
    spec = specs.get(entry.field)
    old, new = entry.text("old"), entry.text("new")
    if entry.sensitive and spec is not None:
        old, new = mask_text(spec, old), mask_text(spec, new)
    elif entry.sensitive:
        # A sensitive field no longer in the registry (a deactivated custom field): still
        # never shown in clear.
        old, new = ("****" if old else ""), ("****" if new else "")
    elif spec is not None:
        old, new = _display_text(spec, old, channels), _display_text(spec, new, channels)
    return ChangeView(
        change=change,
        field=entry.field,
        label=field_label(entry.field, specs),
        old=old,
        new=new,
        masked=entry.sensitive,
        can_reveal=bool(spec and spec.sensitive and can_reveal(user, spec.sensitive)),
    )
