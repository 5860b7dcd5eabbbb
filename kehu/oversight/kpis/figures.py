"""The KPIs, one function per figure, each on a scope and a period."""

from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)

from kehu.accounts.models import User
from kehu.customers.models import Customer, CustomerChange
from kehu.oversight.kpis.common import ZERO, Span, _day_start, _money, _rate
from kehu.oversight.kpis.scope import customers_q, work_q
from kehu.oversight.models import CustomerRisk, RiskLevel


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


def lost_within(span: Span) -> Exists:
    """The customer's stage was set to lost within ``span``."""
    return Exists(
        CustomerChange.objects.filter(
            customer_id=OuterRef("pk"),
            field="lifecycle_stage",
            new_value=Customer.Stage.LOST,
            changed_at__gte=_day_start(span.start),
            changed_at__lt=_day_start(span.end + timedelta(days=1)),
        )
    )


def lost_customers_now(user: User, team_id: int | None) -> QuerySet[Customer]:
    """The scope's live customers whose stage is lost."""
    return Customer.objects.live().filter(
        customers_q(user, team_id), lifecycle_stage=Customer.Stage.LOST
    )


def lost_customers(user: User, span: Span, team_id: int | None) -> QuerySet[Customer]:
    """Customers now lost (流失) whose stage was set to lost within ``span``."""
    # From the lost customers (indexed by stage) to their stage changes (indexed by customer,
    # field and time): never a scan of the whole history.
    return lost_customers_now(user, team_id).filter(lost_within(span))


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


def composition(
    user: User, team_id: int | None, *, one_pass: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """Live customers by lifecycle stage and grade, and by value tier (customers with
    purchases, from the value analytics).

    ``one_pass``: stage and grade counted in one pass with a filtered count per value (read
    from the ``customers_scope_stage_grade`` index alone, nothing grouped), tiers from the
    value table's tier index; False groups the customers' rows (the reference the tests hold
    the fast path to)."""
    from kehu.analytics.models import CustomerValue, Tier

    base = Customer.objects.live().filter(customers_q(user, team_id)).order_by()
    if one_pass:
        row = base.aggregate(
            **{
                f"stage_{c}": Count("pk", filter=Q(lifecycle_stage=c))
                for c in Customer.Stage.values
            },
            **{f"grade_{c}": Count("pk", filter=Q(grade=c)) for c in Customer.Grade.values},
        )
        stages = {c: row[f"stage_{c}"] for c in Customer.Stage.values}
        grades = {c: row[f"grade_{c}"] for c in Customer.Grade.values}
        # From the tiers' index to each valued customer (fewer than the live ones), where
        # "customer in (the scope's live ids)" first collected every live customer's id.
        tiers = _live_counts(CustomerValue, "tier", user, team_id)
    else:
        stages, grades = {}, {}
        for stage, grade, n in base.values_list("lifecycle_stage", "grade").annotate(n=Count("id")):
            stages[stage] = stages.get(stage, 0) + n
            grades[grade] = grades.get(grade, 0) + n
        tiers = dict(
            CustomerValue.objects.filter(customer__in=base.values("pk"))
            .order_by()
            .values_list("tier")
            .annotate(n=Count("customer_id"))
        )
    return composition_labelled(
        {
            "stage": [{"code": c, "count": stages.get(c, 0)} for c in Customer.Stage.values],
            "grade": [{"code": c, "count": grades.get(c, 0)} for c in Customer.Grade.values],
            "tier": [{"code": c, "count": tiers.get(c, 0)} for c in Tier.values],
        }
    )


def composition_labelled(counts: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The composition's groups with each code's label in the current language."""
    from kehu.analytics.models import Tier

    choices = {"stage": Customer.Stage, "grade": Customer.Grade, "tier": Tier}
    return {
        group: [{**row, "label": str(choices[group](row["code"]).label)} for row in rows]
        for group, rows in counts.items()
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


def pipeline_figures(
    user: User, span: Span, team_id: int | None, today: date, from_summary: bool = True
) -> dict[str, Any]:
    """Open pipeline: count, amount and weighted amount (amount × probability ÷ 100), and the
    weighted part expected to close by the end of ``span``. Forecast of ``span`` = revenue
    booked so far + weighted pipeline expected to close from today to the end of the span +
    the run rate of the orders that did not come from an opportunity (booked per elapsed day)
    × the remaining days. Past spans forecast what was booked. What was booked is read from
    the daily sales summary, or (``from_summary`` False) from the orders themselves."""
    from kehu.sales.models import DEFAULT_CURRENCY, Opportunity, Order, PipelineStage, SalesDaily

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
    if from_summary:
        sums = (
            SalesDaily.objects.filter(
                work_q(user, team_id),
                day__gte=span.start,
                day__lte=min(span.end, today),
                currency=DEFAULT_CURRENCY,
            )
            .order_by()
            .aggregate(booked=Sum("revenue"), from_pipeline=Sum("opportunity_revenue"))
        )
    else:
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


def live_rows(model: Any, user: User, team_id: int | None) -> Any:
    """The rows of a per-customer table (value figures, risk levels) of the scope's live
    customers."""
    return model.objects.filter(
        work_q(user, team_id, prefix="customer__"), customer__status__in=Customer.LIVE_STATUSES
    )


def _live_counts(model: Any, field: str, user: User, team_id: int | None) -> dict[Any, int]:
    """``live_rows`` counted by ``field``, walking the table's own index to each customer."""
    return dict(
        live_rows(model, user, team_id)
        .order_by()
        .values_list(field)
        .annotate(n=Count("customer_id"))
    )


def risk_counts(user: User, team_id: int | None) -> dict[str, int]:
    rows = _live_counts(CustomerRisk, "level", user, team_id)
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
