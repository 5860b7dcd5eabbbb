"""Every write of the membership programme: its settings, members and the points ledger.

The ledger (``PointsEntry``) is append-only; ``Member.points_balance`` is its sum, changed only
here, in the same transaction as the row, by a relative ``UPDATE`` — a redemption's ``UPDATE``
carries the condition ``points_balance >= points``, so two redemptions at once can never
overdraw (PostgreSQL re-checks the condition on the locked row; SQLite runs writes one at a
time under ``BEGIN IMMEDIATE``), and a check constraint refuses a negative balance anyway.

Sales calls three hooks here, explicitly and inside its own transaction (see docs/loyalty.md):
``order_payment_recorded``, ``order_payment_reversed`` and ``order_cancelled``. This module
reads ``kehu.sales.models`` but never imports ``kehu.sales.services``, so there is no cycle.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from uuid import uuid4

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_manage_loyalty, require
from kehu.core.audit import setting_changed
from kehu.core.exceptions import Conflict
from kehu.customers.models import Customer, PersonProfile
from kehu.customers.selectors import customer_can_change
from kehu.loyalty.models import (
    EarnRule,
    Level,
    LevelChange,
    Member,
    PointsEntry,
    Programme,
    Reconciliation,
    Reward,
)
from kehu.sales.models import Order, OrderLine, Payment

# A sales payment of this method is an order paid with points (积分抵现): it earns nothing.
POINTS_METHOD = "points"
YEAR = timedelta(days=365)
MANAGE_REFUSED = _("Only marketers and administrators may change the membership programme.")


def programme_get() -> Programme:
    programme, _created = Programme.objects.get_or_create(pk=1)
    return programme


def require_member_change(user: User | None, customer: Customer) -> None:
    """Enrolling, redeeming: whoever may change the customer, or who runs the programme."""
    if user is None or can_manage_loyalty(user):
        return
    require(
        user,
        lambda u: customer_can_change(user=u, customer=customer),
        _("You may not change this customer's membership."),
    )


# --- settings ---------------------------------------------------------------------------------


PROGRAMME_FIELDS = (
    "name",
    "card_prefix",
    "qualify_by",
    "review_month",
    "review_day",
    "grace_days",
    "points_per_yuan",
    "birthday_multiplier",
    "point_value",
    "max_redeem_percent",
    "expiry_years",
    "enrol_on_first_payment",
)
LEVEL_FIELDS = (
    "code",
    "name",
    "rank",
    "min_spend",
    "min_orders",
    "min_points",
    "discount_percent",
    "service_priority",
    "free_delivery",
    "dedicated_contact",
    "benefits",
)


def _apply(record: Any, data: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    changed = [name for name, value in data.items() if getattr(record, name) != value]
    for name in changed:
        setattr(record, name, data[name])
    record.full_clean()
    return changed


@transaction.atomic
def programme_update(*, user: User, data: dict[str, Any]) -> Programme:
    """Change the programme's rules; audited (which fields, not the values)."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    programme = Programme.objects.select_for_update().get(pk=programme_get().pk)
    changed = _apply(programme, data, PROGRAMME_FIELDS)
    if changed:
        programme.save()
        setting_changed(actor=user, what=programme, changed=changed)
    return programme


@transaction.atomic
def level_save(*, user: User, data: dict[str, Any], level: Level | None = None) -> Level:
    """Create or change a level; audited."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    level = level or Level()
    changed = _apply(level, data, LEVEL_FIELDS)
    level.save()
    setting_changed(actor=user, what=level, changed=changed)
    return level


@transaction.atomic
def earn_rule_save(*, user: User, data: dict[str, Any], rule: EarnRule | None = None) -> EarnRule:
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    rule = rule or EarnRule()
    fields = ("kind", "product", "category", "campaign", "multiplier", "starts_on", "ends_on")
    changed = _apply(rule, data, (*fields, "is_active"))
    rule.save()
    setting_changed(actor=user, what=rule, changed=changed)
    return rule


@transaction.atomic
def reward_save(*, user: User, data: dict[str, Any], reward: Reward | None = None) -> Reward:
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    reward = reward or Reward()
    changed = _apply(reward, data, ("name", "points", "is_active"))
    reward.save()
    setting_changed(actor=user, what=reward, changed=changed)
    return reward


# --- qualification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """What a member did in the 12 months up to a day: what levels are earned with."""

    spend: Decimal
    orders: int
    points: int


def standing(*, customer_id: int, today: date) -> Standing:
    """Spending (payments, not reversed, not paid with points), orders (not cancelled) and
    points earned in the 12 months ending ``today``."""
    since = today - YEAR
    spend = Payment.objects.filter(
        customer_id=customer_id,
        received_on__gt=since,
        received_on__lte=today,
        reversed_at__isnull=True,
    ).exclude(method=POINTS_METHOD).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    orders = (
        Order.objects.filter(customer_id=customer_id, ordered_on__gt=since, ordered_on__lte=today)
        .exclude(status=Order.Status.CANCELLED)
        .count()
    )
    points = PointsEntry.objects.filter(
        Q(kind=PointsEntry.Kind.EARN) | Q(kind=PointsEntry.Kind.REVERSE, points__lt=0),
        customer_id=customer_id,
        occurred_on__gt=since,
        occurred_on__lte=today,
    ).aggregate(s=Sum("points"))["s"]
    return Standing(spend=spend, orders=orders, points=max(points or 0, 0))


def _meets(level: Level, s: Standing, qualify_by: str) -> bool:
    spend, orders = s.spend >= level.min_spend, s.orders >= level.min_orders
    rules: dict[str, bool] = {
        Programme.QualifyBy.SPEND: spend,
        Programme.QualifyBy.ORDERS: orders,
        Programme.QualifyBy.SPEND_OR_ORDERS: spend or orders,
        Programme.QualifyBy.SPEND_AND_ORDERS: spend and orders,
        Programme.QualifyBy.POINTS: s.points >= level.min_points,
    }
    return rules[qualify_by]


def qualified_level(s: Standing, programme: Programme, levels: list[Level]) -> Level:
    """The highest level ``s`` earns; the lowest level always."""
    earned = levels[0]
    for level in levels[1:]:
        if _meets(level, s, programme.qualify_by):
            earned = level
    return earned


def _levels() -> list[Level]:
    levels = list(Level.objects.order_by("rank"))
    if not levels:
        raise Conflict(_("The membership programme has no levels yet."))
    return levels


def _level_move(
    member: Member, to: Level, *, on: date, reason: str, user: User | None = None
) -> None:
    LevelChange.objects.create(
        member=member,
        from_level_id=member.level_id,
        to_level=to,
        changed_on=on,
        reason=reason,
        changed_by=user if user is not None and user.is_authenticated else None,
    )
    member.level = to
    member.level_since = on
    member.save(update_fields=["level", "level_since", "updated_at"])


def member_upgrade_check(*, member: Member, today: date) -> Member:
    """Upgrade at once when the member's last 12 months earn a higher level (never down)."""
    levels = _levels()
    earned = qualified_level(
        standing(customer_id=member.customer_id, today=today), programme_get(), levels
    )
    current = next(lv for lv in levels if lv.pk == member.level_id)
    if earned.rank > current.rank:
        _level_move(member, earned, on=today, reason=LevelChange.Reason.UPGRADE)
    return member


@transaction.atomic
def levels_review(*, today: date, force: bool = False) -> dict[str, int]:
    """The yearly review: on the programme's review date (or with ``force``), members whose
    last 12 months earn a lower level move down to it, except those who reached their level
    within the grace period. Returns counts. Idempotent on the day."""
    programme = programme_get()
    if not force and (today.month, today.day) != (programme.review_month, programme.review_day):
        return {"reviewed": 0, "downgraded": 0, "kept": 0}
    levels = _levels()
    by_pk = {lv.pk: lv for lv in levels}
    grace_from = today - timedelta(days=programme.grace_days)
    counts = {"reviewed": 0, "downgraded": 0, "kept": 0}
    for member in Member.objects.filter(level__rank__gt=levels[0].rank).iterator(chunk_size=2000):
        counts["reviewed"] += 1
        earned = qualified_level(
            standing(customer_id=member.customer_id, today=today), programme, levels
        )
        if earned.rank >= by_pk[member.level_id].rank:
            continue
        if member.level_since > grace_from:
            counts["kept"] += 1
            continue
        _level_move(member, earned, on=today, reason=LevelChange.Reason.DOWNGRADE)
        counts["downgraded"] += 1
    return counts


# --- members ----------------------------------------------------------------------------------


@transaction.atomic
def member_enrol(
    *,
    user: User | None,
    customer: Customer,
    via: str = Member.Via.MANUAL,
    on: date | None = None,
) -> Member:
    """Make ``customer`` a member at the lowest level (or at the level their last 12 months
    earn). A member already is returned as is."""
    require_member_change(user, customer)
    existing = Member.objects.filter(customer=customer).first()
    if existing is not None:
        return existing
    on = on or timezone.localdate()
    levels = _levels()
    programme = programme_get()
    level = qualified_level(standing(customer_id=customer.pk, today=on), programme, levels)
    member = Member(
        customer=customer,
        card_number=f"tmp{uuid4().hex[:16]}",
        level=level,
        joined_on=on,
        level_since=on,
        via=via,
    )
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:  # enrolled at the same moment by someone else
        return Member.objects.get(customer=customer)
    member.card_number = f"{programme.card_prefix}{member.pk:08d}"
    member.save(update_fields=["card_number"])
    LevelChange.objects.create(
        member=member,
        to_level=level,
        changed_on=on,
        reason=LevelChange.Reason.ENROLLED,
        changed_by=user,
    )
    return member


@dataclass(frozen=True)
class ImportRow:
    customer_id: int
    level_code: str = ""
    joined_on: date | None = None


def members_import(*, user: User, rows: list[ImportRow]) -> dict[str, int]:
    """Enrol customers from a list (e.g. the card holders of an old system), each at the level
    named (else what their last 12 months earn), ``via`` import. Customers already members are
    left as they are; unknown customers or levels are counted, not raised. One transaction per
    row, so a bad row does not undo the others."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    levels = {lv.code: lv for lv in _levels()}
    counts = {"enrolled": 0, "already": 0, "unknown": 0}
    for row in rows:
        customer = Customer.objects.live().filter(pk=row.customer_id).first()
        if customer is None or (row.level_code and row.level_code not in levels):
            counts["unknown"] += 1
            continue
        if Member.objects.filter(customer=customer).exists():
            counts["already"] += 1
            continue
        with transaction.atomic():
            member = member_enrol(
                user=user, customer=customer, via=Member.Via.IMPORT, on=row.joined_on
            )
            level = levels.get(row.level_code)
            if level is not None and level.pk != member.level_id:
                _level_move(
                    member, level, on=member.joined_on, reason=LevelChange.Reason.MANUAL, user=user
                )
        counts["enrolled"] += 1
    return counts


@transaction.atomic
def member_level_set(*, user: User, member: Member, level: Level) -> Member:
    """Put a member on a level by hand (a manager's decision); recorded in the history."""
    require(user, can_manage_loyalty, MANAGE_REFUSED)
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.level_id != level.pk:
        _level_move(
            member, level, on=timezone.localdate(), reason=LevelChange.Reason.MANUAL, user=user
        )
    return member


# --- the ledger -------------------------------------------------------------------------------


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


# --- service levels by tier -------------------------------------------------------------------

PRIORITY_STEPS = ["low", "normal", "high", "urgent"]


def case_priority_for(*, customer_id: int, priority: str) -> str:
    """The priority a new service case of the customer gets: raised by the member level's
    ``service_priority`` steps (a 钻石卡 complaint is answered first), never lowered. Called
    by ``kehu.service.services.case_open``; its SLA deadlines and queue place follow."""
    steps = (
        Member.objects.filter(customer_id=customer_id)
        .values_list("level__service_priority", flat=True)
        .first()
    )
    if not steps or priority not in PRIORITY_STEPS:
        return priority
    return PRIORITY_STEPS[min(PRIORITY_STEPS.index(priority) + steps, len(PRIORITY_STEPS) - 1)]
