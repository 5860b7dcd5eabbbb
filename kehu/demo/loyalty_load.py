"""Demo membership programme: 普通卡 … 钻石卡 with thresholds set from the demo's own spending
(so every level has members), every customer who paid in the last year enrolled, a year of
ledger history from those payments (earned, some redeemed for rewards, a few adjustments and
the year-end expiry), level history, and care plans for key customers."""

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, Sum
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.loyalty import care
from kehu.loyalty.models import (
    CarePlan,
    EarnRule,
    Festival,
    Level,
    LevelChange,
    Member,
    PointsEntry,
    Programme,
    Reward,
)
from kehu.loyalty.services import POINTS_METHOD, Standing, qualified_level
from kehu.sales.models import Payment

LEVELS = [
    ("normal", "普通卡", "基础积分，生日月双倍积分", 0, False, False, "0"),
    ("silver", "银卡", "积分 9.8 折商品，优先发货", 0, False, False, "2"),
    ("gold", "金卡", "9.5 折，免运费，客服优先", 1, True, False, "5"),
    ("platinum", "白金卡", "9.2 折，免运费，专属客户经理", 1, True, True, "8"),
    ("diamond", "钻石卡", "9 折，免运费，专属客户经理，投诉最先处理", 2, True, True, "10"),
]
# the share of members at or above each level (silver … diamond)
SHARES = [0.5, 0.2, 0.07, 0.02]
REWARDS = [("定制保温杯", 800), ("龙井茶礼盒", 3000), ("年度客户答谢会门票", 10000)]


def _nice(value: Decimal) -> Decimal:
    """Round a threshold to two significant digits (5,000 rather than 4,937.12)."""
    if value <= 0:
        return Decimal("1")
    digits = len(str(int(value))) - 2
    step = Decimal(10) ** max(digits, 0)
    return (value / step).quantize(Decimal("1")) * step


def _programme(spends: list[Decimal]) -> list[Level]:
    Programme.objects.update_or_create(pk=1, defaults={"name": "客户会员计划"})
    ordered = sorted(spends)
    levels = []
    for rank, (code, name, benefits, priority, free, dedicated, discount) in enumerate(LEVELS):
        threshold = Decimal("0")
        if rank and ordered:
            threshold = _nice(ordered[int(len(ordered) * (1 - SHARES[rank - 1]))])
        level, _created = Level.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "rank": rank,
                "min_spend": threshold,
                "benefits": benefits,
                "service_priority": priority,
                "free_delivery": free,
                "dedicated_contact": dedicated,
                "discount_percent": Decimal(discount),
            },
        )
        levels.append(level)
    EarnRule.objects.get_or_create(
        kind=EarnRule.Kind.CATEGORY, category="茶叶", defaults={"multiplier": Decimal("1.5")}
    )
    for name, points in REWARDS:
        Reward.objects.get_or_create(name=name, defaults={"points": points})
    return levels


@transaction.atomic
def demo_loyalty_load(*, seed: int, today: date) -> dict[str, int]:
    """Enrol the customers who paid in the last year and write their ledger; idempotent
    (nothing is done when members exist)."""
    if Member.objects.exists():
        return {"members": 0, "entries": 0, "care_tasks": 0}
    rng = random.Random(f"{seed}-loyalty")  # noqa: S311 (demo data, not secrets)
    since = today - timedelta(days=365)
    payments = Payment.objects.filter(
        received_on__gt=since,
        reversed_at__isnull=True,
        customer__status__in=Customer.LIVE_STATUSES,
    ).exclude(method=POINTS_METHOD)
    spend = dict(
        payments.values_list("customer_id")
        .annotate(s=Sum("amount"))
        .values_list("customer_id", "s")
    )
    first = dict(
        payments.values_list("customer_id")
        .annotate(d=Min("received_on"))
        .values_list("customer_id", "d")
    )
    levels = _programme(list(spend.values()))
    programme = Programme.objects.get(pk=1)
    members = []
    for customer_id in sorted(spend):
        joined = first[customer_id] - timedelta(days=rng.randint(0, 30))
        level = qualified_level(Standing(spend[customer_id], 0, 0), programme, levels)
        members.append(
            Member(
                customer_id=customer_id,
                card_number=f"VIP{customer_id:08d}",
                level=level,
                joined_on=joined,
                level_since=joined,
                via=rng.choice([Member.Via.FIRST_ORDER] * 4 + [Member.Via.IMPORT]),
            )
        )
    Member.objects.bulk_create(members, batch_size=2000)
    by_customer = {m.customer_id: m for m in Member.objects.all()}
    changes, entries = [], []
    for member in by_customer.values():
        changes.append(
            LevelChange(
                member=member,
                to_level=levels[0],
                changed_on=member.joined_on,
                reason=LevelChange.Reason.ENROLLED,
            )
        )
        if member.level_id != levels[0].pk:
            upgraded = member.joined_on + timedelta(days=rng.randint(0, 200))
            changes.append(
                LevelChange(
                    member=member,
                    from_level=levels[0],
                    to_level=member.level,
                    changed_on=min(upgraded, today),
                    reason=LevelChange.Reason.UPGRADE,
                )
            )
    for payment in payments.select_related("order").order_by("received_on", "id").iterator(2000):
        member = by_customer[payment.customer_id]
        points = int(payment.amount)
        if points <= 0:
            continue
        entries.append(
            PointsEntry(
                member=member,
                customer_id=member.customer_id,
                kind=PointsEntry.Kind.EARN,
                points=points,
                occurred_on=payment.received_on,
                reason=f"订单 {payment.order.number} 付款 {payment.amount}",
                order_id=payment.order_id,
                payment=payment,
            )
        )
    balances: dict[int, int] = {}
    for entry in entries:
        balances[entry.member.pk] = balances.get(entry.member.pk, 0) + entry.points
    rewards = list(Reward.objects.order_by("points"))
    extra = []
    for member in by_customer.values():
        balance = balances.get(member.pk, 0)
        for reward in rewards:
            if balance >= reward.points and rng.random() < 0.35:
                extra.append(
                    PointsEntry(
                        member=member,
                        customer_id=member.customer_id,
                        kind=PointsEntry.Kind.REDEEM,
                        points=-reward.points,
                        occurred_on=today - timedelta(days=rng.randint(1, 120)),
                        reason=f"兑换礼品：{reward.name}",
                        reward=reward,
                    )
                )
                balance -= reward.points
        if balance > 200 and rng.random() < 0.03:
            extra.append(
                PointsEntry(
                    member=member,
                    customer_id=member.customer_id,
                    kind=PointsEntry.Kind.ADJUST,
                    points=100,
                    occurred_on=today - timedelta(days=rng.randint(1, 300)),
                    reason="投诉补偿积分",
                )
            )
            balance += 100
        balances[member.pk] = balance
    LevelChange.objects.bulk_create(changes, batch_size=2000)
    PointsEntry.objects.bulk_create(entries + extra, batch_size=2000)
    for member in by_customer.values():
        Member.objects.filter(pk=member.pk).update(points_balance=balances.get(member.pk, 0))
    made = _care_plans(today)
    return {"members": len(members), "entries": len(entries) + len(extra), "care_tasks": made}


def _care_plans(today: date) -> int:
    festivals = {f.code: f for f in Festival.objects.all()}
    levels = {lv.code: lv for lv in Level.objects.all()}
    plans = [
        ("中秋礼盒（重要客户）", "festival", "mid-autumn", "important", "", "gift", 10, "300"),
        ("春节贺卡（重要客户）", "festival", "spring-festival", "important", "", "card", 30, "0"),
        ("元旦贺卡（重要客户）", "festival", "new-year", "important", "", "card", 30, "0"),
        ("国庆问候电话", "festival", "national-day", "important", "", "call", 3, "0"),
        ("元旦问候邮件（金卡）", "festival", "new-year", "", "gold", "email", 5, "0"),
        ("客户生日电话", "birthday", "", "important", "", "call", 7, "0"),
        ("联系人生日贺卡", "contact_birthday", "", "important", "", "card", 7, "0"),
        ("公司成立纪念日问候", "founding", "", "important", "", "call", 7, "0"),
        ("合作周年礼品", "anniversary", "", "important", "", "gift", 7, "200"),
    ]
    for name, occasion, festival, grade, level, action, days, budget in plans:
        CarePlan.objects.get_or_create(
            name=name,
            defaults={
                "occasion": occasion,
                "festival": festivals.get(festival),
                "grade": grade,
                "level": levels.get(level),
                "action": action,
                "days_before": days,
                "gift_budget": Decimal(budget),
            },
        )
    return care.care_tasks_generate(today=today)


def demo_loyalty_report(*, seed: int, write: Callable[[str], object]) -> None:
    found = demo_loyalty_load(seed=seed, today=timezone.localdate())
    per_level = ", ".join(
        f"{level.name} {level.members.count()}" for level in Level.objects.order_by("rank")
    )
    write(
        f"Demo loyalty: {found['members']:,} members ({per_level}), {found['entries']:,} ledger "
        f"rows, {found['care_tasks']:,} care tasks."
    )
