"""The points ledger: earn, redeem, expire, adjust; reversal and reconciliation."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_manage_loyalty, require
from kehu.core.exceptions import Conflict
from kehu.customers.models import Customer, PersonProfile
from kehu.loyalty.models import (
    EarnRule,
    Level,
    Member,
    PointsEntry,
    Reconciliation,
    Reward,
)
from kehu.loyalty.services.common import (
    MANAGE_REFUSED,
    POINTS_METHOD,
    programme_get,
    require_member_change,
)
from kehu.loyalty.services.members import member_enrol
from kehu.loyalty.services.qualification import member_upgrade_check
from kehu.sales.models import Order, OrderLine, Payment


def _entry(member: Member, points: int, **fields: Any) -> PointsEntry:
    """Write one ledger row and move the balance with it; refuses to overdraw (``Conflict``)."""
    if points < 0:
        moved = Member.objects.filter(pk=member.pk, points_balance__gte=-points).update(
            points_balance=F("points_balance") + points
        )
        if not moved:
            raise Conflict(_("Not enough points."))
    else:
        Member.objects.filter(pk=member.pk).update(points_balance=F("points_balance") + points)
    return PointsEntry.objects.create(
        member=member, customer_id=member.customer_id, points=points, **fields
    )


def _active(rules: list[EarnRule], day: date) -> list[EarnRule]:
    return [
        r
        for r in rules
        if (r.starts_on is None or r.starts_on <= day) and (r.ends_on is None or r.ends_on >= day)
    ]


@dataclass(frozen=True)
class Earning:
    points: int
    campaign: str
    reason: str


def points_for(*, order: Order, amount: Decimal, day: date, birthday_month: bool) -> Earning:
    """Points for ``amount`` paid on ``order``: per yuan, times the order's line-weighted
    product/category multiplier, the best running campaign's and the birthday month's;
    rounded down to a whole point."""
    programme = programme_get()
    rules = _active(list(EarnRule.objects.filter(is_active=True)), day)
    by_product = {r.product_id: r.multiplier for r in rules if r.kind == EarnRule.Kind.PRODUCT}
    by_category = {r.category: r.multiplier for r in rules if r.kind == EarnRule.Kind.CATEGORY}
    campaigns = sorted(
        (r for r in rules if r.kind == EarnRule.Kind.CAMPAIGN), key=lambda r: r.multiplier
    )
    weighted, total = Decimal("0"), Decimal("0")
    for line in OrderLine.objects.filter(order=order).select_related("product"):
        factor = max(
            by_product.get(line.product_id, Decimal("1")),
            by_category.get(line.product.category, Decimal("1")),
        )
        weighted += line.amount * factor
        total += line.amount
    factor = weighted / total if total else Decimal("1")
    campaign = campaigns[-1] if campaigns else None
    if campaign is not None:
        factor *= campaign.multiplier
    if birthday_month:
        factor *= programme.birthday_multiplier
    raw = amount * programme.points_per_yuan * factor
    points = int(raw.to_integral_value(rounding=ROUND_DOWN))
    reason = _("Paid %(amount)s on %(order)s") % {"amount": amount, "order": order.number}
    if birthday_month:
        reason += " · " + _("birthday month")
    return Earning(points=points, campaign=campaign.campaign if campaign else "", reason=reason)


def _birthday_month(customer_id: int, day: date) -> bool:
    born = (
        PersonProfile.objects.filter(customer_id=customer_id)
        .values_list("birth_date", flat=True)
        .first()
    )
    return born is not None and born.month == day.month


def order_payment_recorded(*, payment: Payment, user: User | None) -> PointsEntry | None:
    """Sales hook, called by ``payment_record`` in its transaction: the payment earns points
    (enrolling the customer first when the programme says so), and may upgrade the member.
    A payment made with points earns nothing. Idempotent per payment."""
    if payment.method == POINTS_METHOD or not Level.objects.exists():
        return None
    member = Member.objects.filter(customer_id=payment.customer_id).first()
    if member is None:
        if not programme_get().enrol_on_first_payment:
            return None
        member = member_enrol(
            user=None,
            customer=Customer.objects.get(pk=payment.customer_id),
            via=Member.Via.FIRST_ORDER,
            on=payment.received_on,
        )
    if PointsEntry.objects.filter(payment=payment, kind=PointsEntry.Kind.EARN).exists():
        return None
    earning = points_for(
        order=payment.order,
        amount=payment.amount,
        day=payment.received_on,
        birthday_month=_birthday_month(payment.customer_id, payment.received_on),
    )
    entry = None
    if earning.points > 0:
        entry = _entry(
            member,
            earning.points,
            kind=PointsEntry.Kind.EARN,
            occurred_on=payment.received_on,
            created_by=user,
            reason=earning.reason[:200],
            order_id=payment.order_id,
            payment=payment,
            campaign=earning.campaign,
        )
    member_upgrade_check(member=member, today=max(payment.received_on, timezone.localdate()))
    return entry


def _reverse(entry: PointsEntry, *, user: User | None, reason: str) -> PointsEntry | None:
    """The opposite of ``entry``; an earning is taken back as far as the balance allows
    (points already spent stay spent, and the row says so)."""
    if PointsEntry.objects.filter(reverses=entry).exists():
        return None
    member = Member.objects.select_for_update().get(pk=entry.member_id)
    points = -entry.points
    if points < 0 and member.points_balance < -points:
        reason = _("%(reason)s (only %(left)s of %(points)s points were left)") % {
            "reason": reason,
            "left": member.points_balance,
            "points": -points,
        }
        points = -member.points_balance
    if points == 0:
        return None
    return _entry(
        member,
        points,
        kind=PointsEntry.Kind.REVERSE,
        occurred_on=timezone.localdate(),
        created_by=user,
        reason=reason[:200],
        order_id=entry.order_id,
        reverses=entry,
    )


def order_payment_reversed(*, payment: Payment, user: User | None) -> None:
    """Sales hook, called by ``payment_reverse``: a refunded payment's points are taken back;
    a reversed payment made with points gives its points back."""
    for entry in PointsEntry.objects.filter(payment=payment):
        _reverse(
            entry, user=user, reason=_("Payment reversed on %(order)s") % {"order": payment.order}
        )


def order_cancelled(*, order: Order, user: User | None) -> None:
    """Sales hook, called by ``order_cancel``: whatever the order still holds is reversed."""
    for entry in PointsEntry.objects.filter(
        order=order, kind__in=[PointsEntry.Kind.EARN, PointsEntry.Kind.REDEEM]
    ):
        _reverse(entry, user=user, reason=_("Order %(order)s cancelled") % {"order": order})


@transaction.atomic
def points_redeem(
    *,
    user: User | None,
    member: Member,
    points: int,
    reason: str = "",
    order: Order | None = None,
    reward: Reward | None = None,
) -> PointsEntry:
    """Spend points (for a reward, or towards an order: see ``redemption.order_points_redeem``).
    Never below zero, even when two redemptions race: ``Conflict``."""
    require_member_change(user, member.customer)
    if points <= 0:
        raise ValidationError({"points": [_("Redeem at least 1 point.")]})
    if reward is not None and not reason:
        reason = _("Reward: %(name)s") % {"name": reward.name}
    return _entry(
        member,
        -points,
        kind=PointsEntry.Kind.REDEEM,
        occurred_on=timezone.localdate(),
        created_by=user,
        reason=reason[:200],
        order=order,
        reward=reward,
    )


def redemption_payment_link(*, entry: PointsEntry, payment: Payment) -> None:
    """Tie a redemption to the sales payment it became (so reversing the payment refunds it).
    The one write to a ledger row after its creation: it sets a link, never an amount."""
    PointsEntry.objects.filter(pk=entry.pk, payment__isnull=True).update(payment=payment)


@transaction.atomic
def points_adjust(*, user: User, member: Member, points: int, reason: str) -> PointsEntry:
    """A manual correction, with a reason; never below zero."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the points are adjusted.")]
    if points == 0:
        errors["points"] = [_("Adjust by at least 1 point.")]
    if errors:
        raise ValidationError(errors)
    return _entry(
        member,
        points,
        kind=PointsEntry.Kind.ADJUST,
        occurred_on=timezone.localdate(),
        created_by=user,
        reason=reason[:200],
    )


def points_expire(*, today: date) -> int:
    """Expire points earned in years that have run out (``expiry_years`` after the year of
    earning, at its end). Oldest points are spent first: what is due is what was credited up to
    the end of the last expired year, less every debit so far. Idempotent; returns points."""
    years = programme_get().expiry_years
    if years == 0:
        return 0
    cutoff = date(today.year - years - 1, 12, 31)
    due_rows = (
        Member.objects.filter(points_balance__gt=0)
        .annotate(
            credited=Coalesce(
                Sum(
                    "entries__points",
                    filter=Q(entries__points__gt=0, entries__occurred_on__lte=cutoff),
                ),
                0,
            ),
            debited=Coalesce(Sum("entries__points", filter=Q(entries__points__lt=0)), 0),
        )
        .filter(credited__gt=-F("debited"))
        .values_list("pk", "credited", "debited")
    )
    total = 0
    for pk, credited, debited in due_rows.iterator(chunk_size=2000):
        with transaction.atomic():
            member = Member.objects.select_for_update().get(pk=pk)
            points = min(credited + debited, member.points_balance)
            if points <= 0:
                continue
            _entry(
                member,
                -points,
                kind=PointsEntry.Kind.EXPIRE,
                occurred_on=today,
                reason=_("Points earned until %(day)s expired") % {"day": cutoff.isoformat()},
            )
            total += points
    return total


def ledger_reconcile() -> Reconciliation:
    """Check every balance against the sum of its ledger; mismatches are recorded (not fixed:
    a mismatch is a defect to look into)."""
    members = Member.objects.count()
    wrong = (
        Member.objects.annotate(ledger=Coalesce(Sum("entries__points"), 0))
        .exclude(points_balance=F("ledger"))
        .values("pk", "card_number", "points_balance", "ledger")
    )
    mismatches = [
        {
            "member": r["pk"],
            "card": r["card_number"],
            "balance": r["points_balance"],
            "ledger": r["ledger"],
        }
        for r in wrong[:1000]
    ]
    return Reconciliation.objects.create(members=members, mismatches=mismatches)
