"""The dashboards: the figures together, with trends and the previous period, kept."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Max,
    Sum,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.access import managed_team_ids
from kehu.core.kept import queue_once, queued_started
from kehu.customers.models import CustomerChange
from kehu.oversight.kpis.common import PERIODS, KpiFilters, Span, previous_span, span_of
from kehu.oversight.kpis.figures import (
    buyers_figures,
    composition,
    composition_labelled,
    lost_customers,
    overdue_total,
    pipeline_figures,
    risk_counts,
    sales_figures,
    service_figures,
    value_figures,
)
from kehu.oversight.kpis.periods import period_figures_pair
from kehu.oversight.kpis.scope import whole_archive, work_q
from kehu.oversight.kpis.targets import attainment, targets_for
from kehu.oversight.models import CustomerRisk, KeptDashboard, SalesTarget


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
    computed_at: datetime | None = None  # when kept (``dashboard_kept``)
    stale: bool = False  # older than the data: newer figures are being computed


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


def dashboard(
    *, user: User, filters: KpiFilters, today: date | None = None, precomputed: bool = True
) -> Dashboard:
    """Every figure of the leader's dashboard for the filters, with the previous period's.

    ``precomputed``: the sums from the daily sales summary, both periods read together
    (``period_figures_pair``) and the composition in one pass; False reads every figure from
    the raw rows, one function per figure (what the tests hold the fast path to)."""
    today = today or timezone.localdate()
    on = filters.on or today
    period = filters.period if filters.period in PERIODS else "month"
    span = span_of(period, on)
    previous = previous_span(period, span)
    earlier = previous_span(period, previous)
    board = Dashboard(filters=filters, span=span, previous=previous)
    team = filters.team_id
    if precomputed:
        board.figures, board.before = period_figures_pair(user, (earlier, previous, span), team)
    else:
        board.figures = period_figures(user, span, previous, team, today)
        board.before = period_figures(user, previous, earlier, team, today)
    board.figures.update(pipeline_figures(user, span, team, today, from_summary=precomputed))
    board.figures.update(value_figures(user, team))
    board.figures.update(overdue_total(user, team, today))
    board.targets = dict(targets_for(user, span, period, team))
    board.targets["attainment"] = {
        "revenue": attainment(board.figures["revenue"], board.targets["revenue"]),
        "collected": attainment(board.figures["collected"], board.targets["collected"]),
        "new_customers": attainment(board.figures["new_customers"], board.targets["new_customers"]),
        "forecast": attainment(board.figures["forecast"], board.targets["revenue"]),
    }
    board.composition = composition(user, team, one_pass=precomputed)
    board.risks = risk_counts(user, team)
    board.trend = trend(user, team, today)
    return board


def change(now: Any, before: Any) -> float | None:
    """Change against the previous period (%)."""
    if now is None or before in (None, 0):
        return None
    return round((float(now) - float(before)) * 100 / float(before), 1)


# The dashboard is kept per scope and filters (``KeptDashboard``) and computed again in the
# background when it is older than the data: the newest row of each table it reads (a new
# order, payment, case, rating, archive change or risk computation), the day, or KEPT_SECONDS
# for what changes in place (a case resolved).
KEPT_SECONDS = 300


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


def kept_key(user: User, filters: KpiFilters) -> str:
    """The figures' key: whose scope (every whole-archive reader shares one), and the filters."""
    scope = (
        "all"
        if whole_archive(user)
        else f"u{user.pk}-" + ",".join(str(t) for t in sorted(managed_team_ids(user)))
    )
    return f"{scope}:{filters.period}:{filters.on or ''}:{filters.team_id or ''}"


def dashboard_kept(
    *, user: User, filters: KpiFilters, today: date | None = None, fresh: bool = False
) -> Dashboard:
    """The dashboard as kept: computed now only if that scope never asked for these filters
    (or, with ``fresh``, if the kept figures are out of date: the weekly digest); otherwise,
    when they are out of date, the kept figures, marked stale, while new ones are computed in
    the background."""
    today = today or timezone.localdate()
    key = kept_key(user, filters)
    version = data_version()
    kept = KeptDashboard.objects.filter(key=key).first()
    if kept is None or (fresh and not _current(kept, version, today)):
        kept = dashboard_keep(user=user, filters=filters, today=today, version=version)
    elif not _current(kept, version, today):
        from kehu.oversight import tasks

        queue_once(
            _queued_key(key, today),
            KEPT_SECONDS,
            tasks.keep_dashboard,
            user.pk,
            filters.period,
            filters.on.isoformat() if filters.on else "",
            filters.team_id,
            today.isoformat(),
        )
        # With tasks run at once (tests, KEHU_TASKS_IMMEDIATE) the new figures are kept now.
        kept = KeptDashboard.objects.filter(key=key).first() or kept
    board = _from_kept(kept, filters)
    board.stale = not _current(kept, version, today)
    return board


def _queued_key(key: str, today: date) -> str:
    return f"oversight-dashboard:{key}:{today}"


def _current(kept: KeptDashboard, version: str, today: date) -> bool:
    age = (timezone.now() - kept.computed_at).total_seconds()
    return kept.on == today and kept.version == version and age <= KEPT_SECONDS


def dashboard_keep(
    *, user: User, filters: KpiFilters, today: date, version: str | None = None
) -> KeptDashboard:
    """Compute the dashboard for ``user``'s scope and keep it (the background task)."""
    key = kept_key(user, filters)
    queued_started(_queued_key(key, today))
    # The version is read before the figures: a row written meanwhile makes them stale.
    version = version or data_version()
    board = dashboard(user=user, filters=filters, today=today)
    figures = {
        "filters": [filters.period, filters.on, filters.team_id],
        "span": [board.span.start, board.span.end],
        "previous": [board.previous.start, board.previous.end],
        **{name: getattr(board, name) for name in KEPT_FIELDS},
    }
    kept, _created = KeptDashboard.objects.update_or_create(
        key=key,
        defaults={
            "user": user,
            "on": today,
            "version": version,
            "computed_at": timezone.now(),
            "figures": figures,
        },
    )
    return kept


KEPT_FIELDS = ("figures", "before", "targets", "composition", "risks", "trend")


def _from_kept(kept: KeptDashboard, filters: KpiFilters) -> Dashboard:
    """The kept figures, the composition labelled in the reader's language."""
    stored = kept.figures
    board = Dashboard(
        filters=filters,
        span=Span(*stored["span"]),
        previous=Span(*stored["previous"]),
        **{name: stored[name] for name in KEPT_FIELDS},
        computed_at=kept.computed_at,
    )
    board.composition = composition_labelled(board.composition)
    return board
