"""Orders with their lines: take, correct before delivery, give to another owner, deliver,
cancel."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Team, User
from kehu.core.dates import business_date_problem
from kehu.core.exceptions import Conflict
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_can_change, require_customer_change
from kehu.loyalty import services as loyalty
from kehu.sales import summary
from kehu.sales.models import (
    DEFAULT_CURRENCY,
    ZERO,
    Currency,
    Opportunity,
    Order,
    OrderLine,
    PipelineStage,
    Product,
    SalesCorrection,
)
from kehu.sales.services.common import (
    MAX_MONEY,
    SALES_CHANGE_REFUSED,
    _correction,
    _diff,
    _primary_team_id,
    _require_reason,
    _text,
    line_amount,
    money,
)


@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: Decimal
    unit_price: Decimal | None = None  # None: the product's list price
    discount_percent: Decimal = ZERO


def _line_errors(lines: Sequence[LineInput], currency: str) -> list[str]:
    errors: list[str] = []
    if not lines:
        errors.append(_("Add at least one line."))
    for number, line in enumerate(lines, start=1):
        where = _("Line %(n)s") % {"n": number}
        if line.product.status != Product.Status.ACTIVE:
            errors.append(f"{where}: " + _("“%(p)s” is not on sale.") % {"p": line.product.name})
        if line.quantity <= 0:
            errors.append(f"{where}: " + _("the quantity must be more than 0."))
        if line.unit_price is not None and line.unit_price < 0:
            errors.append(f"{where}: " + _("the unit price may not be negative."))
        if line.unit_price is None and line.product.currency != currency:
            errors.append(
                f"{where}: "
                + _("the list price is in %(c)s; give a unit price in the order's currency.")
                % {"c": line.product.currency}
            )
        if not ZERO <= line.discount_percent <= 100:
            errors.append(f"{where}: " + _("the discount must be between 0 and 100%."))
    return errors


def _line_rows(lines: Sequence[LineInput]) -> list[OrderLine]:
    rows = []
    for line in lines:
        price = money(
            Decimal(line.product.list_price if line.unit_price is None else line.unit_price)
        )
        amount = line_amount(
            quantity=line.quantity, unit_price=price, discount_percent=line.discount_percent
        )
        rows.append(
            OrderLine(
                product=line.product,
                quantity=line.quantity,
                unit_price=price,
                discount_percent=line.discount_percent,
                amount=amount,
            )
        )
    return rows


def _total(rows: Sequence[OrderLine]) -> Decimal:
    total = sum((row.amount for row in rows), ZERO)
    if total > MAX_MONEY:
        raise ValidationError({"lines": [_("The order's total is too large.")]})
    return total


def _lines_text(rows: Sequence[OrderLine]) -> list[str]:
    return [
        f"{row.product.code} × {_text(row.quantity)} @ {_text(row.unit_price)}"
        + (f" -{_text(row.discount_percent)}%" if row.discount_percent else "")
        + f" = {_text(row.amount)}"
        for row in rows
    ]


@transaction.atomic
def order_create(
    *,
    user: User,
    customer: Customer,
    lines: Sequence[LineInput],
    ordered_on: date | None = None,
    channel: str = Order.Channel.SALES_REP,
    currency: str = DEFAULT_CURRENCY,
    notes: str = "",
    opportunity: Opportunity | None = None,
) -> Order:
    """Take an order for ``customer``; the user becomes its owner. Returns it with its total.

    With ``opportunity`` (won, of the same customer, not converted yet) the order is the one
    the opportunity became.
    """
    require_customer_change(user, customer, SALES_CHANGE_REFUSED)
    errors: dict[str, list[str]] = {}
    if currency not in Currency.values:
        errors["currency"] = [_("Choose one of: %(c)s.") % {"c": ", ".join(Currency.values)}]
    if channel not in Order.Channel.values:
        errors["channel"] = [_("Choose a valid channel.")]
    line_errors = _line_errors(lines, currency)
    if line_errors:
        errors["lines"] = line_errors
    if ordered_on is not None and (problem := business_date_problem(ordered_on)):
        errors["ordered_on"] = [problem]
    if opportunity is not None:
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if opportunity.customer_id != customer.pk:
            errors["opportunity"] = [_("The opportunity is another customer's.")]
    if errors:
        raise ValidationError(errors)
    if opportunity is not None:
        if PipelineStage.objects.get(pk=opportunity.stage_id).outcome != "won":
            raise Conflict(_("Only a won opportunity can become an order."))
        if Order.objects.filter(opportunity=opportunity).exists():
            raise Conflict(_("This opportunity has become an order already."))
    order = Order(
        number="",
        customer=customer,
        ordered_on=ordered_on or timezone.localdate(),
        channel=channel,
        owner=user,
        team_id=_primary_team_id(user),
        currency=currency,
        notes=notes,
        opportunity=opportunity,
        first_for_customer=not Order.objects.filter(customer=customer)
        .exclude(status=Order.Status.CANCELLED)
        .exists(),
    )
    rows = _line_rows(lines)
    order.total_amount = _total(rows)
    order.save()
    order.number = f"SO{order.pk:09d}"
    order.save(update_fields=["number"])
    for row in rows:
        row.order = order
    OrderLine.objects.bulk_create(rows)
    summary.order_counted(order, 1)
    return order


@transaction.atomic
def order_update(
    *,
    user: User,
    order: Order,
    reason: str,
    lines: Sequence[LineInput] | None = None,
    ordered_on: date | None = None,
    channel: str | None = None,
    notes: str | None = None,
) -> Order:
    """Correct an order before delivery: its lines (prices, discounts), date, channel, notes.

    The change is kept with who made it and ``reason``; the daily sales summary moves with it
    (the old order taken back, the corrected one counted). The total may not drop below what
    was paid (reverse a payment first). ``Conflict`` once delivered or cancelled.
    """
    require_customer_change(user, order.customer, SALES_CHANGE_REFUSED)
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status != Order.Status.CONFIRMED:
        raise Conflict(_("Only an order not yet delivered can be corrected."))
    reason = _require_reason(reason)
    errors: dict[str, list[str]] = {}
    if channel is not None and channel not in Order.Channel.values:
        errors["channel"] = [_("Choose a valid channel.")]
    if lines is not None:
        line_errors = _line_errors(lines, locked.currency)
        if line_errors:
            errors["lines"] = line_errors
    if ordered_on is not None:
        first_payment = (
            locked.payments.filter(reversed_at__isnull=True).order_by("received_on").first()
        )
        if first_payment is not None and ordered_on > first_payment.received_on:
            errors["ordered_on"] = [_("A payment was received before this date.")]
    if errors:
        raise ValidationError(errors)
    data: dict[str, Any] = {
        name: value
        for name, value in (("ordered_on", ordered_on), ("channel", channel), ("notes", notes))
        if value is not None
    }
    changes = _diff(locked, data)
    old_rows = list(locked.lines.select_related("product"))
    new_rows = _line_rows(lines) if lines is not None else old_rows
    if lines is not None:
        before, after = _lines_text(old_rows), _lines_text(new_rows)
        if before != after:
            changes["lines"] = ["\n".join(before), "\n".join(after)]
    if not changes:
        return locked
    total = _total(new_rows)
    if total < locked.paid_amount:
        raise ValidationError(
            {
                "lines": [
                    _(
                        "%(paid)s %(currency)s was paid on this order: the total cannot be "
                        "less. Reverse the payment first."
                    )
                    % {"paid": locked.paid_amount, "currency": locked.currency}
                ]
            }
        )
    if total != locked.total_amount:
        changes["total_amount"] = [_text(locked.total_amount), _text(total)]
    summary.order_counted(locked, -1)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.total_amount = total
    locked.save()
    if lines is not None and "lines" in changes:
        locked.lines.all().delete()
        for row in new_rows:
            row.pk = None
            row.order = locked
        OrderLine.objects.bulk_create(new_rows)
    summary.order_counted(locked, 1)
    _correction(
        kind=SalesCorrection.Kind.ORDER,
        user=user,
        reason=reason,
        changes=changes,
        customer_id=locked.customer_id,
        order=locked,
    )
    return locked


@transaction.atomic
def order_assign(*, user: User, order: Order, owner: User | None, reason: str) -> Order:
    """Give the order to ``owner`` (someone who may change its customer; None: nobody), kept
    as a correction with who, when and ``reason``. The order's count and revenue in the sales
    summary move to the new owner and their team; its payments stay credited to whom they were
    credited when received. A cancelled order keeps its owner (``Conflict``)."""
    require_customer_change(user, order.customer, SALES_CHANGE_REFUSED)
    reason = _require_reason(reason)
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status == Order.Status.CANCELLED:
        raise Conflict(_("A cancelled order keeps its owner."))
    if owner is not None and not customer_can_change(user=owner, customer=order.customer):
        raise ValidationError(
            {"owner": [_("The new owner must be someone who may change this customer.")]}
        )
    if locked.owner_id == (owner.pk if owner else None):
        return locked
    team_id = _primary_team_id(owner)
    changes = _diff(locked, {"owner": owner})
    if locked.team_id != team_id:
        team = Team.objects.filter(pk=team_id).first() if team_id else None
        changes.update(_diff(locked, {"team": team}))
    summary.order_counted(locked, -1)
    locked.owner = owner
    locked.team_id = team_id
    locked.save(update_fields=["owner", "team", "updated_at"])
    summary.order_counted(locked, 1)
    _correction(
        kind=SalesCorrection.Kind.ORDER,
        user=user,
        reason=reason,
        changes=changes,
        customer_id=locked.customer_id,
        order=locked,
    )
    return locked


@transaction.atomic
def order_cancel(*, user: User, order: Order) -> Order:
    """Cancel an order that nothing has been paid on yet."""
    require_customer_change(user, order.customer, SALES_CHANGE_REFUSED)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == Order.Status.CANCELLED:
        return order
    if order.paid_amount > 0:
        raise Conflict(_("Payments were recorded on this order; it cannot be cancelled."))
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    summary.order_counted(order, -1)
    loyalty.order_cancelled(order=order, user=user)  # its points back (docs/loyalty.md)
    return order


@transaction.atomic
def order_mark_delivered(*, user: User, order: Order) -> Order:
    """Record that a confirmed order was delivered; a delivered one stays as it is, a
    cancelled one cannot be delivered (``Conflict``). Not a fact of the sales report."""
    require_customer_change(user, order.customer, SALES_CHANGE_REFUSED)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == Order.Status.CANCELLED:
        raise Conflict(_("A cancelled order cannot be marked delivered."))
    if order.status == Order.Status.DELIVERED:
        return order
    order.status = Order.Status.DELIVERED
    order.save(update_fields=["status", "updated_at"])
    # Once committed, the satisfaction survey chosen for delivered orders (kehu.surveys).
    from kehu.surveys.tasks import satisfaction_after_order

    order_id = order.pk
    transaction.on_commit(lambda: satisfaction_after_order(order_id))
    return order
