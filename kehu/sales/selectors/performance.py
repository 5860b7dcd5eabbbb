"""The sales-performance report per rep or team."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Team, User
from kehu.core.access import record_scope_q
from kehu.sales.models import (
    DEFAULT_CURRENCY,
    ZERO,
    Opportunity,
    Order,
    Payment,
    PipelineStage,
    SalesDaily,
)
from kehu.sales.selectors.pipeline import win_rate
from kehu.sales.selectors.scope import CENT

# --- sales performance ------------------------------------------------------------------------


@dataclass
class PerformanceRow:
    key: int | None
    label: str
    orders: int = 0
    revenue: Decimal = ZERO
    collected: Decimal = ZERO
    new_customers: int = 0
    won: int = 0
    lost: int = 0
    pipeline_weighted: Decimal = ZERO

    @property
    def win_rate(self) -> Decimal | None:
        return win_rate(self.won, self.lost)


@dataclass
class PerformanceReport:
    start: date
    end: date
    group_by: str
    currency: str
    rows: list[PerformanceRow]
    total: PerformanceRow


def _group_field(group_by: str) -> str:
    return "team_id" if group_by == "team" else "owner_id"


def sales_performance(
    *,
    user: User,
    start: date,
    end: date,
    group_by: str = "rep",
    currency: str = DEFAULT_CURRENCY,
    source: str = "auto",
) -> PerformanceReport:
    """Per rep (owner) or team, for ``start``–``end`` inclusive, over the records ``user`` sees:
    orders and revenue (not cancelled, by order date), payments collected (by date received),
    new customers (their first order ever in the period), opportunities won and lost (by close
    date) with the win rate, and today's open pipeline weighted by probability. Money in
    ``currency`` only.

    A performance report counts people's work: a user who sees every customer sees everyone's;
    a sales rep their own orders, payments and opportunities (by who took them), a team
    manager also those of the teams they manage — even on customers since handed to someone
    else. The period's sums come from the daily summary (``SalesDaily``, keyed by owner and
    team); ``source="rows"`` computes the same from the raw rows.
    """
    key = _group_field(group_by)
    rows: dict[int | None, PerformanceRow] = defaultdict(lambda: PerformanceRow(None, ""))

    def row(k: int | None) -> PerformanceRow:
        r = rows[k]
        r.key = k
        return r

    scope = _work_scope_q(user)
    if source in ("auto", "summary"):
        in_currency = Q(currency=currency)
        sums = (
            SalesDaily.objects.filter(scope, day__gte=start, day__lte=end)
            .order_by()
            .values(key)
            .annotate(
                n=Sum("orders", filter=in_currency),
                s=Sum("revenue", filter=in_currency),
                first=Sum("new_customers", filter=in_currency),
                collected=Sum("collected", filter=in_currency),
                won=Sum("won"),
                lost=Sum("lost"),
            )
        )
        for r in sums:
            if not any((r["n"], r["s"], r["collected"], r["won"], r["lost"])):
                continue  # everything cancelled, or other currencies only
            target = row(r[key])
            target.orders = r["n"] or 0
            target.revenue = r["s"] or ZERO
            target.new_customers = r["first"] or 0
            target.collected = r["collected"] or ZERO
            target.won = r["won"] or 0
            target.lost = r["lost"] or 0
    else:
        _performance_from_rows(scope, start, end, key, currency, row)
    _pipeline(scope, key, currency, row)
    return _performance_report(rows, start, end, group_by, currency)


def _work_scope_q(user: User) -> Q:
    """Whose work ``user`` may see in a performance report: owner and team, no sharing."""
    return record_scope_q(user, shared_field=None)


def _performance_from_rows(
    scope: Q, start: date, end: date, key: str, currency: str,
    row: Callable[[int | None], PerformanceRow],
) -> None:  # fmt: skip
    orders = (
        Order.objects.filter(scope)
        .filter(ordered_on__gte=start, ordered_on__lte=end, currency=currency)
        .exclude(status=Order.Status.CANCELLED)
    )
    totals = (
        orders.order_by()
        .values(key)
        .annotate(
            n=Count("id"),
            s=Sum("total_amount"),
            first=Count("id", filter=Q(first_for_customer=True)),
        )
    )
    for r in totals:
        row(r[key]).orders = r["n"]
        row(r[key]).revenue = r["s"] or ZERO
        row(r[key]).new_customers = r["first"]

    payments = (
        Payment.objects.filter(scope)
        .filter(
            received_on__gte=start,
            received_on__lte=end,
            currency=currency,
            reversed_at__isnull=True,
        )
        .exclude(method=Payment.Method.POINTS)  # not money collected: summary.collects
    )
    for r in payments.order_by().values(key).annotate(s=Sum("amount")):
        row(r[key]).collected = r["s"] or ZERO

    opportunities = Opportunity.objects.filter(scope)
    closed = (
        opportunities.filter(closed_on__gte=start, closed_on__lte=end)
        .order_by()
        .values(key)
        .annotate(
            won=Count("id", filter=Q(stage__outcome=PipelineStage.Outcome.WON)),
            lost=Count("id", filter=Q(stage__outcome=PipelineStage.Outcome.LOST)),
        )
    )
    for r in closed:
        row(r[key]).won = r["won"]
        row(r[key]).lost = r["lost"]


def _pipeline(
    scope: Q, key: str, currency: str, row: Callable[[int | None], PerformanceRow]
) -> None:
    """Today's open pipeline, weighted by each opportunity's probability."""
    pipeline = (
        Opportunity.objects.filter(scope)
        .filter(stage__outcome=PipelineStage.Outcome.OPEN, currency=currency)
        .order_by()
        .values(key, "probability")
        .annotate(s=Sum("amount"))
    )
    for r in pipeline:
        weighted = (r["s"] or ZERO) * r["probability"] / 100
        row(r[key]).pipeline_weighted += weighted


def _performance_report(
    rows: dict[int | None, PerformanceRow], start: date, end: date, group_by: str, currency: str
) -> PerformanceReport:
    labels = _labels(group_by, [k for k in rows if k is not None])
    result = []
    for k, r in rows.items():
        r.pipeline_weighted = r.pipeline_weighted.quantize(Decimal("0.01"))
        r.label = labels.get(k, "") if k is not None else str(_("(nobody)"))
        result.append(r)
    result.sort(key=lambda r: (-r.revenue, r.label))
    total = PerformanceRow(None, str(_("Total")))
    for r in result:
        # SQLite sums decimals as floats' text; money is shown and sent to the fen.
        r.revenue = r.revenue.quantize(CENT)
        r.collected = r.collected.quantize(CENT)
        total.orders += r.orders
        total.revenue += r.revenue
        total.collected += r.collected
        total.new_customers += r.new_customers
        total.won += r.won
        total.lost += r.lost
        total.pipeline_weighted += r.pipeline_weighted
    return PerformanceReport(start, end, group_by, currency, result, total)


def _labels(group_by: str, keys: list[int]) -> dict[int | None, str]:
    if group_by == "team":
        return dict(Team.objects.filter(pk__in=keys).values_list("pk", "name"))
    return {user.pk: str(user) for user in User.objects.filter(pk__in=keys)}
