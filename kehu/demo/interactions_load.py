"""Demo contact history for the sales reps: calls, visits and messages over the past three
weeks, with follow-ups spread from a few days overdue to two weeks ahead, so "my work", the
calendar and the home pages show a believable day. Deterministic for a seed and a day."""

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.interactions.models import Interaction
from kehu.interactions.services import reminders_compute

# How many of each rep's customers had contact lately.
CUSTOMERS_PER_REP = 40
PAST_DAYS = 21

TYPES = [
    (Interaction.Type.PHONE_CALL, 55),
    (Interaction.Type.VISIT, 25),
    (Interaction.Type.IM, 12),
    (Interaction.Type.EMAIL, 8),
]
SUMMARIES = {
    Interaction.Type.PHONE_CALL: [
        "电话沟通新一季度采购计划，客户表示下周内部讨论后回复。",
        "回访上次发货情况，客户对交期满意，提到包装需要加强。",
        "客户来电询问批量折扣，已说明阶梯价格。",
        "确认合同条款细节，客户法务还在审核。",
    ],
    Interaction.Type.VISIT: [
        "上门拜访采购负责人，介绍新品并留下样品。",
        "拜访客户工厂，了解产线扩建计划，预计明年一季度有新需求。",
        "与客户总经理面谈，讨论年度框架协议。",
    ],
    Interaction.Type.IM: [
        "微信发送最新报价单，客户已读，约定周五前反馈。",
        "微信沟通样品测试结果，整体满意。",
    ],
    Interaction.Type.EMAIL: [
        "邮件发送产品目录和资质文件。",
        "邮件确认付款计划和开票信息。",
    ],
}
FOLLOW_UPS = [
    "回电确认采购数量",
    "寄送样品并跟进测试结果",
    "发送正式报价",
    "约下次上门拜访时间",
    "确认合同签署进度",
    "提醒客户安排付款",
]


def _at(day: date, rng: random.Random) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(rng.randint(9, 17), rng.choice([0, 30]))))


@transaction.atomic
def demo_interactions_load(*, reps: list[str], seed: int, today: date) -> int:
    """Recent interactions of each rep with some of their customers; returns how many."""
    rng = random.Random(f"{seed}-interactions")  # noqa: S311 (demo data, not secrets)
    types = [t for t, _w in TYPES]
    weights = [w for _t, w in TYPES]
    rows: list[Interaction] = []
    for user in User.objects.filter(username__in=reps).order_by("username"):
        customers = list(
            Customer.objects.filter(owner=user, status=Customer.Status.ACTIVE)
            .order_by("id")
            .values_list("pk", flat=True)[: CUSTOMERS_PER_REP * 3]
        )
        for customer_id in rng.sample(customers, min(CUSTOMERS_PER_REP, len(customers))):
            for n in range(rng.choice([1, 1, 2, 3])):
                kind = rng.choices(types, weights)[0]
                day = today - timedelta(days=rng.randint(1 if n else 0, PAST_DAYS))
                occurred = min(_at(day, rng), timezone.now())
                follow_up = None
                if n == 0 and rng.random() < 0.5:
                    follow_up = today + timedelta(days=rng.randint(-4, 14))
                rows.append(
                    Interaction(
                        customer_id=customer_id,
                        type=kind,
                        direction=rng.choice(["outbound", "outbound", "inbound"]),
                        occurred_at=occurred,
                        duration_seconds=rng.randint(2, 25) * 60
                        if kind == Interaction.Type.PHONE_CALL
                        else None,
                        user=user,
                        summary=rng.choice(SUMMARIES[kind]),
                        next_follow_up_on=follow_up,
                        next_follow_up_note=rng.choice(FOLLOW_UPS) if follow_up else "",
                    )
                )
    Interaction.objects.bulk_create(rows, batch_size=500)
    reminders_compute(today=today)  # follow-ups due and birthdays of the week ahead
    return len(rows)
