"""Every read of the loyalty programme and the care calendar, scoped by the user: a member, a
ledger row or a care task is visible exactly when its customer is (404 otherwise)."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_q
from kehu.loyalty.models import CareTask, Level, LevelChange, Member, PointsEntry
from kehu.loyalty.services import Standing, meets_level, programme_get, standing
from kehu.sales.models import Order

RECENT_ENTRIES = 8


@dataclass(frozen=True)
class MemberCard:
    """What the 360° page and the API show of a customer's membership."""

    member: Member | None
    level: Level | None
    next_level: Level | None
    standing: Standing | None
    progress: int  # percent of the way to the next level (100 at the top)
    to_go: str  # what is missing for the next level, in words
    recent: list[PointsEntry]
    history: list[LevelChange]

    @property
    def balance_value(self) -> Decimal:
        if self.member is None:
            return Decimal("0")
        return (self.member.points_balance * programme_get().point_value).quantize(Decimal("0.01"))


def _progress(s: Standing, nxt: Level, qualify_by: str) -> tuple[int, str]:
    from django.utils.translation import gettext as _

    parts: list[float] = []
    missing: list[str] = []
    if qualify_by in ("spend", "spend_or_orders", "spend_and_orders") and nxt.min_spend > 0:
        parts.append(float(s.spend / nxt.min_spend))
        if s.spend < nxt.min_spend:
            missing.append(_("%(n)s yuan") % {"n": nxt.min_spend - s.spend})
    if qualify_by in ("orders", "spend_or_orders", "spend_and_orders") and nxt.min_orders > 0:
        parts.append(s.orders / nxt.min_orders)
        if s.orders < nxt.min_orders:
            missing.append(_("%(n)s orders") % {"n": nxt.min_orders - s.orders})
    if qualify_by == "points" and nxt.min_points > 0:
        parts.append(s.points / nxt.min_points)
        missing.append(_("%(n)s points") % {"n": max(nxt.min_points - s.points, 0)})
    if not parts:
        return 100, ""
    share = max(parts) if qualify_by == "spend_or_orders" else min(parts)
    joiner = _(" or ") if qualify_by == "spend_or_orders" else _(" and ")
    return min(int(share * 100), 99), joiner.join(missing)


def member_card(*, customer: Customer, today: date) -> MemberCard:
    """The customer's card; the caller has fetched ``customer`` through a scoped selector."""
    member = Member.objects.select_related("level").filter(customer=customer).first()
    if member is None:
        return MemberCard(None, None, None, None, 0, "", [], [])
    programme = programme_get()
    nxt = Level.objects.filter(rank__gt=member.level.rank).order_by("rank").first()
    s = standing(customer_id=customer.pk, today=today)
    progress, to_go = (100, "") if nxt is None else _progress(s, nxt, programme.qualify_by)
    if nxt is not None and meets_level(nxt, s, programme.qualify_by):
        progress, to_go = 99, ""
    recent = list(
        member.entries.select_related("order", "created_by").order_by("-occurred_on", "-id")[
            :RECENT_ENTRIES
        ]
    )
    history = list(member.level_changes.select_related("from_level", "to_level")[:10])
    return MemberCard(member, member.level, nxt, s, progress, to_go, recent, history)


def member_get_for_user(*, user: User, customer_id: int) -> Member:
    member = (
        Member.objects.filter(
            customers_visible_q(user, prefix="customer__"), customer_id=customer_id
        )
        .select_related("customer", "level")
        .first()
    )
    if member is None:
        raise Http404
    return member


def entries_visible_to(
    user: User,
    *,
    kind: str = "",
    customer_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    level_id: int | None = None,
) -> QuerySet[PointsEntry]:
    """Ledger rows of the customers ``user`` sees, newest first, filtered."""
    rows = PointsEntry.objects.filter(customers_visible_q(user, prefix="customer__"))
    if kind:
        rows = rows.filter(kind=kind)
    if customer_id:
        rows = rows.filter(customer_id=customer_id)
    if since:
        rows = rows.filter(occurred_on__gte=since)
    if until:
        rows = rows.filter(occurred_on__lte=until)
    if level_id:
        rows = rows.filter(member__level_id=level_id)
    return rows.select_related("customer", "member", "order", "created_by").order_by(
        "-occurred_on", "-id"
    )


def members_visible_to(user: User) -> QuerySet[Member]:
    return Member.objects.filter(customers_visible_q(user, prefix="customer__"))


@dataclass(frozen=True)
class Overview:
    levels: list[tuple[Level, int]]
    members: int
    liability_points: int
    liability_value: Decimal
    months: list[str]
    earned: list[int]
    redeemed: list[int]
    expired: list[int]
    migration: list[dict[str, Any]]  # from level, to level, members
    start: date
    end: date


def _level_on(changes: list[tuple[int, date, int]], day: date) -> dict[int, int]:
    """Member → level id on ``day``, from the history (ordered by date)."""
    found: dict[int, int] = {}
    for member_id, changed_on, level_id in changes:
        if changed_on <= day:
            found[member_id] = level_id
    return found


def overview(
    *, user: User, today: date, start: date | None = None, end: date | None = None
) -> Overview:
    """The programme at a glance, over the members ``user`` sees: members per level, the points
    owed (liability), points earned/redeemed/expired per month for 12 months, and how members
    moved between levels from ``start`` to ``end``."""
    members = members_visible_to(user)
    levels = list(Level.objects.order_by("rank"))
    per_level = dict(members.values_list("level").annotate(n=Count("pk")).values_list("level", "n"))
    liability = members.aggregate(s=Sum("points_balance"))["s"] or 0
    first = date(today.year - 1, today.month, 1)
    months = []
    cursor = first
    while cursor <= today:
        months.append(cursor.strftime("%Y-%m"))
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    sums = (
        PointsEntry.objects.filter(
            customers_visible_q(user, prefix="customer__"), occurred_on__gte=first
        )
        .annotate(month=TruncMonth("occurred_on"))
        .values("month", "kind")
        .annotate(s=Sum("points"))
    )
    by: dict[str, Counter[str]] = defaultdict(Counter)
    for row in sums:
        by[row["kind"]][row["month"].strftime("%Y-%m")] += row["s"]
    end = end or today
    start = start or end - timedelta(days=365)
    changes = list(
        LevelChange.objects.filter(member__in=members, changed_on__lte=end)
        .order_by("changed_on", "id")
        .values_list("member_id", "changed_on", "to_level_id")
    )
    before, after = _level_on(changes, start), _level_on(changes, end)
    names = {lv.pk: lv.name for lv in levels}
    moves: Counter[tuple[int | None, int]] = Counter((before.get(m), lv) for m, lv in after.items())
    migration = [
        {
            "from": names.get(a) if a else None,
            "to": names[b],
            "members": n,
            "from_id": a,
            "to_id": b,
        }
        for (a, b), n in sorted(moves.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1]))
    ]
    return Overview(
        levels=[(lv, per_level.get(lv.pk, 0)) for lv in levels],
        members=sum(per_level.values()),
        liability_points=liability,
        liability_value=(liability * programme_get().point_value).quantize(Decimal("0.01")),
        months=months,
        earned=[by["earn"][m] for m in months],
        redeemed=[-by["redeem"][m] for m in months],
        expired=[-by["expire"][m] for m in months],
        migration=migration,
        start=start,
        end=end,
    )


# --- care ---------------------------------------------------------------------------------------


def care_tasks_visible_to(user: User) -> QuerySet[CareTask]:
    return CareTask.objects.filter(customers_visible_q(user, prefix="customer__"))


def care_task_get_for_user(*, user: User, care_task_id: int) -> CareTask:
    found = (
        care_tasks_visible_to(user)
        .select_related("plan", "task", "customer")
        .filter(pk=care_task_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def care_task_for_task(*, user: User, task_id: int) -> CareTask:
    """The care task of the user's to-do ``task_id`` (its assignee's alone: 404 for others)."""
    found = (
        care_tasks_visible_to(user)
        .select_related("plan", "task", "customer")
        .filter(task_id=task_id, task__assignee=user)
        .first()
    )
    if found is None:
        raise Http404
    return found


def care_tasks_mine(*, user: User) -> list[CareTask]:
    """The user's open care tasks (made ``days_before`` ahead of each date): "my day"."""
    return list(
        care_tasks_visible_to(user)
        .filter(task__assignee=user, done_at__isnull=True)
        .select_related("plan", "customer", "task")
        .order_by("occasion_on", "id")[:50]
    )


@dataclass(frozen=True)
class CareRow:
    label: str
    planned: int
    done: int
    gifts: int
    cost: Decimal

    @property
    def rate(self) -> int:
        return round(100 * self.done / self.planned) if self.planned else 0


def care_report(*, user: User, start: date, end: date) -> dict[str, list[CareRow]]:
    """Care tasks from ``start`` to ``end``: planned vs done per rep and per team, and the
    gifts and their cost per customer."""
    rows = care_tasks_visible_to(user).filter(occasion_on__gte=start, occasion_on__lte=end)
    gift = Q(plan__action="gift", done_at__isnull=False)

    def grouped(*fields: str) -> list[dict[str, Any]]:
        return list(
            rows.values(*fields)
            .annotate(
                planned=Count("pk"),
                done=Count("pk", filter=Q(done_at__isnull=False)),
                gifts=Count("pk", filter=gift),
                cost=Sum("gift_cost", filter=gift),
            )
            .order_by(*fields)
        )

    def row(label: str, r: dict[str, Any]) -> CareRow:
        return CareRow(label, r["planned"], r["done"], r["gifts"], r["cost"] or Decimal("0"))

    owners = {u.pk: str(u) for u in User.objects.filter(pk__in=rows.values("owner_id"))}
    from kehu.accounts.models import Team

    teams = {t.pk: t.name for t in Team.objects.filter(pk__in=rows.values("team_id"))}
    return {
        "reps": [row(owners.get(r["owner_id"], "—"), r) for r in grouped("owner_id")],
        "teams": [row(teams.get(r["team_id"], "—"), r) for r in grouped("team_id")],
        "customers": [
            row(r["customer__name"], r)
            for r in grouped("customer_id", "customer__name")
            if r["gifts"]
        ],
    }


def orders_of_member(*, order: Order) -> Member | None:
    return Member.objects.filter(customer_id=order.customer_id).select_related("level").first()
