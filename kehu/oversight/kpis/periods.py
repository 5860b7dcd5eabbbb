"""The dashboard's period figures for a period and the one before it, read together: the sums
from the daily sales summary (``SalesDaily``, kept exact by the sales services) in one query,
the buyers in one set-based query over the three periods' orders, the service figures in one
query per table. Same formulas as the one-figure functions in ``figures`` (the known-answer
tests hold both to them)."""

from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, F, Q, Sum

from kehu.accounts.models import User
from kehu.oversight.kpis.common import Span, _day_start, _money, _rate
from kehu.oversight.kpis.figures import lost_customers_now, lost_within
from kehu.oversight.kpis.scope import work_q


def _within(field: str, span: Span) -> Q:
    return Q(**{f"{field}__gte": span.start, f"{field}__lte": span.end})


def _at_within(field: str, span: Span) -> Q:
    """A time field within the span's days (local time), as an indexable range."""
    return Q(
        **{
            f"{field}__gte": _day_start(span.start),
            f"{field}__lt": _day_start(span.end + timedelta(days=1)),
        }
    )


def _sales(user: User, spans: tuple[Span, Span], team_id: int | None) -> list[dict[str, Any]]:
    """``sales_figures`` of each span, and its orders in any currency (the complaint rate's
    denominator), from the summary in one query."""
    from kehu.sales.models import DEFAULT_CURRENCY, SalesDaily

    sums: dict[str, Any] = {}
    for i, span in enumerate(spans):
        cny = _within("day", span) & Q(currency=DEFAULT_CURRENCY)
        sums |= {
            f"orders{i}": Sum("orders", filter=cny),
            f"revenue{i}": Sum("revenue", filter=cny),
            f"new{i}": Sum("new_customers", filter=cny),
            f"collected{i}": Sum("collected", filter=cny),
            f"all_orders{i}": Sum("orders", filter=_within("day", span)),
        }
    first, last = min(s.start for s in spans), max(s.end for s in spans)
    row = (
        SalesDaily.objects.filter(work_q(user, team_id), day__gte=first, day__lte=last)
        .order_by()
        .aggregate(**sums)
    )
    figures = []
    for i in range(len(spans)):
        orders = row[f"orders{i}"] or 0
        revenue = _money(row[f"revenue{i}"])
        figures.append(
            {
                "orders": orders,
                "revenue": revenue,
                "new_customers": row[f"new{i}"] or 0,
                "collected": _money(row[f"collected{i}"]),
                "average_order_value": _money(revenue / orders) if orders else None,
                "_all_orders": row[f"all_orders{i}"] or 0,
            }
        )
    return figures


def _buyers(
    user: User, spans: tuple[Span, Span, Span], team_id: int | None
) -> list[dict[str, Any]]:
    """``buyers_figures`` of the last two spans (each against the span before it), in one
    query: per customer, the orders in each span; then the counts over those customers."""
    from kehu.sales.models import Order

    earliest, before, now = spans
    per_customer = (
        Order.objects.filter(
            work_q(user, team_id), ordered_on__gte=earliest.start, ordered_on__lte=now.end
        )
        .exclude(status=Order.Status.CANCELLED)
        .order_by()
        .values("customer_id")
        .annotate(
            n0=Count("id", filter=_within("ordered_on", earliest)),
            n1=Count("id", filter=_within("ordered_on", before)),
            n2=Count("id", filter=_within("ordered_on", now)),
        )
    )
    row = per_customer.aggregate(
        buyers0=Count("customer_id", filter=Q(n0__gt=0)),
        buyers1=Count("customer_id", filter=Q(n1__gt=0)),
        buyers2=Count("customer_id", filter=Q(n2__gt=0)),
        repeat1=Count("customer_id", filter=Q(n1__gt=1)),
        repeat2=Count("customer_id", filter=Q(n2__gt=1)),
        retained1=Count("customer_id", filter=Q(n0__gt=0, n1__gt=0)),
        retained2=Count("customer_id", filter=Q(n1__gt=0, n2__gt=0)),
    )
    figures = []
    for i in (2, 1):
        buyers, repeat = row[f"buyers{i}"], row[f"repeat{i}"]
        previous, retained = row[f"buyers{i - 1}"], row[f"retained{i}"]
        figures.append(
            {
                "buyers": buyers,
                "repeat_buyers": repeat,
                "repeat_rate": _rate(repeat, buyers),
                "previous_buyers": previous,
                "retained": retained,
                "retention_rate": _rate(retained, previous),
            }
        )
    return figures


def _service(
    user: User, spans: tuple[Span, Span], team_id: int | None, orders: list[int]
) -> list[dict[str, Any]]:
    """``service_figures`` of each span: one query for the ratings, one for the cases."""
    from kehu.service.models import Case, CaseRating, CaseType

    scope = work_q(user, team_id, prefix="customer__")
    rating_sums: dict[str, Any] = {}
    case_sums: dict[str, Any] = {}
    for i, span in enumerate(spans):
        given = _at_within("created_at", span)
        rating_sums |= {
            f"n{i}": Count("id", filter=given),
            f"good{i}": Count("id", filter=given & Q(score__gte=4)),
            f"avg{i}": Avg("score", filter=given),
        }
        resolved = _at_within("resolved_at", span)
        case_sums |= {
            f"complaints{i}": Count(
                "id", filter=_at_within("created_at", span) & Q(type=CaseType.COMPLAINT)
            ),
            f"resolved{i}": Count("id", filter=resolved),
            f"on_time{i}": Count(
                "id", filter=resolved & Q(resolved_at__lte=F("resolution_due_at"))
            ),
        }
    whole = Span(min(s.start for s in spans), max(s.end for s in spans))
    ratings = (
        CaseRating.objects.filter(scope, _at_within("created_at", whole))
        .order_by()
        .aggregate(**rating_sums)
    )
    cases = (
        Case.objects.filter(scope)
        .filter(_at_within("created_at", whole) | _at_within("resolved_at", whole))
        .order_by()
        .aggregate(**case_sums)
    )
    figures = []
    for i in range(len(spans)):
        n, average = ratings[f"n{i}"], ratings[f"avg{i}"]
        complaints = cases[f"complaints{i}"]
        figures.append(
            {
                "ratings": n,
                "average_rating": round(average, 2) if average is not None else None,
                "satisfied_share": _rate(ratings[f"good{i}"], n),
                "complaints": complaints,
                "complaint_rate": _rate(complaints, orders[i]),
                "resolved": cases[f"resolved{i}"],
                "sla_compliance": _rate(cases[f"on_time{i}"], cases[f"resolved{i}"]),
            }
        )
    return figures


def period_figures_pair(
    user: User, spans: tuple[Span, Span, Span], team_id: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The period figures (``period_figures``) of ``spans[2]`` and of ``spans[1]``, the span
    before it; ``spans[0]`` is the one before that (the earlier span's retention)."""
    _earliest, before, now = spans
    sales = _sales(user, (now, before), team_id)
    buyers = _buyers(user, spans, team_id)
    service = _service(user, (now, before), team_id, [s.pop("_all_orders") for s in sales])
    lost = (
        lost_customers_now(user, team_id)
        .order_by()
        .aggregate(
            now=Count("pk", filter=Q(lost_within(now))),
            before=Count("pk", filter=Q(lost_within(before))),
        )
    )
    pair = []
    for i, key in enumerate(("now", "before")):
        figures = {**sales[i], **buyers[i]}
        figures["lost_customers"] = lost[key]
        figures.update(service[i])
        pair.append(figures)
    return pair[0], pair[1]
