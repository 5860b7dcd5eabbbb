"""Every read of sales records, scoped by the customers the user may see.

"A rep sees the orders of customers they may see": orders, payments and opportunities are
narrowed by ``customer IN (customers_visible_to(user))``; roles that see every customer skip
the subquery.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Role, Team, User
from kehu.core.access import record_scope_q, sees_all_customers
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_to
from kehu.interactions.timeline import TimelineItem, register
from kehu.sales.models import (
    DEFAULT_CURRENCY,
    ZERO,
    Opportunity,
    OpportunityMove,
    Order,
    Payment,
    PipelineStage,
    Product,
    SalesCorrection,
    SalesDaily,
)

CENT = Decimal("0.01")


# --- scope ------------------------------------------------------------------------------------


def _scoped(queryset: QuerySet[Any], user: User, customer_field: str = "customer") -> QuerySet[Any]:
    if sees_all_customers(user):
        return queryset
    return queryset.filter(**{f"{customer_field}__in": customers_visible_to(user).values("pk")})


def orders_visible_to(user: User) -> QuerySet[Order]:
    return _scoped(Order.objects.all(), user)


def payments_visible_to(user: User) -> QuerySet[Payment]:
    return _scoped(Payment.objects.all(), user)


def opportunities_visible_to(user: User) -> QuerySet[Opportunity]:
    return _scoped(Opportunity.objects.all(), user)


def order_get_for_user(*, user: User, order_id: int) -> Order:
    """The order with its lines and payments, if ``user`` may see its customer; else 404."""
    order = (
        orders_visible_to(user)
        .select_related("customer", "owner", "team", "opportunity")
        .prefetch_related("lines__product", "payments__recorded_by")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise Http404
    return order


def order_pk_subquery() -> Subquery:
    return Subquery(Order.objects.filter(opportunity=OuterRef("pk")).values("pk")[:1])


def opportunity_get_for_user(*, user: User, opportunity_id: int) -> Opportunity:
    opportunity = (
        opportunities_visible_to(user)
        .select_related("customer", "owner", "stage")
        .annotate(order_pk=order_pk_subquery())
        .filter(pk=opportunity_id)
        .first()
    )
    if opportunity is None:
        raise Http404
    return opportunity


# --- products ---------------------------------------------------------------------------------


def product_list(*, q: str = "", status: str = "", category: str = "") -> QuerySet[Product]:
    queryset = Product.objects.all()
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if status:
        queryset = queryset.filter(status=status)
    if category:
        queryset = queryset.filter(category=category)
    return queryset.order_by("code")


def product_get(*, product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise Http404
    return product


def products_on_sale() -> QuerySet[Product]:
    return Product.objects.filter(status=Product.Status.ACTIVE).order_by("category", "code")


# --- orders and payments ----------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilters:
    customer_id: int | None = None
    owner_id: int | None = None
    status: str = ""
    channel: str = ""
    since: date | None = None
    until: date | None = None
    unpaid: bool = False


def order_list(*, user: User, filters: OrderFilters) -> QuerySet[Order]:
    queryset = orders_visible_to(user)
    exact = {
        "customer_id": filters.customer_id,
        "owner_id": filters.owner_id,
        "status": filters.status,
        "channel": filters.channel,
        "ordered_on__gte": filters.since,
        "ordered_on__lte": filters.until,
    }
    queryset = queryset.filter(**{k: v for k, v in exact.items() if v not in (None, "")})
    if filters.unpaid:
        queryset = queryset.exclude(status=Order.Status.CANCELLED).filter(
            paid_amount__lt=F("total_amount")
        )
    return queryset.select_related("customer", "owner").order_by("-ordered_on", "-id")


def payment_list(
    *, user: User, order_id: int | None = None, customer_id: int | None = None
) -> QuerySet[Payment]:
    queryset = payments_visible_to(user)
    if order_id is not None:
        queryset = queryset.filter(order_id=order_id)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    return queryset.select_related("order", "customer", "recorded_by").order_by(
        "-received_on", "-id"
    )


# --- a customer's sales: lifetime totals, receivables with ageing -----------------------------


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    orders: int
    revenue: Decimal
    paid: Decimal

    @property
    def average(self) -> Decimal:
        return (self.revenue / self.orders).quantize(Decimal("0.01")) if self.orders else ZERO


@dataclass
class SalesSummary:
    totals: list[CurrencyTotal]
    first_ordered_on: date | None
    last_ordered_on: date | None
    recent: list[Order]


def customer_sales_summary(*, customer: Customer, recent: int = 5) -> SalesSummary:
    """Lifetime totals per currency (cancelled orders left out) and the latest orders."""
    live = Order.objects.filter(customer=customer).exclude(status=Order.Status.CANCELLED)
    rows = (
        live.values("currency")
        .annotate(
            n=Count("id"),
            revenue=Sum("total_amount"),
            paid=Sum("paid_amount"),
            first=Min("ordered_on"),
            last=Max("ordered_on"),
        )
        .order_by("currency")
    )
    totals, firsts, lasts = [], [], []
    for row in rows:
        revenue, paid = row["revenue"].quantize(CENT), row["paid"].quantize(CENT)
        totals.append(CurrencyTotal(row["currency"], row["n"], revenue, paid))
        firsts.append(row["first"])
        lasts.append(row["last"])
    latest = list(
        Order.objects.filter(customer=customer)
        .select_related("owner")
        .order_by("-ordered_on", "-id")[:recent]
    )
    return SalesSummary(
        totals=totals,
        first_ordered_on=min(firsts) if firsts else None,
        last_ordered_on=max(lasts) if lasts else None,
        recent=latest,
    )


AGEING_BUCKETS: list[tuple[str, str, int, int | None]] = [
    # key, label, from day, to day (inclusive; None: no end)
    ("d0_30", "0–30", 0, 30),
    ("d31_60", "31–60", 31, 60),
    ("d61_90", "61–90", 61, 90),
    ("d90_plus", "90+", 91, None),
]


def ageing_bucket(days: int) -> str:
    """The bucket of an amount ``days`` after its order date (0–30, 31–60, 61–90, 90+)."""
    for key, _label, start, end in AGEING_BUCKETS:
        if days >= start and (end is None or days <= end):
            return key
    return AGEING_BUCKETS[0][0]  # dated in the future: the youngest bucket


@dataclass
class OpenItem:
    order: Order
    outstanding: Decimal
    days: int
    bucket: str


@dataclass
class Receivables:
    """What ``customer`` owes in one currency on ``as_of``, aged from each order's date."""

    currency: str
    as_of: date
    outstanding: Decimal
    buckets: dict[str, Decimal]
    items: list[OpenItem] = field(default_factory=list)
    credit_limit: Decimal | None = None

    @property
    def credit_used_percent(self) -> Decimal | None:
        """Outstanding as a share of the credit limit (资信额度), None without a limit."""
        if not self.credit_limit:
            return None
        return (self.outstanding * 100 / self.credit_limit).quantize(Decimal("0.1"))

    @property
    def over_limit(self) -> bool:
        return self.credit_limit is not None and self.outstanding > self.credit_limit

    @property
    def bucket_rows(self) -> list[tuple[str, str, Decimal]]:
        return [(key, label, self.buckets[key]) for key, label, _s, _e in AGEING_BUCKETS]


def _credit_limit(customer: Customer) -> Decimal | None:
    if customer.kind != Customer.Kind.ORGANIZATION:
        return None
    try:
        limit: Decimal | None = customer.organization.credit_limit
    except Customer.organization.RelatedObjectDoesNotExist:
        return None
    return limit


def customer_receivables(
    *, customer: Customer, as_of: date | None = None, currency: str = ""
) -> list[Receivables]:
    """Outstanding amounts per currency with ageing buckets and, for the organization's
    currency (CNY), the credit limit usage. Orders dated after ``as_of`` are not counted,
    nor payments received after it."""
    as_of = as_of or timezone.localdate()
    orders = (
        Order.objects.filter(customer=customer, ordered_on__lte=as_of)
        .exclude(status=Order.Status.CANCELLED)
        .order_by("ordered_on", "id")
    )
    if currency:
        orders = orders.filter(currency=currency)
    # Payments are never received in the future: as of today or later there are none to
    # take back, and the 360° page saves the query.
    later = (
        {}
        if as_of >= timezone.localdate()
        else dict(
            Payment.objects.filter(
                customer=customer, received_on__gt=as_of, reversed_at__isnull=True
            )
            .values("order_id")
            .annotate(s=Sum("amount"))
            .values_list("order_id", "s")
        )
    )
    by_currency: dict[str, Receivables] = {}
    for order in orders.filter(Q(paid_amount__lt=F("total_amount")) | Q(pk__in=list(later))):
        paid = order.paid_amount - later.get(order.pk, ZERO)
        left = order.total_amount - paid
        if left <= 0:
            continue
        days = (as_of - order.ordered_on).days
        bucket = ageing_bucket(days)
        rec = by_currency.get(order.currency)
        if rec is None:
            rec = by_currency[order.currency] = Receivables(
                currency=order.currency,
                as_of=as_of,
                outstanding=ZERO,
                buckets={key: ZERO for key, *_ in AGEING_BUCKETS},
            )
        rec.outstanding += left
        rec.buckets[bucket] += left
        rec.items.append(OpenItem(order=order, outstanding=left, days=days, bucket=bucket))
    limit = _credit_limit(customer)
    if limit is not None and (not currency or currency == DEFAULT_CURRENCY):
        rec = by_currency.setdefault(
            DEFAULT_CURRENCY,
            Receivables(
                currency=DEFAULT_CURRENCY,
                as_of=as_of,
                outstanding=ZERO,
                buckets={key: ZERO for key, *_ in AGEING_BUCKETS},
            ),
        )
        rec.credit_limit = limit
    return [by_currency[c] for c in sorted(by_currency, key=lambda c: (c != DEFAULT_CURRENCY, c))]


# --- opportunities and the pipeline -----------------------------------------------------------


def pipeline_stages(*, include_inactive: bool = False) -> list[PipelineStage]:
    queryset = PipelineStage.objects.all()
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return list(queryset.order_by("sort_order", "id"))


def pipeline_stage_rows() -> list[PipelineStage]:
    """The stages in use with ``opportunity_count`` (the opportunities in each), for the settings
    page: one grouped count over the stage index."""
    counts = dict(
        Opportunity.objects.order_by()
        .values("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    stages = pipeline_stages()
    for stage in stages:
        stage.opportunity_count = counts.get(stage.pk, 0)  # type: ignore[attr-defined]
    return stages


@dataclass(frozen=True)
class OpportunityFilters:
    customer_id: int | None = None
    owner_id: int | None = None
    stage: str = ""
    open_only: bool = False
    q: str = ""


def opportunity_list(*, user: User, filters: OpportunityFilters) -> QuerySet[Opportunity]:
    queryset = opportunities_visible_to(user)
    if filters.customer_id is not None:
        queryset = queryset.filter(customer_id=filters.customer_id)
    if filters.owner_id is not None:
        queryset = queryset.filter(owner_id=filters.owner_id)
    if filters.stage:
        queryset = queryset.filter(stage__code=filters.stage)
    if filters.open_only:
        queryset = queryset.filter(stage__outcome=PipelineStage.Outcome.OPEN)
    if filters.q:
        queryset = queryset.filter(Q(name__icontains=filters.q) | Q(customer__name=filters.q))
    return queryset.select_related("customer", "owner", "stage").order_by("-id")


@dataclass
class KanbanColumn:
    stage: PipelineStage
    cards: list[Opportunity]
    count: int
    amount: Decimal
    weighted: Decimal


KANBAN_CARDS_PER_STAGE = 50
CLOSED_COLUMN_DAYS = 90  # won and lost columns show what closed in the last 90 days


def kanban_board(*, user: User, filters: OpportunityFilters) -> list[KanbanColumn]:
    """The pipeline's columns: the newest cards of each stage, with counts and sums."""
    stages = pipeline_stages()
    base = opportunity_list(user=user, filters=filters)
    since = timezone.localdate() - timedelta(days=CLOSED_COLUMN_DAYS)
    base = base.filter(Q(closed_on__isnull=True) | Q(closed_on__gte=since))
    sums = {
        row["stage_id"]: row
        for row in base.order_by().values("stage_id").annotate(n=Count("id"), amount=Sum("amount"))
    }
    columns = []
    for stage in stages:
        cards = list(base.filter(stage=stage)[:KANBAN_CARDS_PER_STAGE])
        row = sums.get(stage.pk, {"n": 0, "amount": ZERO})
        amount = (row["amount"] or ZERO).quantize(CENT)
        columns.append(
            KanbanColumn(
                stage=stage,
                cards=cards,
                count=row["n"],
                amount=amount,
                weighted=(amount * stage.probability / 100).quantize(Decimal("0.01")),
            )
        )
    return columns


def customer_open_opportunities(*, customer: Customer, limit: int = 10) -> list[Opportunity]:
    return list(
        Opportunity.objects.filter(customer=customer, stage__outcome=PipelineStage.Outcome.OPEN)
        .select_related("stage", "owner")
        .order_by("expected_close_on", "-id")[:limit]
    )


def win_rate(won: int, lost: int) -> Decimal | None:
    """Won ÷ (won + lost) as a percentage with one decimal; None when nothing closed."""
    if won + lost == 0:
        return None
    return (Decimal(won) * 100 / (won + lost)).quantize(Decimal("0.1"))


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

    payments = Payment.objects.filter(scope).filter(
        received_on__gte=start, received_on__lte=end, currency=currency, reversed_at__isnull=True
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


# --- timeline ---------------------------------------------------------------------------------


def _day_end(day: date) -> datetime:
    """Orders and payments carry a date; on the timeline they sit at noon of that day."""
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def _before_day(before: datetime | None, field: str) -> Q:
    if before is None:
        return Q()
    day = timezone.localdate(before)
    # Noon of ``day`` is before ``before`` only if ``before`` is past noon.
    if before > _day_end(day):
        return Q(**{f"{field}__lte": day})
    return Q(**{f"{field}__lt": day})


@register("order", _("Orders"))
def order_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    rows = (
        Order.objects.filter(customer=customer)
        .select_related("owner")
        .filter(_before_day(before, "ordered_on"))
        .order_by("-ordered_on", "-id")[:limit]
    )
    return [
        TimelineItem(
            kind="order",
            at=_day_end(order.ordered_on),
            title=_("Order %(number)s") % {"number": order.number},
            body=f"{order.total_amount:,} {order.currency} · {order.get_status_display()}",
            by=str(order.owner) if order.owner else "",
            channel=order.get_channel_display(),
            url=order.get_absolute_url(),
        )
        for order in rows
    ]


@register("payment", _("Payments"))
def payment_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    rows = (
        Payment.objects.filter(customer=customer)
        .select_related("order", "recorded_by")
        .filter(_before_day(before, "received_on"))
        .order_by("-received_on", "-id")[:limit]
    )
    return [
        TimelineItem(
            kind="payment",
            at=_day_end(payment.received_on),
            title=_("Payment received")
            if payment.reversed_at is None
            else _("Payment reversed: %(reason)s") % {"reason": payment.reversal_reason},
            body=f"{payment.amount:,} {payment.currency} · {payment.order.number}",
            by=str(payment.recorded_by) if payment.recorded_by else "",
            channel=payment.get_method_display(),
            url=payment.order.get_absolute_url(),
        )
        for payment in rows
    ]


@register("opportunity", _("Opportunities"))
def opportunity_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    rows = OpportunityMove.objects.filter(opportunity__customer=customer).select_related(
        "opportunity", "from_stage", "to_stage", "moved_by"
    )
    if before is not None:
        rows = rows.filter(moved_at__lt=before)
    items = []
    for move in rows.order_by("-moved_at", "-id")[:limit]:
        opp = move.opportunity
        if move.from_stage is None:
            title = _("Opportunity opened: %(name)s") % {"name": opp.name}
        else:
            title = _("Opportunity %(name)s: %(from)s → %(to)s") % {
                "name": opp.name,
                "from": move.from_stage.label,
                "to": move.to_stage.label,
            }
        items.append(
            TimelineItem(
                kind="opportunity",
                at=move.moved_at,
                title=title,
                body=f"{opp.amount:,} {opp.currency}",
                by=str(move.moved_by) if move.moved_by else "",
                url=opp.get_absolute_url(),
                detail=move.to_stage.outcome,
            )
        )
    return items


def payment_get_for_user(*, user: Any, payment_id: int) -> Payment:
    """The payment with its order, if ``user`` may see its customer; else 404."""
    payment = (
        payments_visible_to(user)
        .select_related("order__customer", "recorded_by", "reversed_by")
        .filter(pk=payment_id)
        .first()
    )
    if payment is None:
        raise Http404
    return payment


def corrections_of(*, order: Order | None = None, opportunity: Opportunity | None = None) -> Any:
    """The corrections of an order or an opportunity, newest first."""
    rows = SalesCorrection.objects.select_related("changed_by", "payment")
    if order is not None:
        rows = rows.filter(order=order)
    if opportunity is not None:
        rows = rows.filter(opportunity=opportunity)
    return rows.order_by("-changed_at", "-id")


def possible_owners(*, customer: Customer) -> QuerySet[User]:
    """Active users of the roles that may own sales records (the service checks that the one
    chosen may change ``customer``)."""
    return User.objects.filter(
        is_active=True, role__in=[Role.SALES_REP, Role.ARCHIVE_ADMIN, Role.ADMIN]
    ).order_by("username")
