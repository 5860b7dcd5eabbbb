"""Reads of the oversight app, each scoped by the user: the risk list and a customer's risk,
alerts, the receivables ageing report, reviews due and done, growth and decline, targets, the
service figures."""

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    DateTimeField,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.http import Http404
from django.utils import timezone

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.customers.selectors import (
    customer_get_for_user,
    customers_visible_q,
    customers_visible_to,
)
from kehu.oversight.access import can_read_oversight, require_reader
from kehu.oversight.kpis import ZERO, live_rows, work_q
from kehu.oversight.models import (
    CustomerRisk,
    Review,
    ReviewCycle,
    ReviewSchedule,
    RiskAlert,
    RiskLevel,
    SalesTarget,
    Watch,
)
from kehu.oversight.services import DEFAULT_CYCLES, MAX_CYCLE_MONTHS, review_cycles

# --- risks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskFilters:
    level: int | None = None
    rule: str = ""
    owner_id: int | None = None
    team_id: int | None = None


def risk_list(*, user: User, filters: RiskFilters) -> QuerySet[CustomerRisk]:
    """Customers at risk that ``user`` sees, highest level first."""
    require_reader(user)
    # The scope as a test per risk, in the order of the (level, customer) index, so the first
    # page stops after its rows. As a join condition, SQLite first built a Bloom filter of
    # every customer in scope: 170–190 ms for a rep's eight at 1,000,000 customers, 3 ms now.
    visible = Customer.objects.filter(
        customers_visible_q(user, prefix=""),
        pk=OuterRef("customer_id"),
        status__in=Customer.LIVE_STATUSES,
    )
    rows = CustomerRisk.objects.filter(Exists(visible))
    if filters.level:
        rows = rows.filter(level=filters.level)
    if filters.rule:
        rows = rows.filter(rules__contains=f",{filters.rule},")
    if filters.owner_id:
        rows = rows.filter(customer__owner_id=filters.owner_id)
    if filters.team_id:
        rows = rows.filter(customer__team_id=filters.team_id)
    return rows.select_related("customer", "customer__owner", "customer__team").order_by(
        "-level", "-customer_id"
    )


def risk_for_customer(*, user: User, customer_id: int) -> CustomerRisk | None:
    customer_get_for_user(user=user, customer_id=customer_id)
    return CustomerRisk.objects.filter(customer_id=customer_id).first()


def alert_list(*, user: User, open_only: bool = False) -> QuerySet[RiskAlert]:
    require_reader(user)
    rows = RiskAlert.objects.filter(customers_visible_q(user, prefix="customer__"))
    if open_only:
        rows = rows.filter(acknowledged_at__isnull=True)
    return rows.select_related("customer", "acknowledged_by").order_by("-raised_at", "-id")


def alert_get_for_user(*, user: User, alert_id: int) -> RiskAlert:
    alert = (
        RiskAlert.objects.filter(customers_visible_q(user, prefix="customer__"), pk=alert_id)
        .select_related("customer")
        .first()
    )
    if alert is None:
        raise Http404
    return alert


def customer_alerts(*, customer: Customer, limit: int = 5) -> list[RiskAlert]:
    return list(
        RiskAlert.objects.filter(customer=customer).select_related("acknowledged_by")[:limit]
    )


# --- receivables ageing ---------------------------------------------------------------------

AGEING = (("d0_30", 0, 30), ("d31_60", 31, 60), ("d61_90", 61, 90), ("d90_plus", 91, None))
GROUPS = {"team": "customer__team", "owner": "customer__owner", "customer": "customer"}


def ageing_report(
    *, user: User, group_by: str = "owner", as_of: date | None = None, team_id: int | None = None
) -> list[dict[str, Any]]:
    """Open receivables (CNY, not cancelled) per team, owner or customer in ``user``'s scope:
    outstanding in the ageing buckets (days since the order date) and, per customer, the credit
    limit and its use. Biggest outstanding first."""
    from kehu.sales.models import DEFAULT_CURRENCY, Order

    require_reader(user)
    as_of = as_of or timezone.localdate()
    key = GROUPS.get(group_by, GROUPS["owner"])
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=18, decimal_places=2)
    left = ExpressionWrapper(F("total_amount") - F("paid_amount"), output_field=money)
    buckets = {}
    for name, start, end in AGEING:
        cond = Q(ordered_on__lte=as_of - timedelta(days=start))
        if end is not None:
            cond &= Q(ordered_on__gte=as_of - timedelta(days=end))
        buckets[name] = Sum(left, filter=cond, default=ZERO)
    orders = (
        Order.objects.filter(
            customers_visible_q(user, prefix="customer__"),
            customer__status__in=Customer.LIVE_STATUSES,
            currency=DEFAULT_CURRENCY,
            paid_amount__lt=F("total_amount"),
            ordered_on__lte=as_of,
        )
        .exclude(status=Order.Status.CANCELLED)
        .order_by()
    )
    if team_id:
        orders = orders.filter(customer__team_id=team_id)
    extra: dict[str, Any] = {}
    if key == "customer":
        extra = {
            "name": F("customer__name"),
            "limit": F("customer__organization__credit_limit"),
        }
    elif key == "customer__owner":
        extra = {
            "name": F("customer__owner__display_name"),
            "login": F("customer__owner__username"),
        }
    else:
        extra = {"name": F("customer__team__name")}
    rows = (
        orders.values(key)
        .annotate(outstanding=Sum(left), customers=Count("customer_id", distinct=True), **buckets)
        .annotate(**extra)
        .order_by("-outstanding")
    )
    out = []
    for r in rows[:500]:
        row = {
            "key": r[key],
            "name": r.get("name") or r.get("login") or "",
            "outstanding": r["outstanding"],
            "customers": r["customers"],
            "buckets": {name: r[name] for name, _s, _e in AGEING},
        }
        if key == "customer":
            limit = r.get("limit")
            row["credit_limit"] = limit
            row["credit_used"] = (
                round(float(r["outstanding"]) * 100 / float(limit), 1) if limit else None
            )
        out.append(row)
    return out


# --- reviews --------------------------------------------------------------------------------


def _months_before(day: date, months: int) -> date:
    month = day.month - 1 - months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    return day


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


@functools.lru_cache(maxsize=8)
def _cycle_cutoffs(
    today: date, timezone_name: str, vendor: str
) -> tuple[dict[int, datetime], str, tuple[Any, ...]]:
    """Each cycle's cutoff on ``today`` (months → the start of the day after that many months
    before), and the SQL ``CASE`` mapping a cycle's months to it with its parameters.

    The same all day for every user, so worked out once per day, time zone and database
    (the menu's badge asks on every page). A cycle's months → its cutoff is written out as
    SQL: as Django's expressions, 60 branches per grade would cost more to build than the
    count costs to run."""
    cutoffs = {
        m: _day_start(_months_before(today, m) + timedelta(days=1))
        for m in range(1, MAX_CYCLE_MONTHS + 1)
    }
    case = "CASE months " + " ".join(["WHEN %s THEN %s"] * len(cutoffs)) + " END"
    params = tuple(
        value
        for m, day in cutoffs.items()
        for value in (m, connection.ops.adapt_datetimefield_value(day))
    )
    return cutoffs, case, params


def _cycle_due_qs(today: date) -> list[Q]:
    """Per grade, never-scheduled customers of that grade whose last review — or creation — is
    its cycle old on ``today`` (without the "never scheduled" test).

    The cycles are read within the query (the grade's row, else its default, as
    ``review_cycles`` creates them), so asking costs no query of its own: the menu's badge
    counts the customers due on every page. Each grade's cutoff is a subquery that does not
    depend on the customer, computed once per query."""
    cutoffs, case, params = _cycle_cutoffs(
        today, timezone.get_current_timezone_name(), connection.vendor
    )
    parts = []
    for grade, default in DEFAULT_CYCLES.items():
        cycle = ReviewCycle.objects.filter(grade=grade).annotate(
            cutoff=RawSQL(case, list(params), output_field=DateTimeField())  # noqa: S611
        )
        since = Coalesce(Subquery(cycle.values("cutoff")[:1]), Value(cutoffs[default]))
        # the last review, or (never reviewed) the creation, before the cutoff: the expression
        # of the index customers_review_cycle, so that each grade's part is a range of it
        parts.append(Q(grade=grade) & Q(LessThan(Coalesce("reviewed_at", "created_at"), since)))
    return parts


def review_due_q(today: date) -> Q:
    """Customers due for review on ``today``: their scheduled date has come, or (never
    scheduled) their last review — or creation — is a grade's cycle old.

    For a list. To count, ``reviews_due_rows``: the same rule as disjoint parts, each found
    through an index rather than tested customer by customer."""
    scheduled = ReviewSchedule.objects.filter(customer_id=OuterRef("pk"))
    by_cycle = Q(pk__in=[])
    for part in _cycle_due_qs(today):
        by_cycle |= part
    return Q(Exists(scheduled.filter(due_on__lte=today))) | (~Q(Exists(scheduled)) & by_cycle)


def reviews_due_rows(customers: QuerySet[Customer], today: date) -> QuerySet[Customer, Any]:
    """The primary keys of ``customers`` that ``review_due_q(today)`` selects, to be counted
    (slice it first: a count of the first N rows stops after N).

    ``review_due_q`` tested on each customer costs correlated subqueries per active customer
    (the home card's count took 71 ms at 100,000 customers). Here the rule is split into parts
    that no customer is in twice (scheduled and due; never scheduled and a grade's cycle old,
    one part per grade), each a range of an index: the schedule's due date, and per grade
    ``customers_review_cycle`` (status, grade, stage, the last review or creation, then owner
    and team for the scope). ``UNION ALL`` of the parts, so a slice stops as soon as it has
    its rows: at most N of the sum is at most N of the whole."""
    scheduled = ReviewSchedule.objects.filter(customer_id=OuterRef("pk"))
    due_on = ReviewSchedule.objects.filter(due_on__lte=today).values("customer_id")
    parts = [customers.filter(pk__in=due_on)] + [
        customers.filter(part).filter(~Q(Exists(scheduled))) for part in _cycle_due_qs(today)
    ]
    first, *rest = [part.order_by().values("pk") for part in parts]
    return first.union(*rest, all=True)


def _reviewable(rows: QuerySet[Customer]) -> QuerySet[Customer]:
    """``rows`` that are reviewed: active customers and prospects."""
    return rows.filter(
        status=Customer.Status.ACTIVE,
        lifecycle_stage__in=[Customer.Stage.CUSTOMER, Customer.Stage.PROSPECT],
    )


def reviews_due(
    *,
    user: User,
    today: date | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
) -> QuerySet[Customer]:
    """Active customers of ``user``'s scope (owned, or of managed teams) due for review."""
    require_reader(user)
    today = today or timezone.localdate()
    rows = _reviewable(Customer.objects.filter(work_q(user, team_id)))
    if owner_id:
        rows = rows.filter(owner_id=owner_id)
    return (
        rows.filter(review_due_q(today))
        .select_related("owner", "team")
        .order_by("reviewed_at", "id")
    )


def reviews_due_first(*, user: User, today: date | None = None, limit: int = 8) -> list[Customer]:
    """A few customers of ``user``'s work (their own; a manager's teams') due for review, for
    the dashboard's card: those whose scheduled date has come, then by grade (重要 first), as
    ``reviews_due_rows`` finds them through its indexes. The whole list, oldest review first,
    is ``reviews_due``: ordering every due customer to show eight took 430–640 ms at
    1,000,000 customers."""
    require_reader(user)
    rows = _reviewable(Customer.objects.filter(work_q(user)))
    ids = [row["pk"] for row in reviews_due_rows(rows, today or timezone.localdate())[:limit]]
    found = Customer.objects.select_related("owner", "team").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


# The menu's badge counts at most this many customers due (shown as "99+").
BADGE_CAP = 100


def reviews_due_badge_rows(user: User) -> QuerySet[Customer, Any] | None:
    """The navigation badge's rows: customers of ``user``'s scope due for review (at most
    ``BADGE_CAP``); None for those who do not read key accounts."""
    if not can_read_oversight(user):
        return None
    rows = _reviewable(Customer.objects.filter(work_q(user)))
    return reviews_due_rows(rows, timezone.localdate())[:BADGE_CAP]


def customer_reviews(*, customer: Customer, limit: int = 10) -> list[Review]:
    return list(
        Review.objects.filter(customer=customer).select_related("reviewer", "decided_by")[:limit]
    )


def customer_next_review(*, customer: Customer) -> date:
    """When ``customer`` is next due: the scheduled date, else the first day on which its
    last review (or creation) is its cycle old, as ``review_due_q`` counts."""
    from kehu.oversight.services import _add_months

    schedule = ReviewSchedule.objects.filter(customer=customer).first()
    if schedule:
        return schedule.due_on
    months = review_cycles().get(customer.grade, 12)
    last = timezone.localdate(customer.reviewed_at or customer.created_at)
    due = _add_months(last, months)
    # Cut to a shorter month's end (31 January + 1 month: 28 February), the cycle is not yet
    # over on that day (a month before 28 February is 28 January): it is the day after.
    if _months_before(due, months) < last:
        due += timedelta(days=1)
    return due


def reviews_pending(*, user: User) -> QuerySet[Review]:
    """Reviews waiting for a decision that ``user`` sees."""
    require_reader(user)
    return (
        Review.objects.filter(
            customers_visible_q(user, prefix="customer__"), status=Review.Status.PENDING
        )
        .select_related("customer", "reviewer")
        .order_by("created_at")
    )


def review_get_for_user(*, user: User, review_id: int) -> Review:
    review = (
        Review.objects.filter(customers_visible_q(user, prefix="customer__"), pk=review_id)
        .select_related("customer", "reviewer")
        .first()
    )
    if review is None:
        raise Http404
    return review


# --- growth and decline ---------------------------------------------------------------------


def growth_list(*, user: User, direction: str = "growth", days: int = 365) -> QuerySet[Any]:
    """Customers whose spending grew (or fell) most: the last ``days`` (90 or 365) against
    the same length before, from the value analytics; with the watch flag and its reason."""
    from kehu.analytics.models import CustomerValue

    require_reader(user)
    change = "change_90" if days == 90 else "change_365"
    rows = CustomerValue.objects.filter(
        customers_visible_q(user, prefix="customer__"),
        customer__status__in=Customer.LIVE_STATUSES,
        **{f"{change}__isnull": False},
    )
    if direction == "decline":
        rows = rows.filter(**{f"{change}__lt": 0}).order_by(change, "customer_id")
    else:
        rows = rows.filter(**{f"{change}__gt": 0}).order_by(f"-{change}", "customer_id")
    watches = Watch.objects.filter(customer_id=OuterRef("customer_id"))
    return rows.select_related("customer", "customer__owner").annotate(
        watched=Exists(watches),
    )


def watch_reasons(customer_ids: list[int]) -> dict[int, Watch]:
    return {w.customer_id: w for w in Watch.objects.filter(customer_id__in=customer_ids)}


def watch_list(*, user: User) -> QuerySet[Watch]:
    require_reader(user)
    return (
        Watch.objects.filter(customers_visible_q(user, prefix="customer__"))
        .select_related("customer", "watched_by")
        .order_by("-watched_at")
    )


# --- targets --------------------------------------------------------------------------------


def target_list(*, user: User, starts_from: date | None = None) -> QuerySet[SalesTarget]:
    """Targets ``user`` may see: everyone's for whole-archive roles; a manager their teams' and
    members'; a rep their own."""
    require_reader(user)
    rows = SalesTarget.objects.filter(
        work_q(user) | Q(team__isnull=False, team__in=_teams(user))
    ).select_related("owner", "team")
    if starts_from:
        rows = rows.filter(starts_on__gte=starts_from)
    return rows.order_by("-starts_on", "period", "team_id", "owner_id", "metric")


def _teams(user: User) -> list[int]:
    from kehu.core.access import Scope, managed_team_ids, policy_for

    if policy_for(user).view is Scope.ALL:
        return list(SalesTarget.objects.exclude(team=None).values_list("team_id", flat=True))
    return managed_team_ids(user)


def target_get_for_user(*, user: User, target_id: int) -> SalesTarget:
    target = target_list(user=user).filter(pk=target_id).first()
    if target is None:
        raise Http404
    return target


# --- service --------------------------------------------------------------------------------

CASE_AGES = (("d0_1", 0, 1), ("d2_3", 2, 3), ("d4_7", 4, 7), ("d8_plus", 8, None))


def service_dashboard(*, user: User, start: date, end: date) -> dict[str, Any]:
    """Open cases by age (days since opened) and priority; SLA compliance (first response and
    resolution by their due times) of cases resolved in the period; average first-response and
    resolution hours; ratings (average, share of 4–5); top complaint subjects and products."""
    from kehu.service.models import Case, CaseRating, CaseType, Priority

    require_reader(user)
    scope = customers_visible_q(user, prefix="customer__")
    cases = Case.objects.filter(scope)
    now = timezone.now()
    open_cases = cases.filter(resolved_at__isnull=True, closed_at__isnull=True)
    grid: dict[str, dict[str, Any]] = {
        p: dict.fromkeys(n for n, *_r in CASE_AGES) | {"total": 0} for p in Priority.values
    }
    ages = {}
    for name, lo, hi in CASE_AGES:
        cond = Q(created_at__lte=now - timedelta(days=lo))
        if hi is not None:
            cond &= Q(created_at__gt=now - timedelta(days=hi + 1))
        ages[name] = Count("id", filter=cond)
    for r in open_cases.order_by().values("priority").annotate(total=Count("id"), **ages):
        grid[r["priority"]] = {**{n: r[n] for n, *_r in CASE_AGES}, "total": r["total"]}
    for row in grid.values():
        for name, *_r in CASE_AGES:
            row[name] = row[name] or 0
    start_at = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    end_at = timezone.make_aware(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    resolved = cases.filter(resolved_at__gte=start_at, resolved_at__lt=end_at)
    hours: DurationField[Any, Any] = DurationField()
    sla = resolved.order_by().aggregate(
        n=Count("id"),
        resolved_on_time=Count("id", filter=Q(resolved_at__lte=F("resolution_due_at"))),
        responded_on_time=Count(
            "id",
            filter=Q(first_response_at__isnull=False, first_response_at__lte=F("response_due_at")),
        ),
        response=Avg(
            ExpressionWrapper(F("first_response_at") - F("created_at"), output_field=hours)
        ),
        resolution=Avg(ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=hours)),
    )

    def _hours(value: Any) -> float | None:
        if value is None:
            return None
        seconds = value.total_seconds() if isinstance(value, timedelta) else float(value) / 1e6
        return round(seconds / 3600, 1)

    ratings = (
        CaseRating.objects.filter(scope, created_at__gte=start_at, created_at__lt=end_at)
        .order_by()
        .aggregate(n=Count("id"), avg=Avg("score"), good=Count("id", filter=Q(score__gte=4)))
    )
    complaints = cases.filter(
        type=CaseType.COMPLAINT, created_at__gte=start_at, created_at__lt=end_at
    )
    products = list(
        complaints.exclude(product_name="")
        .order_by()
        .values("product_name")
        .annotate(n=Count("id"))
        .order_by("-n", "product_name")[:8]
    )
    subjects = list(
        complaints.order_by()
        .values("subject")
        .annotate(n=Count("id"))
        .order_by("-n", "subject")[:8]
    )
    n = sla["n"]
    return {
        "open_by_priority": [
            {"priority": p, "label": str(label), **grid[p]} for p, label in Priority.choices
        ],
        "open_total": sum(row["total"] for row in grid.values()),
        "resolved": n,
        "resolution_compliance": round(sla["resolved_on_time"] * 100 / n, 1) if n else None,
        "response_compliance": round(sla["responded_on_time"] * 100 / n, 1) if n else None,
        "first_response_hours": _hours(sla["response"]),
        "resolution_hours": _hours(sla["resolution"]),
        "ratings": ratings["n"],
        "average_rating": round(ratings["avg"], 2) if ratings["avg"] is not None else None,
        "satisfied_share": round(ratings["good"] * 100 / ratings["n"], 1) if ratings["n"] else None,
        "complaints": complaints.count(),
        "top_products": products,
        "top_subjects": subjects,
    }


def customers_for_user(user: User) -> QuerySet[Customer]:
    return customers_visible_to(user)


def home_card(*, user: User, today: date, cap: int) -> dict[str, Any]:
    """The home page's key-account card: customers at high and medium risk, open alerts and
    reviews due, in the user's scope (each count stops at ``cap``)."""
    from kehu.core.pagination import capped_count

    live = live_rows(CustomerRisk, user, None)
    due = reviews_due_rows(_reviewable(Customer.objects.filter(work_q(user))), today)
    return {
        "risks": {
            level.name.lower(): capped_count(live.filter(level=level), cap)
            for level in (RiskLevel.HIGH, RiskLevel.MEDIUM)
        },
        "alerts": capped_count(alert_list(user=user, open_only=True), cap),
        "due": capped_count(due, cap),
    }


def own_reviews_due_count(*, user: User, today: date) -> int:
    """How many active customers ``user`` owns are due for review (at most 100 counted)."""
    from kehu.core.access import can_own_customers

    if not can_own_customers(user):
        return 0
    rows = _reviewable(Customer.objects.filter(owner=user))
    return int(reviews_due_rows(rows, today)[:100].count())
