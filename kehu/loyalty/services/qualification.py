"""Qualification: upgrades on payment, downgrades at the yearly review."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.exceptions import Conflict
from kehu.loyalty.models import (
    Level,
    LevelChange,
    Member,
    PointsEntry,
    Programme,
)
from kehu.loyalty.services.common import POINTS_METHOD, YEAR, programme_get
from kehu.sales.models import Order, Payment


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


def meets_level(level: Level, s: Standing, qualify_by: str) -> bool:
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
        if meets_level(level, s, programme.qualify_by):
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
