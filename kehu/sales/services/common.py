"""What the sales writes share: money, line amounts, corrections, the owner's team."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Membership, User
from kehu.sales.models import (
    SalesCorrection,
)

SALES_CHANGE_REFUSED = gettext_lazy("You may not change this customer's sales records.")
PIPELINE_REFUSED = gettext_lazy("Only archive administrators and admins keep the pipeline.")

CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")


def money(value: Decimal) -> Decimal:
    """Round to the fen (0.01), half up, as invoices do."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(*, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """quantity × unit price × (1 − discount %), rounded once at the end."""
    return money(quantity * unit_price * (Decimal(100) - discount_percent) / Decimal(100))


def _primary_team_id(user: User | None) -> int | None:
    if user is None:
        return None
    return (
        Membership.objects.filter(user=user)
        .order_by("id")
        .values_list("team_id", flat=True)
        .first()
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _diff(record: Any, data: dict[str, Any]) -> dict[str, list[str]]:
    """Field → [before, after] as text, for the fields of ``data`` whose value changes."""
    changes = {}
    for name, value in data.items():
        before, after = _text(getattr(record, name)), _text(value)
        if before != after:
            changes[name] = [before, after]
    return changes


def _correction(
    *, kind: str, user: User, reason: str, changes: dict[str, Any], **refs: Any
) -> SalesCorrection:
    return SalesCorrection.objects.create(
        kind=kind,
        changes=changes,
        reason=reason,
        changed_by=user,
        changed_at=timezone.now(),
        **refs,
    )


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why: the reason is kept with the change.")]})
    if len(reason) > 300:
        raise ValidationError({"reason": [_("At most 300 characters.")]})
    return reason
