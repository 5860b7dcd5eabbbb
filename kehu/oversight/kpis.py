"""The leader's and managers' figures (KPI): one function per figure, each a few aggregate
queries over the viewer's scope, with its formula in its docstring. Scope: a leader, an
archive administrator or an admin sees the whole archive; a team manager their teams' work; a
rep their own (owner and team of the record, not what was shared with them).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation

from kehu.accounts.models import Membership, User
from kehu.core.access import Scope, managed_team_ids, policy_for, record_scope_q
from kehu.customers.models import Customer, CustomerChange
from kehu.oversight.models import CustomerRisk, RiskLevel, SalesTarget

ZERO = Decimal("0.00")
PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class KpiFilters:
    period: str = "month"
    on: date | None = None  # a day inside the period (default today)
    team_id: int | None = None


@dataclass(frozen=True)
class Span:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def span_of(period: str, on: date) -> Span:
    """The month, quarter or year that contains ``on``."""
    if period == "year":
        return Span(date(on.year, 1, 1), date(on.year, 12, 31))
    if period == "quarter":
        first = (on.month - 1) // 3 * 3 + 1
        start = date(on.year, first, 1)
    else:
        first = on.month
        start = on.replace(day=1)
    last = first + (2 if period == "quarter" else 0)
    nxt = date(on.year + 1, 1, 1) if last == 12 else date(on.year, last + 1, 1)
    return Span(start, nxt - timedelta(days=1))


def previous_span(period: str, span: Span) -> Span:
    return span_of(period, span.start - timedelta(days=1))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _rate(part: float | Decimal | int, whole: float | Decimal | int) -> float | None:
    return round(float(part) * 100 / float(whole), 1) if whole else None


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


# --- scope ----------------------------------------------------------------------------------


def work_q(user: User, team_id: int | None = None, prefix: str = "") -> Q:
    """Records (orders, payments, opportunities, summaries, customers) ``user`` counts:
    owner and team, no sharing; narrowed to one team when asked."""
    q = record_scope_q(
        user, owner_field=f"{prefix}owner", shared_field=None, team_field=f"{prefix}team"
    )
    if team_id is not None:
        members = Membership.objects.filter(team_id=team_id).values("user_id")
        q &= Q(**{f"{prefix}team_id": team_id}) | Q(
            **{f"{prefix}team__isnull": True, f"{prefix}owner_id__in": members}
        )
    return q


def whole_archive(user: User) -> bool:
    return policy_for(user).view is Scope.ALL


def customers_q(user: User, team_id: int | None) -> Q:
    return work_q(user, team_id)


# --- the figures ----------------------------------------------------------------------------


def sales_figures(user: User, span: Span, team_id: int | None) -> dict[str, Any]:
    """Orders, revenue, new customers (first order ever) and collections in ``span`` from the
    daily summary; average order value = revenue ÷ orders. CNY only."""
    from kehu.sales.models import DEFAULT_CURRENCY, SalesDaily

    row = (
        SalesDaily.objects.filter(
            work_q(user, team_id), day__gte=span.start, day__lte=span.end, currency=DEFAULT_CURRENCY
        )
        .order_by()
        .aggregate(
            orders=Sum("orders"),
            revenue=Sum("revenue"),
            new=Sum("new_customers"),
            collected=Sum("collected"),
        )
    )
    orders = row["orders"] or 0
    revenue = _money(row["revenue"])
    return {
        "orders": orders,
        "revenue": revenue,
        "new_customers": row["new"] or 0,
        "collected": _money(row["collected"]),
        "average_order_value": _money(revenue / orders) if orders else None,
    }


def buyers_figures(user: User, span: Span, previous: Span, team_id: int | None) -> dict[str, Any]:
    """Repeat-purchase rate = customers with two or more orders in the period ÷ customers with
    an order in it; retention = customers who ordered in the previous period and again in this
    one ÷ customers who ordered in the previous period. Cancelled orders do not count."""
    from kehu.sales.models import Order

    orders = Order.objects.filter(work_q(user, team_id)).exclude(status=Order.Status.CANCELLED)
    now = (
        orders.filter(ordered_on__gte=span.start, ordered_on__lte=span.end)
        .order_by()
        .values("customer_id")
        .annotate(n=Count("id"))
    )
    counts = {r["customer_id"]: r["n"] for r in now}
    before = set(
        orders.filter(ordered_on__gte=previous.start, ordered_on__lte=previous.end)
        .order_by()
        .values_list("customer_id", flat=True)
        .distinct()
    )
    buyers = len(counts)
    repeat = sum(1 for n in counts.values() if n >= 2)
    retained = len(before & set(counts))
    return {
        "buyers": buyers,
        "repeat_buyers": repeat,
        "repeat_rate": _rate(repeat, buyers),
        "previous_buyers": len(before),
        "retained": retained,
        "retention_rate": _rate(retained, len(before)),
    }


def lost_customers(user: User, span: Span, team_id: int | None) -> QuerySet[Customer]:
    """Customers now lost (流失) whose stage was set to lost within ``span``."""
    # From the lost customers (indexed by stage) to their stage changes (indexed by customer,
    # field and time): never a scan of the whole history.
    changes = CustomerChange.objects.filter(
        customer_id=OuterRef("pk"),
        field="lifecycle_stage",
        new_value=Customer.Stage.LOST,
        changed_at__gte=_day_start(span.start),
        changed_at__lt=_day_start(span.end + timedelta(days=1)),
    )
    return Customer.objects.live().filter(
        customers_q(user, team_id), Exists(changes), lifecycle_stage=Customer.Stage.LOST
    )


def new_customers(user: User, span: Span, team_id: int | None) -> QuerySet[Customer]:
    """Customers whose first order ever falls within ``span`` (by the order's owner and team)."""
    from kehu.sales.models import Order

    firsts = Order.objects.filter(
        work_q(user, team_id),
        first_for_customer=True,
        ordered_on__gte=span.start,
        ordered_on__lte=span.end,
    ).exclude(status=Order.Status.CANCELLED)
    return Customer.objects.filter(pk__in=firsts.values("customer_id"))


def composition(user: User, team_id: int | None) -> dict[str, list[dict[str, Any]]]:
    """Live customers by lifecycle stage and grade, and by value tier (customers with
    purchases, from the value analytics)."""
    from kehu.analytics.models import CustomerValue, Tier

    base = Customer.objects.live().filter(customers_q(user, team_id)).order_by()
    stages = dict(base.values_list("lifecycle_stage").annotate(n=Count("id")))
    grades = dict(base.values_list("grade").annotate(n=Count("id")))
    tiers = dict(
        CustomerValue.objects.filter(customer__in=base.values("pk"))
        .order_by()
        .values_list("tier")
        .annotate(n=Count("customer_id"))
    )
    return {
        "stage": [
            {"code": c, "label": str(label), "count": stages.get(c, 0)}
            for c, label in Customer.Stage.choices
        ],
        "grade": [
            {"code": c, "label": str(label), "count": grades.get(c, 0)}
            for c, label in Customer.Grade.choices
        ],
        "tier": [
            {"code": c, "label": str(label), "count": tiers.get(c, 0)} for c, label in Tier.choices
        ],
    }


def value_figures(user: User, team_id: int | None) -> dict[str, Any]:
    """Average and total 12-month customer lifetime value (BG/NBD × Gamma-Gamma) of the
    customers with purchases."""
    from kehu.analytics.models import CustomerValue

    row = (
        CustomerValue.objects.filter(work_q(user, team_id, prefix="customer__"))
        .order_by()
        .aggregate(avg=Avg("clv_12"), total=Sum("clv_12"), n=Count("customer_id"))
    )
    return {
        "clv_average": _money(row["avg"]) if row["avg"] is not None else None,
        "clv_total": _money(row["total"]),
        "valued_customers": row["n"],
    }


def pipeline_figures(user: User, span: Span, team_id: int | None, today: date) -> dict[str, Any]:
    """Open pipeline: count, amount and weighted amount (amount × probability ÷ 100), and the
    weighted part expected to close by the end of ``span``. Forecast of ``span`` = revenue
    booked so far + weighted pipeline expected to close from today to the end of the span +
    the run rate of the orders that did not come from an opportunity (booked per elapsed day)
    × the remaining days. Past spans forecast what was booked."""
    from kehu.sales.models import DEFAULT_CURRENCY, Opportunity, Order, PipelineStage

    weighted = ExpressionWrapper(
        F("amount") * F("probability") / 100,
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )
    open_opps = Opportunity.objects.filter(
        work_q(user, team_id), stage__outcome=PipelineStage.Outcome.OPEN, currency=DEFAULT_CURRENCY
    )
    row = open_opps.order_by().aggregate(
        n=Count("id"), total=Sum("amount"), total_weighted=Sum(weighted)
    )
    start_from = max(today, span.start)
    closing = open_opps.filter(
        expected_close_on__gte=start_from, expected_close_on__lte=span.end
    ).aggregate(w=Sum(weighted))["w"]
    orders = Order.objects.filter(
        work_q(user, team_id),
        ordered_on__gte=span.start,
        ordered_on__lte=min(span.end, today),
        currency=DEFAULT_CURRENCY,
    ).exclude(status=Order.Status.CANCELLED)
    sums = orders.order_by().aggregate(
        booked=Sum("total_amount"),
        from_pipeline=Sum("total_amount", filter=Q(opportunity__isnull=False)),
    )
    booked = _money(sums["booked"])
    if today > span.end:
        forecast = booked
        run_rate = ZERO
    elif today < span.start:
        forecast = _money(closing)
        run_rate = ZERO
    else:
        elapsed = (today - span.start).days + 1
        remaining = (span.end - today).days
        run_rate = _money((booked - _money(sums["from_pipeline"])) / elapsed)
        forecast = _money(booked + _money(closing) + run_rate * remaining)
    return {
        "open_opportunities": row["n"],
        "pipeline": _money(row["total"]),
        "weighted_pipeline": _money(row["total_weighted"]),
        "weighted_closing": _money(closing),
        "booked": booked,
        "run_rate_per_day": run_rate,
        "forecast": forecast,
    }


def service_figures(user: User, span: Span, team_id: int | None) -> dict[str, Any]:
    """Satisfaction: average rating (1–5) and share of 4–5 among ratings given in ``span``;
    complaint rate = complaints opened ÷ orders taken in ``span`` × 100; SLA compliance = cases
    resolved in ``span`` by their resolve-by time ÷ cases resolved in it."""
    from kehu.sales.models import Order
    from kehu.service.models import Case, CaseRating, CaseType

    scope = work_q(user, team_id, prefix="customer__")
    ratings = (
        CaseRating.objects.filter(
            scope, created_at__date__gte=span.start, created_at__date__lte=span.end
        )
        .order_by()
        .aggregate(n=Count("id"), avg=Avg("score"), good=Count("id", filter=Q(score__gte=4)))
    )
    cases = Case.objects.filter(scope)
    complaints = cases.filter(
        type=CaseType.COMPLAINT, created_at__date__gte=span.start, created_at__date__lte=span.end
    ).count()
    orders = (
        Order.objects.filter(
            work_q(user, team_id), ordered_on__gte=span.start, ordered_on__lte=span.end
        )
        .exclude(status=Order.Status.CANCELLED)
        .count()
    )
    resolved = cases.filter(
        resolved_at__isnull=False,
        resolved_at__date__gte=span.start,
        resolved_at__date__lte=span.end,
    ).aggregate(
        n=Count("id"), on_time=Count("id", filter=Q(resolved_at__lte=F("resolution_due_at")))
    )
    return {
        "ratings": ratings["n"],
        "average_rating": round(ratings["avg"], 2) if ratings["avg"] is not None else None,
        "satisfied_share": _rate(ratings["good"], ratings["n"]),
        "complaints": complaints,
        "complaint_rate": _rate(complaints, orders),
        "resolved": resolved["n"],
        "sla_compliance": _rate(resolved["on_time"], resolved["n"]),
    }


def risk_counts(user: User, team_id: int | None) -> dict[str, int]:
    rows = dict(
        CustomerRisk.objects.filter(
            work_q(user, team_id, prefix="customer__"),
            customer__status__in=Customer.LIVE_STATUSES,
        )
        .order_by()
        .values_list("level")
        .annotate(n=Count("customer_id"))
    )
    return {RiskLevel(level).name.lower(): rows.get(level, 0) for level in (1, 2, 3)}


def overdue_total(user: User, team_id: int | None, today: date) -> dict[str, Any]:
    """Receivables (CNY) open more than 30 days after their order date, and how many
    customers owe them."""
    from kehu.sales.models import DEFAULT_CURRENCY, Order

    outstanding = ExpressionWrapper(
        F("total_amount") - F("paid_amount"),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )
    row = (
        Order.objects.filter(
            work_q(user, team_id, prefix="customer__"),
            customer__status__in=Customer.LIVE_STATUSES,
            currency=DEFAULT_CURRENCY,
            paid_amount__lt=F("total_amount"),
            ordered_on__lt=today - timedelta(days=30),
        )
        .exclude(status=Order.Status.CANCELLED)
        .order_by()
        .aggregate(total=Sum(outstanding), customers=Count("customer_id", distinct=True))
    )
    return {"overdue": _money(row["total"]), "overdue_customers": row["customers"]}


# --- targets --------------------------------------------------------------------------------


def _target_rows(span: Span, period: str) -> QuerySet[SalesTarget]:
    if period == "month":
        return SalesTarget.objects.filter(period=SalesTarget.Period.MONTH, starts_on=span.start)
    return SalesTarget.objects.filter(starts_on__gte=span.start, starts_on__lte=span.end)


def _subject_sum(rows: list[SalesTarget]) -> Decimal:
    """One subject's target for a span: its quarter targets when it has any, else its months."""
    quarters = [r.amount for r in rows if r.period == SalesTarget.Period.QUARTER]
    if quarters:
        return sum(quarters, ZERO)
    return sum((r.amount for r in rows if r.period == SalesTarget.Period.MONTH), ZERO)


def targets_for(
    user: User, span: Span, period: str, team_id: int | None
) -> dict[str, Decimal | None]:
    """The target of each measure for what ``user`` looks at: a rep their own; one team its
    team target, else the sum of its members' targets; the whole archive (or a manager's teams)
    the sum of the team targets, else of the reps' targets. None where none was set."""
    rows = list(_target_rows(span, period))
    policy = policy_for(user)
    if team_id is not None:
        teams = [team_id]
    elif policy.view is Scope.ALL:
        teams = None
    else:
        teams = managed_team_ids(user)
    out: dict[str, Decimal | None] = {}
    for metric in SalesTarget.Metric.values:
        mine = [r for r in rows if r.metric == metric]
        if teams is not None and not teams:  # a rep
            own = [r for r in mine if r.owner_id == user.pk]
            out[metric] = _subject_sum(own) if own else None
            continue
        members_of: dict[int, set[int]] = defaultdict(set)
        for t, u in Membership.objects.filter(
            **({"team_id__in": teams} if teams is not None else {})
        ).values_list("team_id", "user_id"):
            members_of[t].add(u)
        team_ids = (
            teams
            if teams is not None
            else sorted({r.team_id for r in mine if r.team_id} | set(members_of))
        )
        total = ZERO
        found = False
        for t in team_ids:
            team_rows = [r for r in mine if r.team_id == t]
            if team_rows:
                total += _subject_sum(team_rows)
                found = True
                continue
            by_owner: dict[int, list[SalesTarget]] = defaultdict(list)
            for r in mine:
                if r.owner_id in members_of.get(t, set()):
                    by_owner[r.owner_id].append(r)
            for owned in by_owner.values():
                total += _subject_sum(owned)
                found = True
        out[metric] = total if found else None
    return out


def attainment(actual: Decimal | int, target: Decimal | None) -> float | None:
    """Actual ÷ target × 100 (None without a target)."""
    if not target:
        return None
    return round(float(actual) * 100 / float(target), 1)


# --- the dashboard --------------------------------------------------------------------------


@dataclass
class Dashboard:
    filters: KpiFilters
    span: Span
    previous: Span
    figures: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, Any] = field(default_factory=dict)  # measure → target; "attainment"
    composition: dict[str, Any] = field(default_factory=dict)
    risks: dict[str, int] = field(default_factory=dict)
    trend: dict[str, list[Any]] = field(default_factory=dict)


def trend(user: User, team_id: int | None, today: date, months: int = 12) -> dict[str, list[Any]]:
    """Revenue, collections, new customers and orders per month, the last ``months`` months."""
    from kehu.sales.models import DEFAULT_CURRENCY, SalesDaily

    first = today.replace(day=1)
    for _i in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    rows = (
        SalesDaily.objects.filter(work_q(user, team_id), day__gte=first, currency=DEFAULT_CURRENCY)
        .annotate(month=TruncMonth("day"))
        .order_by()
        .values("month")
        .annotate(
            revenue=Sum("revenue"),
            collected=Sum("collected"),
            new=Sum("new_customers"),
            orders=Sum("orders"),
        )
    )
    by_month = {r["month"].strftime("%Y-%m") if r["month"] else "": r for r in rows}
    labels, revenue, collected, new, orders = [], [], [], [], []
    month = first
    for _i in range(months):
        key = month.strftime("%Y-%m")
        r = by_month.get(key, {})
        labels.append(key)
        revenue.append(float(r.get("revenue") or 0))
        collected.append(float(r.get("collected") or 0))
        new.append(int(r.get("new") or 0))
        orders.append(int(r.get("orders") or 0))
        month = (month + timedelta(days=32)).replace(day=1)
    return {
        "months": labels,
        "revenue": revenue,
        "collected": collected,
        "new": new,
        "orders": orders,
    }


def period_figures(
    user: User, span: Span, previous: Span, team_id: int | None, today: date
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    figures.update(sales_figures(user, span, team_id))
    figures.update(buyers_figures(user, span, previous, team_id))
    figures["lost_customers"] = lost_customers(user, span, team_id).count()
    figures.update(service_figures(user, span, team_id))
    return figures


def dashboard(*, user: User, filters: KpiFilters, today: date | None = None) -> Dashboard:
    """Every figure of the leader's dashboard for the filters, with the previous period's."""
    today = today or timezone.localdate()
    on = filters.on or today
    period = filters.period if filters.period in PERIODS else "month"
    span = span_of(period, on)
    previous = previous_span(period, span)
    board = Dashboard(filters=filters, span=span, previous=previous)
    team = filters.team_id
    board.figures = period_figures(user, span, previous, team, today)
    board.figures.update(pipeline_figures(user, span, team, today))
    board.figures.update(value_figures(user, team))
    board.figures.update(overdue_total(user, team, today))
    board.before = period_figures(user, previous, previous_span(period, previous), team, today)
    board.targets = dict(targets_for(user, span, period, team))
    board.targets["attainment"] = {
        "revenue": attainment(board.figures["revenue"], board.targets["revenue"]),
        "collected": attainment(board.figures["collected"], board.targets["collected"]),
        "new_customers": attainment(board.figures["new_customers"], board.targets["new_customers"]),
        "forecast": attainment(board.figures["forecast"], board.targets["revenue"]),
    }
    board.composition = composition(user, team)
    board.risks = risk_counts(user, team)
    board.trend = trend(user, team, today)
    return board


def change(now: Any, before: Any) -> float | None:
    """Change against the previous period (%)."""
    if now is None or before in (None, 0):
        return None
    return round((float(now) - float(before)) * 100 / float(before), 1)


# The dashboard is cached for a few minutes per scope and filters, keyed also by the newest row
# of each table it reads: a new order, payment, case, rating, archive change or risk computation
# shows at once; what changes in place (a case resolved) within CACHE_SECONDS.
CACHE_SECONDS = 300


def data_version() -> str:
    """The newest row id of each table the figures read (one index lookup each)."""
    from kehu.sales.models import Opportunity, Order, Payment, SalesDaily
    from kehu.service.models import Case, CaseRating

    parts = [
        str(model.objects.aggregate(m=Max("pk"))["m"] or 0)
        for model in (Order, Payment, SalesDaily, Opportunity, Case, CaseRating, CustomerChange)
    ]
    risk = CustomerRisk.objects.aggregate(m=Max("computed_at"))["m"]
    parts.append(risk.isoformat() if risk else "")
    targets = SalesTarget.objects.aggregate(m=Max("updated_at"))["m"]
    parts.append(targets.isoformat() if targets else "")
    return ":".join(parts)


def dashboard_cached(*, user: User, filters: KpiFilters, today: date | None = None) -> Dashboard:
    """``dashboard``, from the cache when the same scope asked for the same figures lately."""
    from django.core.cache import cache

    today = today or timezone.localdate()
    scope = (
        "all"
        if whole_archive(user)
        else f"u{user.pk}-" + ",".join(str(t) for t in sorted(managed_team_ids(user)))
    )
    key = (
        f"oversight:dashboard:{scope}:{filters.period}:{filters.on}:{filters.team_id}:"
        f"{today}:{translation.get_language()}:{data_version()}"
    )
    board: Dashboard | None = cache.get(key)
    if board is None:
        board = dashboard(user=user, filters=filters, today=today)
        cache.set(key, board, CACHE_SECONDS)
    return board
