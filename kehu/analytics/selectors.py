"""Reads of the analytics app, always within the viewer's scope: a rep sees the figures of the
customers the rep may see, and only roles that see the whole archive get its summaries."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kehu.analytics.filters import ValueFilters, value_filter_q
from kehu.analytics.models import AnalyticsRun, CustomerValue, KeptScope, Segment, Tier
from kehu.core.access import (
    can_see_customers,
    require,
    require_archive_admin,
    sees_all_customers,
)
from kehu.core.kept import queue_once, queued_started
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_to

REFRESH_REFUSED = gettext_lazy("Only archive administrators may refresh the analytics.")


ANALYTICS_REFUSED = gettext_lazy("You may not see customer analytics.")


def run_latest_done() -> AnalyticsRun | None:
    return AnalyticsRun.objects.filter(status=AnalyticsRun.Status.DONE).order_by("-id").first()


def run_latest() -> AnalyticsRun | None:
    return AnalyticsRun.objects.order_by("-id").first()


def run_get(*, user: Any, run_id: int) -> AnalyticsRun:
    require_archive_admin(user, REFRESH_REFUSED)
    run = AnalyticsRun.objects.filter(pk=run_id).first()
    if run is None:
        from django.http import Http404

        raise Http404
    return run


def value_for_customer(*, user: Any, customer_id: int) -> CustomerValue | None:
    """A customer's figures if ``user`` may see the customer (else ``Http404``), or None when
    the customer has no purchases (or no refresh ran yet)."""
    from django.http import Http404

    if not customers_visible_to(user).filter(pk=customer_id).exists():
        raise Http404
    return CustomerValue.objects.filter(customer_id=customer_id).first()


LIST_SIZE = 10


def value_customers(*, user: Any, filters: ValueFilters) -> QuerySet[Customer]:
    """The live customers ``user`` may see that match ``filters``, by revenue rank."""
    require(user, can_see_customers, ANALYTICS_REFUSED)
    return (
        customers_visible_to(user)
        .live()
        .filter(value__isnull=False)
        .filter(value_filter_q(filters))
        .select_related("value", "owner")
        .order_by("value__revenue_rank")
    )


def values_visible_to(user: Any) -> QuerySet[CustomerValue]:
    return CustomerValue.objects.filter(customer__in=customers_visible_to(user).live())


@dataclass
class ScopeFigures:
    """The overview's figures for a viewer who sees part of the archive, from ONE read of the
    value rows in their scope (before: one query per grid and per list, each walking the
    scope again — six walks, 2.4 s for a rep with 30,000 customers at 100,000), kept between
    views (``KeptScope``): at 1,000,000 customers that read is 1.6 s for a rep."""

    segments: dict[str, dict[str, Any]]
    tiers: dict[str, dict[str, Any]]
    lists: dict[str, list[int]]  # kind -> customer ids in the list's order
    computed_at: datetime | None = None
    stale: bool = False  # newer figures are being computed


# Kept figures older than this, or from an earlier refresh, are computed again in the
# background (the page shows them meanwhile): a customer handed to or from the viewer counts
# within ten minutes of the viewer looking. The lists are checked against the scope on every
# view, so they never show a customer the viewer no longer sees.
SCOPE_SECONDS = 600


def scope_figures(*, user: Any, run: AnalyticsRun) -> ScopeFigures:
    """The overview's figures for ``user``'s scope, as kept: computed now only the first time;
    when kept from an earlier refresh or over SCOPE_SECONDS old, the kept ones (marked stale)
    while new ones are computed in the background."""
    require(user, can_see_customers, ANALYTICS_REFUSED)
    kept = KeptScope.objects.filter(user=user).first()
    if kept is None:
        kept = scope_figures_keep(user=user, run=run)
    elif not _current(kept, run):
        scope_figures_queue(user.pk)
        # With tasks run at once (tests, KEHU_TASKS_IMMEDIATE) the new figures are kept now.
        kept = KeptScope.objects.filter(user=user).first() or kept
    return ScopeFigures(**kept.figures, computed_at=kept.computed_at, stale=not _current(kept, run))


def _current(kept: KeptScope, run: AnalyticsRun) -> bool:
    age = (timezone.now() - kept.computed_at).total_seconds()
    return kept.run_id == run.pk and age <= SCOPE_SECONDS


def scope_figures_queue(user_id: int) -> None:
    """Compute the viewer's figures in the background, unless that is queued already."""
    from kehu.analytics import tasks

    queue_once(f"analytics-scope:{user_id}", SCOPE_SECONDS, tasks.keep_scope_figures, user_id)


def scope_figures_keep(*, user: Any, run: AnalyticsRun) -> KeptScope:
    """Read the viewer's scope once and keep its figures (the background task)."""
    queued_started(f"analytics-scope:{user.pk}")
    figures = _scope_figures(user)
    kept, _created = KeptScope.objects.update_or_create(
        user=user,
        defaults={
            "run": run,
            "computed_at": timezone.now(),
            "figures": {
                "segments": figures.segments,
                "tiers": figures.tiers,
                "lists": figures.lists,
            },
        },
    )
    return kept


def _scope_figures(user: Any) -> ScopeFigures:
    scope = (
        customers_visible_to(user)
        .exclude(status__in=[Customer.Status.ARCHIVED, Customer.Status.MERGED])
        .values("pk")
    )
    scope_sql, params = scope.query.sql_with_params()
    quote = connection.ops.quote_name
    values, customers = quote(CustomerValue._meta.db_table), quote(Customer._meta.db_table)
    # Typed NULLs: PostgreSQL takes an untyped one in a subquery for text.
    none = "CAST(NULL AS TEXT), CAST(NULL AS TEXT)"
    no_count = "CAST(NULL AS BIGINT), CAST(NULL AS DOUBLE PRECISION)"
    # One statement: the scope's value rows read once into a materialised table, then the
    # grids grouped and each list's first rows taken from it (on SQLite and PostgreSQL).
    sql = f"""
        WITH s AS MATERIALIZED (
            SELECT v.customer_id AS id, v.segment, v.tier,
                   CAST(v.revenue AS DOUBLE PRECISION) AS revenue, v.churn_risk,
                   v.revenue_rank AS rank, v.change_365 AS change,
                   CAST(v.spend_365 - v.spend_prev_365 AS DOUBLE PRECISION) AS delta,
                   v.suggested_grade AS suggested, c.grade
            FROM {values} v JOIN {customers} c ON c.id = v.customer_id
            WHERE v.customer_id IN ({scope_sql}))
        SELECT 'grid', segment, tier, CAST(NULL AS BIGINT), COUNT(*), SUM(revenue)
            FROM s GROUP BY segment, tier
        UNION ALL SELECT * FROM (SELECT 'churn', {none}, id, {no_count} FROM s
            WHERE churn_risk ORDER BY rank LIMIT {LIST_SIZE}) a
        UNION ALL SELECT * FROM (SELECT 'growth', {none}, id, {no_count} FROM s
            WHERE change > 0 ORDER BY delta DESC, rank LIMIT {LIST_SIZE}) b
        UNION ALL SELECT * FROM (SELECT 'decline', {none}, id, {no_count} FROM s
            WHERE change < 0 ORDER BY delta, rank LIMIT {LIST_SIZE}) d
        UNION ALL SELECT * FROM (SELECT 'disagreement', {none}, id, {no_count} FROM s
            WHERE grade <> %s AND suggested <> grade ORDER BY rank LIMIT {LIST_SIZE}) e
    """  # noqa: S608 (names from the models)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, Customer.Grade.SPECIAL.value])
        rows = cursor.fetchall()
    segments: dict[str, dict[str, Any]] = {}
    tiers: dict[str, dict[str, Any]] = {}
    lists: dict[str, list[int]] = {k: [] for k in ("churn", "growth", "decline", "disagreement")}
    for kind, segment, tier, pk, count, revenue in rows:
        if kind != "grid":
            lists[kind].append(pk)
            continue
        for groups, key in ((segments, segment), (tiers, tier)):
            group = groups.setdefault(key, {"count": 0, "revenue": 0.0})
            group["count"] += count
            group["revenue"] += revenue or 0.0
    return ScopeFigures(segments=segments, tiers=tiers, lists=lists)


def scope_list(*, user: Any, ids: list[int]) -> list[Customer]:
    """The customers of a headline list found by ``scope_figures``, in its order (checked
    against the scope again: the ids came from it in this request)."""
    found = {c.pk: c for c in value_customers(user=user, filters=ValueFilters()).filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def segment_grid(
    *, user: Any, run: AnalyticsRun | None, figures: ScopeFigures | None = None
) -> list[dict[str, Any]]:
    """Customers and revenue per RFM segment, in the viewer's scope (read from the refresh's
    summary for roles that see every customer)."""
    require(user, can_see_customers, ANALYTICS_REFUSED)
    if run is not None and sees_all_customers(user) and "segments" in run.summary:
        stored = run.summary["segments"]
    elif figures is not None:
        stored = figures.segments
    else:
        stored = {
            row["segment"]: {"count": row["count"], "revenue": float(row["revenue"] or 0)}
            for row in values_visible_to(user)
            .values("segment")
            .annotate(count=Count("pk"), revenue=Sum("revenue"))
            .order_by()
        }
    labels = dict(Segment.choices)
    return [
        {
            "code": code,
            "label": str(labels[code]),
            "count": stored.get(code, {}).get("count", 0),
            "revenue": round(stored.get(code, {}).get("revenue", 0.0), 2),
        }
        for code in Segment.values
    ]


def tier_counts(
    *, user: Any, run: AnalyticsRun | None, figures: ScopeFigures | None = None
) -> list[dict[str, Any]]:
    require(user, can_see_customers, ANALYTICS_REFUSED)
    if run is not None and sees_all_customers(user) and "tiers" in run.summary:
        stored = run.summary["tiers"]
    elif figures is not None:
        stored = figures.tiers
    else:
        stored = {
            row["tier"]: {"count": row["count"], "revenue": float(row["revenue"] or 0)}
            for row in values_visible_to(user)
            .values("tier")
            .annotate(count=Count("pk"), revenue=Sum("revenue"))
            .order_by()
        }
    labels = dict(Tier.choices)
    return [
        {
            "code": code,
            "label": str(labels[code]),
            "count": stored.get(code, {}).get("count", 0),
            "revenue": round(stored.get(code, {}).get("revenue", 0.0), 2),
        }
        for code in Tier.values
    ]


def top_list(*, user: Any, kind: str, run: AnalyticsRun | None = None) -> list[Customer]:
    """The first customers of a headline list: churn risk, growth, decline, disagreements.
    For whole-archive viewers the refresh kept the candidates (``summary["lists"]``)."""
    filters = {
        "churn": ValueFilters(churn_risk=True),
        "growth": ValueFilters(trend="growth"),
        "decline": ValueFilters(trend="decline"),
        "disagreement": ValueFilters(disagreement=True),
    }[kind]
    customers = value_customers(user=user, filters=filters)
    stored = (run.summary.get("lists", {}) if run is not None else {}).get(kind)
    if stored is not None and sees_all_customers(user):
        customers = customers.filter(pk__in=stored)
    # by the change in money, not in per cent (a small base makes any rise look huge)
    change = F("value__spend_365") - F("value__spend_prev_365")
    if kind == "growth":
        customers = customers.order_by(change.desc(), "value__revenue_rank")
    elif kind == "decline":
        customers = customers.order_by(change.asc(), "value__revenue_rank")
    return list(customers[:LIST_SIZE])


def monthly_spend(*, customer: Customer, today: date, months: int = 12) -> list[float]:
    """The customer's spend per month over the last ``months`` months (orders not cancelled),
    oldest first: the value card's sparkline. One indexed range read of one customer."""
    from kehu.sales.models import Order

    start = date(today.year, today.month, 1)
    for _i in range(months - 1):
        start = date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)
    totals = [0.0] * months
    rows = (
        Order.objects.filter(customer=customer, ordered_on__gte=start, ordered_on__lte=today)
        .exclude(status=Order.Status.CANCELLED)
        .values_list("ordered_on", "total_amount")
    )
    for ordered_on, amount in rows:
        slot = (ordered_on.year - start.year) * 12 + ordered_on.month - start.month
        totals[slot] += float(amount)
    return [round(v, 2) for v in totals]
