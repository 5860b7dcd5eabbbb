"""Payments (回款): record, correct and reverse, never delete; receivables stay exact."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.exceptions import Conflict
from kehu.customers.selectors import require_customer_change
from kehu.loyalty import services as loyalty
from kehu.sales import summary
from kehu.sales.models import (
    Order,
    Payment,
    SalesCorrection,
)
from kehu.sales.services.common import (
    SALES_CHANGE_REFUSED,
    _correction,
    _diff,
    _require_reason,
    _text,
    money,
)


@transaction.atomic
def payment_record(
    *,
    user: User,
    order: Order,
    amount: Decimal,
    received_on: date | None = None,
    method: str = Payment.Method.BANK_TRANSFER,
    reference: str = "",
    redemption: bool = False,
) -> Payment:
    """Record money received against ``order``; never more than is outstanding.

    Method "points" only with ``redemption`` (``kehu.loyalty.redemption``, which has taken the
    points off the member's balance first).

    Locks the order row, so two payments recorded at once cannot overpay it together.
    """
    require_customer_change(user, order.customer, SALES_CHANGE_REFUSED)
    locked = Order.objects.select_for_update().get(pk=order.pk)
    errors: dict[str, list[str]] = {}
    amount = money(Decimal(amount))
    if amount <= 0:
        errors["amount"] = [_("The amount must be more than 0.")]
    elif amount > locked.outstanding:
        errors["amount"] = [
            _("At most %(left)s %(currency)s is outstanding on this order.")
            % {"left": locked.outstanding, "currency": locked.currency}
        ]
    if method not in Payment.Method.values or (method == Payment.Method.POINTS) != redemption:
        errors["method"] = [_("Choose a valid method.")]
    today = timezone.localdate()
    received_on = received_on or today
    if received_on > today:
        errors["received_on"] = [_("A payment cannot be received in the future.")]
    elif received_on < locked.ordered_on:
        errors["received_on"] = [_("A payment cannot be received before the order date.")]
    if locked.status == Order.Status.CANCELLED:
        raise Conflict(_("The order is cancelled."))
    if errors:
        raise ValidationError(errors)
    payment = Payment.objects.create(
        order=locked,
        customer_id=locked.customer_id,
        amount=amount,
        currency=locked.currency,
        received_on=received_on,
        method=method,
        reference=reference,
        recorded_by=user,
        owner_id=locked.owner_id,
        team_id=locked.team_id,
    )
    Order.objects.filter(pk=locked.pk).update(
        paid_amount=F("paid_amount") + amount, updated_at=timezone.now()
    )
    summary.payment_counted(payment)
    loyalty.order_payment_recorded(payment=payment, user=user)  # points (docs/loyalty.md)
    order.paid_amount = locked.paid_amount + amount
    return payment


@transaction.atomic
def payment_reverse(*, user: User, payment: Payment, reason: str) -> Payment:
    """Reverse a payment recorded by mistake: it stays on the order, marked reversed with who
    and why, and leaves what was collected (on the day it was received) and what was paid."""
    require_customer_change(user, payment.order.customer, SALES_CHANGE_REFUSED)
    reason = _require_reason(reason)
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.reversed_at is not None:
        raise Conflict(_("This payment was reversed already."))
    locked.reversed_at = timezone.now()
    locked.reversed_by = user
    locked.reversal_reason = reason
    locked.save(update_fields=["reversed_at", "reversed_by", "reversal_reason", "updated_at"])
    Order.objects.filter(pk=order.pk).update(
        paid_amount=F("paid_amount") - locked.amount, updated_at=timezone.now()
    )
    summary.payment_counted(locked, sign=-1)
    loyalty.order_payment_reversed(payment=locked, user=user)  # points back (docs/loyalty.md)
    _correction(
        kind=SalesCorrection.Kind.PAYMENT_REVERSED,
        user=user,
        reason=reason,
        changes={"amount": [_text(locked.amount), "0"]},
        customer_id=order.customer_id,
        order=order,
        payment=locked,
    )
    return locked


@transaction.atomic
def payment_correct(
    *,
    user: User,
    payment: Payment,
    reason: str,
    amount: Decimal,
    received_on: date,
    method: str,
    reference: str = "",
) -> Payment:
    """Correct a payment: the wrong one is reversed (with ``reason``) and the right one recorded
    in its place, linked to it. Returns the new payment."""
    reason = _require_reason(reason)
    wrong = payment_reverse(user=user, payment=payment, reason=reason)
    order = Order.objects.get(pk=payment.order_id)
    right = payment_record(
        user=user,
        order=order,
        amount=amount,
        received_on=received_on,
        method=method,
        reference=reference,
    )
    Payment.objects.filter(pk=wrong.pk).update(corrected_by=right)
    changes = _diff(wrong, {"amount": right.amount, "received_on": received_on, "method": method})
    SalesCorrection.objects.filter(payment=wrong).update(
        kind=SalesCorrection.Kind.PAYMENT_CORRECTED, changes=changes
    )
    return right
