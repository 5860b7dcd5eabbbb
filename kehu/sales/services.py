# Over 500 lines: waits for issue #16's Conflict and ip_address changes (branch refa); then a
# services/ package (products, orders and payments, opportunities, corrections).
"""Every write in sales: products, orders, payments, opportunities and their stage moves.

Each service checks that the user may change the customer (``PermissionDenied`` otherwise),
validates (``ValidationError`` with field errors) and refuses writes that clash with the
record's state (``Conflict``, HTTP 409).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Membership, User
from kehu.core.access import can_manage_catalogue, require, require_archive_admin
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
    OpportunityLine,
    OpportunityMove,
    Order,
    OrderLine,
    Payment,
    PipelineStage,
    Product,
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


# --- products ---------------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "name",
    "category",
    "unit",
    "list_price",
    "currency",
    "status",
    "structure",
    "product_type",
    "annual_yield",
    "risk_level",
    "description",
)


@transaction.atomic
def product_save(
    *, user: User, code: str, data: dict[str, Any], product: Product | None = None
) -> Product:
    """Create a product (``product`` None) or change one; catalogue managers only."""
    require(
        user, can_manage_catalogue, _("Only archive administrators and admins keep the catalogue.")
    )
    unknown = set(data) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(", ".join(sorted(unknown)))
    changes: dict[str, list[str]] = {}
    if product is None:
        product = Product(code=code)
    else:
        changes = _diff(product, {"code": code, **data})
        product.code = code
    for name, value in data.items():
        setattr(product, name, value)
    product.full_clean()
    product.save()
    if changes:
        _correction(
            kind=SalesCorrection.Kind.PRODUCT,
            user=user,
            reason="",
            changes=changes,
            product=product,
        )
    return product


# --- orders -----------------------------------------------------------------------------------


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
    return order


# --- payments ---------------------------------------------------------------------------------


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


# --- opportunities ----------------------------------------------------------------------------


def _closing(stage: PipelineStage, opportunity: Opportunity) -> None:
    if stage.outcome == PipelineStage.Outcome.OPEN:
        opportunity.closed_on = None
    elif opportunity.closed_on is None:
        opportunity.closed_on = timezone.localdate()


def _lost_reason(stage: PipelineStage, lost_reason: str) -> str:
    """The reason, required when ``stage`` is the lost one (empty for other stages)."""
    lost_reason = lost_reason.strip()
    if stage.outcome != PipelineStage.Outcome.LOST:
        return ""
    if not lost_reason:
        raise ValidationError(
            {"lost_reason": [_("Say why the opportunity was lost: the reason is required.")]}
        )
    return lost_reason


@transaction.atomic
def opportunity_create(
    *,
    user: User,
    customer: Customer,
    name: str,
    amount: Decimal,
    stage: PipelineStage | None = None,
    probability: int | None = None,
    expected_close_on: date | None = None,
    competitors: str = "",
    currency: str = DEFAULT_CURRENCY,
    lost_reason: str = "",
) -> Opportunity:
    """Open an opportunity, in the pipeline's first stage unless told; the user owns it.
    Opened straight into the lost stage, it needs ``lost_reason``."""
    require_customer_change(user, customer, SALES_CHANGE_REFUSED)
    if stage is None:
        stage = PipelineStage.objects.filter(is_active=True).order_by("sort_order", "id").first()
        if stage is None:
            raise Conflict(_("The pipeline has no stages; an administrator must add some."))
    lost_reason = _lost_reason(stage, lost_reason)
    now = timezone.now()
    opportunity = Opportunity(
        customer=customer,
        name=name.strip(),
        amount=money(Decimal(amount)),
        currency=currency,
        stage=stage,
        probability=stage.probability if probability is None else probability,
        expected_close_on=expected_close_on,
        competitors=competitors,
        lost_reason=lost_reason,
        owner=user,
        team_id=_primary_team_id(user),
        stage_changed_at=now,
    )
    _closing(stage, opportunity)
    opportunity.full_clean(exclude=["customer", "stage", "owner", "team"])
    opportunity.save()
    summary.opportunity_counted(
        opportunity, outcome=stage.outcome, closed_on=opportunity.closed_on, sign=1
    )
    OpportunityMove.objects.create(
        opportunity=opportunity, from_stage=None, to_stage=stage, moved_by=user, moved_at=now
    )
    return opportunity


@transaction.atomic
def opportunity_move(
    *,
    user: User,
    opportunity: Opportunity,
    stage: PipelineStage,
    lost_reason: str = "",
) -> Opportunity:
    """Move to ``stage``: the probability becomes the stage's, won and lost close it (today),
    moving back to an open stage reopens it. A move to the same stage changes nothing."""
    require_customer_change(user, opportunity.customer, SALES_CHANGE_REFUSED)
    locked = Opportunity.objects.select_for_update().select_related("stage").get(pk=opportunity.pk)
    if not stage.is_active:
        raise ValidationError({"stage": [_("This stage is no longer in use.")]})
    if locked.stage_id == stage.pk:
        return locked
    if (
        locked.stage.outcome == PipelineStage.Outcome.WON
        and Order.objects.filter(opportunity=locked).exists()
    ):
        raise Conflict(_("This opportunity became an order; it stays won."))
    lost_reason = _lost_reason(stage, lost_reason)
    now = timezone.now()
    OpportunityMove.objects.create(
        opportunity=locked, from_stage=locked.stage, to_stage=stage, moved_by=user, moved_at=now
    )
    summary.opportunity_counted(
        locked, outcome=locked.stage.outcome, closed_on=locked.closed_on, sign=-1
    )
    locked.stage = stage
    locked.probability = stage.probability
    locked.stage_changed_at = now
    if stage.outcome == PipelineStage.Outcome.LOST:
        locked.lost_reason = lost_reason
    _closing(stage, locked)
    locked.save()
    summary.opportunity_counted(locked, outcome=stage.outcome, closed_on=locked.closed_on, sign=1)
    return locked


OPPORTUNITY_FIELDS = frozenset(
    {"name", "amount", "probability", "expected_close_on", "competitors", "lost_reason", "owner"}
)


@transaction.atomic
def opportunity_update(
    *, user: User, opportunity: Opportunity, data: dict[str, Any], reason: str = ""
) -> Opportunity:
    """Change an opportunity's details (not its stage: that is ``opportunity_move``), kept as a
    correction with who, when and ``reason``. A new owner must be someone who may change the
    customer; a closed opportunity's won/lost count moves to them in the sales summary."""
    unknown = set(data) - OPPORTUNITY_FIELDS
    if unknown:
        raise TypeError(", ".join(sorted(unknown)))
    require_customer_change(user, opportunity.customer, SALES_CHANGE_REFUSED)
    locked = Opportunity.objects.select_for_update().select_related("stage").get(pk=opportunity.pk)
    if "amount" in data:
        data["amount"] = money(Decimal(data["amount"]))
    for name in ("name", "competitors", "lost_reason"):
        if isinstance(data.get(name), str):
            data[name] = data[name].strip()
    if locked.stage.outcome == PipelineStage.Outcome.LOST and data.get("lost_reason", "x") == "":
        raise ValidationError({"lost_reason": [_("A lost opportunity keeps its lost reason.")]})
    new_owner = data.get("owner")
    if "owner" in data and (
        new_owner is None or not customer_can_change(user=new_owner, customer=locked.customer)
    ):
        raise ValidationError(
            {"owner": [_("The new owner must be someone who may change this customer.")]}
        )
    changes = _diff(locked, data)
    if not changes:
        return locked
    owner_moves = "owner" in changes
    if owner_moves:
        summary.opportunity_counted(
            locked, outcome=locked.stage.outcome, closed_on=locked.closed_on, sign=-1
        )
        locked.team_id = _primary_team_id(new_owner)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["customer", "stage", "owner", "team"])
    locked.save()
    if owner_moves:
        summary.opportunity_counted(
            locked, outcome=locked.stage.outcome, closed_on=locked.closed_on, sign=1
        )
    _correction(
        kind=SalesCorrection.Kind.OPPORTUNITY,
        user=user,
        reason=reason.strip()[:300],
        changes=changes,
        customer_id=locked.customer_id,
        opportunity=locked,
    )
    opportunity.refresh_from_db()
    return locked


def _products_text(lines: Sequence[OpportunityLine]) -> str:
    return "; ".join(
        f"{line.product.code} × {_text(line.quantity)} @ {_text(money(line.unit_price))}"
        + (f" -{_text(line.discount_percent)}%" if line.discount_percent else "")
        for line in lines
    )


@transaction.atomic
def opportunity_products_set(
    *, user: User, opportunity: Opportunity, lines: Sequence[LineInput], reason: str = ""
) -> list[OpportunityLine]:
    """Set the products an opportunity is about (replacing the ones before; none clears them),
    kept as a correction with who, when and ``reason``. A won opportunity's products become
    the order's lines when the order is taken from it."""
    require_customer_change(user, opportunity.customer, SALES_CHANGE_REFUSED)
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    errors = _line_errors(lines, locked.currency) if lines else []
    if errors:
        raise ValidationError(errors)
    before = list(locked.lines.select_related("product"))
    rows = [
        OpportunityLine(
            opportunity=locked,
            product=line.product,
            quantity=line.quantity,
            unit_price=money(
                Decimal(line.product.list_price if line.unit_price is None else line.unit_price)
            ),
            discount_percent=line.discount_percent,
        )
        for line in lines
    ]
    old_text, new_text = _products_text(before), _products_text(rows)
    if old_text == new_text:
        return before
    locked.lines.all().delete()
    OpportunityLine.objects.bulk_create(rows)
    _correction(
        kind=SalesCorrection.Kind.OPPORTUNITY,
        user=user,
        reason=reason.strip()[:300],
        changes={"products": [old_text, new_text]},
        customer_id=locked.customer_id,
        opportunity=locked,
    )
    return list(locked.lines.select_related("product"))


def opportunity_products_total(opportunity: Opportunity) -> Decimal:
    """The value of the opportunity's products, after discounts."""
    return sum(
        (
            line_amount(
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
            )
            for line in opportunity.lines.all()
        ),
        ZERO,
    )


# --- the pipeline -----------------------------------------------------------------------------

STAGE_FIELDS = ("name", "name_en", "outcome", "probability", "sort_order")


def _check_outcomes() -> None:
    """The pipeline in use needs exactly one won and one lost stage (checked after a change, in
    its transaction, so a refused change writes nothing)."""
    active = PipelineStage.objects.filter(is_active=True)
    for outcome, message in (
        (PipelineStage.Outcome.WON, _("The pipeline needs exactly one won stage.")),
        (PipelineStage.Outcome.LOST, _("The pipeline needs exactly one lost stage.")),
    ):
        if active.filter(outcome=outcome).count() != 1:
            raise ValidationError({"outcome": [message]})


@transaction.atomic
def pipeline_stage_save(
    *, user: User, data: dict[str, Any], stage: PipelineStage | None = None, code: str = ""
) -> PipelineStage:
    """Add a stage (``stage`` None, with ``code``) or change one's names, outcome, default
    probability and place. A stage's outcome cannot change while opportunities are in it (their
    won/lost history and the sales summary count by it)."""
    require_archive_admin(user, PIPELINE_REFUSED)
    unknown = set(data) - set(STAGE_FIELDS)
    if unknown:
        raise TypeError(", ".join(sorted(unknown)))
    if stage is None:
        stage = PipelineStage(code=code)
    else:
        stage = PipelineStage.objects.select_for_update().get(pk=stage.pk)
        outcome = data.get("outcome", stage.outcome)
        if outcome != stage.outcome and Opportunity.objects.filter(stage=stage).exists():
            raise ValidationError(
                {"outcome": [_("Opportunities are in this stage: its outcome cannot change.")]}
            )
    for name, value in data.items():
        setattr(stage, name, value.strip() if isinstance(value, str) else value)
    stage.full_clean()
    stage.save()
    _check_outcomes()
    return stage


@transaction.atomic
def pipeline_stage_delete(
    *, user: User, stage: PipelineStage, move_to: PipelineStage | None = None
) -> bool:
    """Remove an open stage; its opportunities (if any) move to ``move_to``, another open stage
    in use, with the move in their history. Returns True when the stage row was deleted, False
    when it was retired instead (moves in opportunities' history still name it)."""
    require_archive_admin(user, PIPELINE_REFUSED)
    stage = PipelineStage.objects.select_for_update().get(pk=stage.pk)
    if stage.outcome != PipelineStage.Outcome.OPEN:
        raise ValidationError(
            {"stage": [_("The won and lost stages cannot be removed; rename them instead.")]}
        )
    opportunities = Opportunity.objects.select_for_update().filter(stage=stage)
    if opportunities.exists():
        if move_to is None:
            raise ValidationError(
                {"move_to": [_("Opportunities are in this stage: choose where they go.")]}
            )
        if (
            move_to.pk == stage.pk
            or not move_to.is_active
            or move_to.outcome != PipelineStage.Outcome.OPEN
        ):
            raise ValidationError({"move_to": [_("Choose another open stage in use.")]})
        now = timezone.now()
        ids = list(opportunities.values_list("pk", flat=True))
        OpportunityMove.objects.bulk_create(
            OpportunityMove(
                opportunity_id=pk, from_stage=stage, to_stage=move_to, moved_by=user, moved_at=now
            )
            for pk in ids
        )
        Opportunity.objects.filter(pk__in=ids).update(
            stage=move_to, probability=move_to.probability, stage_changed_at=now, updated_at=now
        )
    used = OpportunityMove.objects.filter(Q(from_stage=stage) | Q(to_stage=stage)).exists()
    if used:
        stage.is_active = False
        stage.save(update_fields=["is_active", "updated_at"])
    else:
        stage.delete()
    _check_outcomes()
    return not used
