"""Demo tasks: planned calls, visits and to-dos of each sales rep and the service agent from two
weeks back (mostly done) to three weeks ahead, and a few a team manager gave a team member."""

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from kehu.accounts.models import Membership, User
from kehu.customers.models import Customer
from kehu.tasks.models import Task, TaskKind
from kehu.tasks.services import task_create

TASKS_PER_USER = 24
TITLES = {
    Task.Kind.CALL: ["电话回访", "确认到货情况", "催收尾款", "邀请参加新品发布会", "确认报价反馈"],
    Task.Kind.VISIT: ["上门拜访", "陪同技术人员现场调试", "送样品", "季度业务回顾"],
    Task.Kind.TODO: ["准备报价单", "整理客户资料", "提交合同审批", "更新客户档案", "写拜访报告"],
}
AGENT_TITLES = ["回复投诉邮件", "整理本周满意度回访", "更新常见问题知识库", "跟进退货物流"]


def _at(day: date, rng: random.Random) -> datetime:
    hour, minute = rng.randint(9, 17), rng.choice([0, 30])
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _title(kind: TaskKind, name: str | None, rng: random.Random) -> str:
    title = rng.choice(TITLES[kind])
    return f"{title}：{name}" if name else title


@transaction.atomic
def demo_tasks_load(*, reps: list[str], agent: str | None, seed: int, today: date) -> int:
    """Tasks for ``reps`` (about their customers) and ``agent``; returns how many."""
    rng = random.Random(f"{seed}-tasks")  # noqa: S311 (demo data, not secrets)
    now = timezone.now()
    rows: list[Task] = []
    kinds: list[TaskKind] = [TaskKind.CALL, TaskKind.VISIT, TaskKind.TODO]
    for user in User.objects.filter(username__in=reps).order_by("username"):
        customers = list(
            Customer.objects.filter(owner=user, status=Customer.Status.ACTIVE)
            .order_by("id")
            .values_list("pk", "name")[:200]
        )
        for _n in range(TASKS_PER_USER):
            kind = rng.choices(kinds, [40, 30, 30])[0]
            customer = rng.choice(customers) if customers and rng.random() < 0.85 else None
            due = _at(today + timedelta(days=rng.randint(-14, 21)), rng)
            done = due < now and rng.random() < 0.85
            rows.append(
                Task(
                    title=_title(kind, customer[1] if customer else None, rng),
                    kind=kind,
                    priority=rng.choices(["low", "normal", "high"], [15, 65, 20])[0],
                    customer_id=customer[0] if customer else None,
                    assignee=user,
                    created_by=user,
                    due_at=due,
                    status=Task.Status.DONE if done else Task.Status.OPEN,
                    done_at=due if done else None,
                    done_by=user if done else None,
                    reminded_at=due if due < now else None,
                )
            )
    agent_user = User.objects.filter(username=agent).first() if agent else None
    if agent_user is not None:
        for offset, title in zip((-1, 0, 1, 3), AGENT_TITLES, strict=True):
            rows.append(
                Task(
                    title=title,
                    assignee=agent_user,
                    created_by=agent_user,
                    due_at=_at(today + timedelta(days=offset), rng),
                )
            )
    Task.objects.bulk_create(rows, batch_size=500)
    return len(rows) + _manager_tasks(rng, today)


def _manager_tasks(rng: random.Random, today: date) -> int:
    """A team manager gives each team member a few tasks (the member is notified)."""
    count = 0
    for manager_row in Membership.objects.filter(is_manager=True).select_related("user", "team"):
        manager = manager_row.user
        members = Membership.objects.filter(team=manager_row.team).exclude(user=manager)
        for member in members.select_related("user"):
            customers = list(
                Customer.objects.filter(owner=member.user, status=Customer.Status.ACTIVE).order_by(
                    "id"
                )[:3]
            )
            for i, customer in enumerate(customers):
                task_create(
                    user=manager,
                    title=_title(Task.Kind.VISIT, customer.name, rng),
                    kind=Task.Kind.VISIT,
                    priority=Task.Priority.HIGH if i == 0 else Task.Priority.NORMAL,
                    customer=customer,
                    assignee=member.user,
                    due_at=_at(today + timedelta(days=i + 1), rng),
                    notes="重点客户，拜访后请在系统里记录结果。",
                )
                count += 1
    return count
