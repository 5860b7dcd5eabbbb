"""Orders and payments, and a customer's sales: lifetime totals, receivables with ageing."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.sales.models import (
    DEFAULT_CURRENCY,
    ZERO,
    Order,
    Payment,
)
from kehu.sales.selectors.scope import CENT, orders_visible_to, payments_visible_to

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
