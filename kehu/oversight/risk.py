"""Computing every customer's risk: one set-based query per rule (the customers it hits, with
their figures), then the levels compared with the stored ones, the rows rewritten and an alert
raised where a customer entered a higher level.

The whole archive is computed every night; in between, every few minutes, only the customers
whose facts changed (new payments, orders, cases, ratings, archive changes, contacts since the
last run — found by primary-key range, so the search is cheap however large the tables).
"""

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.utils import timezone

from kehu.customers.models import Customer, CustomerChange
from kehu.oversight.models import CustomerRisk, RiskAlert, RiskLevel, RiskRule, RiskRun
from kehu.oversight.rules import WATCHED_FACTS, rules_all

Code = RiskRule.Code
LIVE = Customer.LIVE_STATUSES
# Beyond this many touched customers an incremental run computes the whole archive instead.
INCREMENTAL_LIMIT = 50_000
OUTSTANDING = ExpressionWrapper(
    F("total_amount") - F("paid_amount"), output_field=DecimalField(max_digits=16, decimal_places=2)
)

Hits = dict[int, dict[str, Any]]


def _limit(queryset: Any, ids: list[int] | None, field: str = "customer_id") -> Any:
    return queryset if ids is None else queryset.filter(**{f"{field}__in": ids})


def _m(value: Any) -> str:
    """Money as text with two decimals (SQLite sums decimals as floats)."""
    return str(Decimal(str(value or 0)).quantize(Decimal("0.01")))


def _pct(value: Decimal | float) -> float:
    return round(float(value), 1)


def rule_overdue(rule: RiskRule, today: date, ids: list[int] | None) -> Hits:
    """Open amounts of orders older than ``days``; a hit above ``amount``."""
    from kehu.sales.models import DEFAULT_CURRENCY, Order

    cutoff = today - timedelta(days=rule.days or 0)
    rows = (
        _limit(Order.objects, ids)
        .filter(
            customer__status__in=LIVE,
            currency=DEFAULT_CURRENCY,
            paid_amount__lt=F("total_amount"),
            ordered_on__lt=cutoff,
        )
        .exclude(status=Order.Status.CANCELLED)
        .values("customer_id")
        .annotate(overdue=Sum(OUTSTANDING), oldest=Min("ordered_on"))
        .filter(overdue__gt=rule.amount or 0)
    )
    return {
        r["customer_id"]: {
            "overdue": _m(r["overdue"]),
            "oldest_days": (today - r["oldest"]).days,
            "over_days": rule.days,
        }
        for r in rows
    }


def rule_credit(rule: RiskRule, today: date, ids: list[int] | None) -> Hits:
    """Outstanding (CNY) against the organization's credit limit (资信额度)."""
    from kehu.sales.models import DEFAULT_CURRENCY, Order

    share = (rule.percent if rule.percent is not None else Decimal(100)) / 100
    rows = (
        _limit(Order.objects, ids)
        .filter(
            customer__status__in=LIVE,
            customer__organization__credit_limit__gt=0,
            currency=DEFAULT_CURRENCY,
            paid_amount__lt=F("total_amount"),
        )
        .exclude(status=Order.Status.CANCELLED)
        .values("customer_id")
        .annotate(outstanding=Sum(OUTSTANDING), limit=Max("customer__organization__credit_limit"))
        .filter(outstanding__gte=F("limit") * share)
    )
    return {
        r["customer_id"]: {
            "outstanding": _m(r["outstanding"]),
            "limit": _m(r["limit"]),
            "percent": _pct(Decimal(str(r["outstanding"])) * 100 / Decimal(str(r["limit"]))),
            "exceeded": r["outstanding"] > r["limit"],
        }
        for r in rows
    }


def _analytics_ready() -> bool:
    from kehu.analytics.models import AnalyticsRun

    return AnalyticsRun.objects.filter(status=AnalyticsRun.Status.DONE).exists()


def rule_decline(rule: RiskRule, today: date, ids: list[int] | None) -> Hits:
    """Spending over the last ``days`` against the ``days`` before, fallen by ``percent`` or
    more. Read from the value analytics (90 days) when they were computed and the period is 90
    days; else summed from the orders."""
    fall = rule.percent if rule.percent is not None else Decimal(50)
    days = rule.days or 90
    if days == 90 and _analytics_ready():
        from kehu.analytics.models import CustomerValue

        rows = (
            _limit(CustomerValue.objects, ids)
            .filter(customer__status__in=LIVE, spend_prev_90__gt=rule.amount or 0)
            .filter(spend_90__lte=F("spend_prev_90") * (1 - fall / 100))
            .values_list("customer_id", "spend_90", "spend_prev_90")
        )
    else:
        from kehu.sales.models import Order

        start = today - timedelta(days=days)
        before = start - timedelta(days=days)
        rows = (
            _limit(Order.objects, ids)
            .filter(customer__status__in=LIVE, ordered_on__gt=before, ordered_on__lte=today)
            .exclude(status=Order.Status.CANCELLED)
            .values("customer_id")
            .annotate(
                recent=Sum("total_amount", filter=Q(ordered_on__gt=start), default=0),
                previous=Sum("total_amount", filter=Q(ordered_on__lte=start), default=0),
            )
            .filter(previous__gt=rule.amount or 0, recent__lte=F("previous") * (1 - fall / 100))
            .values_list("customer_id", "recent", "previous")
        )
    return {
        cid: {
            "recent": _m(recent),
            "previous": _m(previous),
            "fall": _pct(
                (Decimal(str(previous)) - Decimal(str(recent))) * 100 / Decimal(str(previous))
            ),
            "days": days,
        }
        for cid, recent, previous in rows
    }


def rule_complaints(rule: RiskRule, today: date, ids: list[int] | None) -> Hits:
    """Complaints opened and ratings of 1–2 within ``days``; a hit at ``count`` together."""
    from kehu.service.models import Case, CaseRating, CaseType

    since = timezone.make_aware(
        datetime.combine(today - timedelta(days=rule.days or 90), datetime.min.time())
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    complaints = (
        _limit(Case.objects, ids)
        .filter(customer__status__in=LIVE, type=CaseType.COMPLAINT, created_at__gte=since)
        .values("customer_id")
        .annotate(n=Count("id"))
    )
    for r in complaints:
        counts[r["customer_id"]][0] = r["n"]
    low = (
        _limit(CaseRating.objects, ids)
        .filter(customer__status__in=LIVE, score__lte=2, created_at__gte=since)
        .values("customer_id")
        .annotate(n=Count("id"))
    )
    for r in low:
        counts[r["customer_id"]][1] = r["n"]
    need = rule.count or 1
    return {
        cid: {"complaints": c, "low_ratings": r, "days": rule.days or 90}
        for cid, (c, r) in counts.items()
        if c + r >= need
    }


def rule_slipping(rule: RiskRule, today: date, ids: list[int] | None) -> Hits:
    """A-tier (top-revenue) customers whose probability of being active fell below
    ``percent``."""
    from kehu.analytics.models import CustomerValue, Tier

    below = float(rule.percent if rule.percent is not None else 30) / 100
    rows = (
        _limit(CustomerValue.objects, ids)
        .filter(customer__status__in=LIVE, tier=Tier.A, p_alive__lt=below)
        .values_list("customer_id", "p_alive", "clv_12", "last_purchase_on")
    )
    return {
        cid: {
            "p_alive": _pct(p * 100),
            "clv": _m(clv or 0),
            "last_purchase": last.isoformat(),
        }
        for cid, p, clv, last in rows
    }


def rule_org_change(rule: RiskRule, today: date, ids: list[int] | None) -> Hits:
    """Changes of an organization's watched facts within ``days`` (not its creation)."""
    since = timezone.make_aware(
        datetime.combine(today - timedelta(days=rule.days or 30), datetime.min.time())
    )
    rows = (
        _limit(CustomerChange.objects, ids)
        .filter(
            customer__kind=Customer.Kind.ORGANIZATION,
            customer__status__in=LIVE,
            field__in=WATCHED_FACTS,
            changed_at__gte=since,
            import_batch__isnull=True,
        )
        .exclude(old_value="")
        .values_list("customer_id", "field", "changed_at")
        .order_by()
    )
    hits: Hits = {}
    for cid, field, at in rows:
        hit = hits.setdefault(cid, {"fields": [], "on": ""})
        if field not in hit["fields"]:
            hit["fields"].append(field)
        day = timezone.localdate(at).isoformat()
        hit["on"] = max(hit["on"], day)
    for hit in hits.values():
        hit["fields"].sort()
    return hits


def rule_silence(rule: RiskRule, today: date, ids: list[int] | None) -> Hits:
    """Important (重要) customers with no contact logged for ``days``."""
    from kehu.interactions.models import Interaction

    days = rule.days or 60
    since = timezone.make_aware(datetime.combine(today - timedelta(days=days), datetime.min.time()))
    last = Subquery(
        Interaction.objects.filter(customer=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    rows = (
        _limit(Customer.objects, ids, "pk")
        .filter(grade=Customer.Grade.IMPORTANT, status=Customer.Status.ACTIVE, created_at__lt=since)
        .annotate(last=last)
        .filter(Q(last__isnull=True) | Q(last__lt=since))
        .values_list("pk", "last")
    )
    return {
        cid: {
            "days": (today - timezone.localdate(at)).days if at else None,
            "last": timezone.localdate(at).isoformat() if at else None,
            "over_days": days,
        }
        for cid, at in rows
    }


RULE_FUNCTIONS: dict[str, Any] = {
    Code.OVERDUE: rule_overdue,
    Code.CREDIT: rule_credit,
    Code.DECLINE: rule_decline,
    Code.COMPLAINTS: rule_complaints,
    Code.SLIPPING: rule_slipping,
    Code.ORG_CHANGE: rule_org_change,
    Code.SILENCE: rule_silence,
}


@dataclass
class RiskResult:
    at_risk: int
    alerts: list[RiskAlert]
    seconds: float
    timings: dict[str, float]


def evaluate(
    *, today: date, customer_ids: list[int] | None = None
) -> tuple[dict[int, list[dict[str, Any]]], dict[str, float]]:
    """The reasons of every customer hit by an enabled rule (``customer_ids``: only those)."""
    reasons: dict[int, list[dict[str, Any]]] = defaultdict(list)
    timings: dict[str, float] = {}
    for rule in rules_all():
        if not rule.enabled:
            continue
        started = time.perf_counter()
        hits = RULE_FUNCTIONS[rule.code](rule, today, customer_ids)
        timings[rule.code] = round(time.perf_counter() - started, 3)
        for cid, figures in hits.items():
            reasons[cid].append(
                {
                    "rule": rule.code,
                    "level": rule.level,
                    "figures": figures,
                    "on": today.isoformat(),
                }
            )
    return reasons, timings


def _chunks(items: list[int], size: int = 900) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def risk_store(
    *,
    reasons: dict[int, list[dict[str, Any]]],
    customer_ids: list[int] | None,
    now: datetime,
) -> tuple[int, list[RiskAlert]]:
    """Replace the stored risks (all, or those of ``customer_ids``) with ``reasons``; returns
    how many customers are at risk and the alerts raised (customers now at a higher level)."""
    old_rows = CustomerRisk.objects.all()
    if customer_ids is not None:
        old: dict[int, tuple[int, datetime, list[Any]]] = {}
        for chunk in _chunks(customer_ids):
            old.update(
                (r[0], (r[1], r[2], r[3]))
                for r in old_rows.filter(customer_id__in=chunk).values_list(
                    "customer_id", "level", "since", "reasons"
                )
            )
            CustomerRisk.objects.filter(customer_id__in=chunk).delete()
    else:
        old = {
            r[0]: (r[1], r[2], r[3])
            for r in old_rows.values_list("customer_id", "level", "since", "reasons")
        }
        CustomerRisk.objects.all().delete()
    rows = []
    alerts = []
    for cid, hits in reasons.items():
        level = max(hit["level"] for hit in hits)
        previous, since, _old_reasons = old.get(cid, (RiskLevel.NONE, now, []))
        if level != previous:
            since = now
        if level > previous:
            alerts.append(
                RiskAlert(
                    customer_id=cid,
                    level=level,
                    previous_level=previous,
                    reasons=hits,
                    raised_at=now,
                )
            )
        rows.append(
            CustomerRisk(
                customer_id=cid,
                level=level,
                reasons=hits,
                rules="," + ",".join(sorted(h["rule"] for h in hits)) + ",",
                since=since,
                computed_at=now,
            )
        )
    CustomerRisk.objects.bulk_create(rows, batch_size=2000)
    RiskAlert.objects.bulk_create(alerts, batch_size=2000)
    return len(rows), alerts


def _touched_since(marks: dict[str, int]) -> tuple[set[int], dict[str, int]]:
    """Customers with rows added since ``marks`` in the tables the rules read, and the new
    marks (the highest id of each)."""
    from kehu.interactions.models import Interaction
    from kehu.sales.models import Order, Payment
    from kehu.service.models import Case, CaseRating

    sources: dict[str, Any] = {
        "order": Order,
        "payment": Payment,
        "case": Case,
        "rating": CaseRating,
        "change": CustomerChange,
        "interaction": Interaction,
    }
    touched: set[int] = set()
    new_marks = {}
    for name, model in sources.items():
        top = model.objects.aggregate(m=Max("id"))["m"] or 0
        new_marks[name] = top
        mark = marks.get(name)
        if mark is None or top <= mark:
            continue
        touched.update(
            model.objects.filter(id__gt=mark, id__lte=top)
            .values_list("customer_id", flat=True)
            .distinct()[: INCREMENTAL_LIMIT + 1]
        )
    return touched, new_marks


def risk_compute(
    *, today: date | None = None, customer_ids: list[int] | None = None, full: bool = True
) -> RiskResult:
    """Compute the risks (the whole archive, or ``customer_ids``), store them, raise and
    send the alerts. Returns the figures of the run."""
    from kehu.oversight.alerts import alerts_send

    started = time.perf_counter()
    now = timezone.now()
    today = today or timezone.localdate()
    reasons, timings = evaluate(today=today, customer_ids=customer_ids)
    at_risk, alerts = risk_store(reasons=reasons, customer_ids=customer_ids, now=now)
    alerts_send(alerts)
    return RiskResult(at_risk, alerts, round(time.perf_counter() - started, 3), timings)


def risk_run(*, full: bool, today: date | None = None) -> RiskRun:
    """A scheduled run: the whole archive (``full``), or the customers touched since the last
    run (the whole archive when there has been none, or too many were touched)."""
    last = RiskRun.objects.filter(finished_at__isnull=False).first()
    touched, marks = _touched_since(last.marks if last else {})
    if last is None or len(touched) > INCREMENTAL_LIMIT:
        full = True
    run = RiskRun.objects.create(started_at=timezone.now(), full=full, marks=marks)
    if full:
        result = risk_compute(today=today)
    elif touched:
        result = risk_compute(today=today, customer_ids=sorted(touched), full=False)
    else:
        result = RiskResult(0, [], 0.0, {})
    run.finished_at = timezone.now()
    run.customers = result.at_risk
    run.alerts = len(result.alerts)
    run.seconds = result.seconds
    run.save()
    return run
