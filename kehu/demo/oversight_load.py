"""Demo key-account data (``kehu demo``): sales targets for the demo reps and teams, customers
at risk of every kind, reviews done and waiting for approval, customers on the watch list; then
the risks computed, so the dashboards and the risk list tell a story after ``make run``."""

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, Sum
from django.utils import timezone

from kehu.accounts.models import Membership, Team, User
from kehu.customers.models import Customer
from kehu.oversight import services
from kehu.oversight.models import Review, RiskRule, SalesTarget
from kehu.oversight.risk import risk_compute
from kehu.oversight.rules import rules_all


def _month(day: date, back: int) -> date:
    first = day.replace(day=1)
    for _i in range(back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def _targets(today: date, admin: User) -> int:
    """Month targets for the last three months and this one, and this quarter's, for each rep
    and team: a little above what they sold (so attainment varies around 100 %)."""
    from kehu.sales.models import SalesDaily

    made = 0
    rng = random.Random(23)  # noqa: S311 (demo figures, not secrets)
    for back in range(3, -1, -1):
        start = _month(today, back)
        prev = _month(start, 1)
        sums = {
            row["owner_id"]: row
            for row in SalesDaily.objects.filter(day__gte=prev, day__lt=start)
            .values("owner_id")
            .annotate(r=Sum("revenue"), c=Sum("collected"), n=Sum("new_customers"))
        }
        for membership in Membership.objects.select_related("user", "team").filter(
            user__role="sales_rep"
        ):
            base = sums.get(membership.user_id, {})
            factor = Decimal(str(round(rng.uniform(0.9, 1.3), 2)))
            for metric, key, floor in (
                ("revenue", "r", Decimal(50000)),
                ("collected", "c", Decimal(40000)),
                ("new_customers", "n", Decimal(3)),
            ):
                value = max(Decimal(base.get(key) or 0) * factor, floor).quantize(Decimal(1))
                services.target_set(
                    user=admin,
                    period="month",
                    starts_on=start,
                    metric=metric,
                    amount=value,
                    owner=membership.user,
                )
                made += 1
    quarter = services.period_start("quarter", today)
    for team in Team.objects.filter(memberships__user__role="sales_rep").distinct():
        month_sum = SalesTarget.objects.filter(
            period="month",
            starts_on__gte=quarter,
            owner__memberships__team=team,
            metric="revenue",
        ).aggregate(s=Sum("amount"))["s"] or Decimal(100000)
        services.target_set(
            user=admin,
            period="quarter",
            starts_on=quarter,
            metric="revenue",
            amount=(month_sum * Decimal("1.05")).quantize(Decimal(1)),
            team=team,
        )
        made += 1
    return made


def _risky(today: date, owners: list[User], agent: User | None) -> dict[str, str]:
    """Make sure each kind of risk has a customer to show (most arise from the history)."""
    from kehu.customers.services import customer_update
    from kehu.sales.models import Order

    named: dict[str, str] = {}
    orgs = Customer.objects.filter(
        kind="organization", status="active", owner__in=owners, lifecycle_stage="customer"
    ).order_by("id")
    # credit: an organization owing more than its limit
    owing = (
        Order.objects.filter(customer__in=orgs, paid_amount__lt=F("total_amount"))
        .exclude(status="cancelled")
        .values("customer_id")
        .annotate(left=Sum(F("total_amount") - F("paid_amount")))
        .order_by("-left")
        .first()
    )
    if owing:
        customer = Customer.objects.get(pk=owing["customer_id"])
        limit = (Decimal(str(owing["left"])) * Decimal("0.8")).quantize(Decimal(1000))
        customer_update(
            user=customer.owner,
            customer=customer,
            data={"organization.credit_limit": max(limit, Decimal(1000))},
            note="年度资信复核下调额度",
        )
        named["credit"] = customer.name
    # organization facts: a new legal representative and a lower credit rating
    changed = orgs.exclude(pk__in=[owing["customer_id"]] if owing else []).first()
    if changed is not None:
        owner = changed.owner
        customer_update(
            user=owner,
            customer=changed,
            data={
                "organization.legal_representative": "周建国",
                "organization.credit_rating": "AA",
            },
        )
        customer_update(
            user=owner,
            customer=changed,
            data={"organization.legal_representative": "吴海峰", "organization.credit_rating": "B"},
            note="工商变更公告",
        )
        named["org_change"] = changed.name
    # complaints: two complaints from one customer (when the demo has a service desk)
    from kehu.service.models import Case

    if agent is not None and Case.objects.exists():
        from kehu.service import services as case_services

        target = orgs.order_by("-id").first()
        if target is not None:
            for subject in ("发货延误两周", "发票金额错误"):
                case_services.case_open(
                    user=agent,
                    customer=target,
                    type="complaint",
                    subject=subject,
                    description=subject,
                    priority="high",
                )
            named["complaints"] = target.name
    return named


def _reviews(today: date, owners: list[User]) -> tuple[int, int]:
    """Reviews done on some important customers, one grade change waiting for the manager."""
    done = pending = 0
    for owner in owners:
        customers = Customer.objects.filter(
            owner=owner, status="active", grade="important"
        ).order_by("id")
        for customer in customers[:2]:
            services.review_complete(
                user=owner,
                customer=customer,
                data=services.ReviewInput(
                    checks={c.pk: True for c in services.review_checks()},
                    outcome="资料核实无误，联系人未变。",
                ),
            )
            done += 1
    member = next(
        (
            o
            for o in owners
            if not Membership.objects.filter(user=o, is_manager=True).exists()
            and Membership.objects.filter(user=o).exists()
        ),
        None,
    )
    if member is not None:
        pick = (
            Customer.objects.filter(
                owner=member, status="active", grade="general", lifecycle_stage="customer"
            )
            .order_by("-id")
            .first()
        )
        if pick is not None:
            review = services.review_complete(
                user=member,
                customer=pick,
                data=services.ReviewInput(
                    checks={},
                    outcome="近半年采购量翻倍，建议升为重要客户。",
                    changes={"grade": "important"},
                    reason="年采购额超过五十万",
                ),
            )
            pending += review.status == Review.Status.PENDING
    return done, pending


def _align_updated_at(since: datetime) -> None:
    """The demo archive's customers were last changed when their newest history row says
    (``kehu demo`` writes them so): keep that true for the ones changed here."""
    from django.db.models import Max, OuterRef, Subquery

    from kehu.customers.models import CustomerChange

    newest = Subquery(
        CustomerChange.objects.filter(customer_id=OuterRef("pk"))
        .order_by()
        .values("customer_id")
        .annotate(m=Max("changed_at"))
        .values("m")[:1]
    )
    touched = CustomerChange.objects.filter(changed_at__gte=since).values("customer_id")
    Customer.objects.filter(pk__in=touched).update(updated_at=newest)


def demo_oversight_report(*, staff: Any, write: Callable[[str], Any]) -> None:
    started = timezone.now()
    today = timezone.localdate()
    owners = list(User.objects.filter(username__in=staff.owners))
    admin = User.objects.filter(username=staff.archive).first()
    agent = User.objects.filter(username=staff.service).first()
    if admin is None or not owners:
        return
    targets = _targets(today, admin)
    rules_all()
    # The thresholds an administrator of this business would choose: an old debt is worth a
    # look from 10,000 CNY; a fall in spending from 20,000 CNY a quarter.
    RiskRule.objects.filter(code="overdue").update(days=90, amount=Decimal(10000))
    RiskRule.objects.filter(code="decline").update(amount=Decimal(20000))
    named = _risky(today, owners, agent)
    done, pending = _reviews(today, owners)
    from kehu.analytics.models import CustomerValue

    for value in CustomerValue.objects.filter(
        customer__owner__in=owners, change_365__gt=100
    ).order_by("-change_365")[:2]:
        if value.customer.owner is None:
            continue
        services.watch_set(
            user=value.customer.owner,
            customer=value.customer,
            reason="一年内消费翻倍，关注是否扩大合作",
        )
    _align_updated_at(started)
    result = risk_compute(today=today)
    services.dashboards_keep_all(today)  # the leader's first look finds the figures kept
    write(
        f"Demo key accounts: {targets} targets, {result.at_risk:,} customers at risk "
        f"({len(result.alerts):,} alerts in {result.seconds:.1f} s), {done} reviews done, "
        f"{pending} waiting for approval; staged: {', '.join(sorted(named))}."
    )
