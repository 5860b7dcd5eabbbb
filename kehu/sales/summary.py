"""The daily sales summary (``SalesDaily``): kept in step by the sales services, rebuilt from
the raw rows by ``kehu sales rebuild-summary`` and after the demo load.

Every service that changes a fact the sales-performance report sums calls one function here in
its own transaction, so the summary commits (or rolls back) with the change itself.
"""

from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F

from kehu.sales.models import Opportunity, Order, Payment, PipelineStage, SalesDaily

FACTS = ("orders", "revenue", "new_customers", "collected", "won", "lost", "opportunity_revenue")


def summary_add(
    *, day: date, owner_id: int | None, team_id: int | None, currency: str, **deltas: int | Decimal
) -> None:
    """Add ``deltas`` (fact name → change) to the key's row, creating it if there is none."""
    deltas = {name: value for name, value in deltas.items() if value}
    if not deltas:
        return
    unknown = set(deltas) - set(FACTS)
    if unknown:
        raise TypeError(", ".join(sorted(unknown)))
    key = {"day": day, "owner_id": owner_id, "team_id": team_id, "currency": currency}
    row = SalesDaily.objects.filter(**key).order_by("pk").values_list("pk", flat=True)[:1]
    updated = SalesDaily.objects.filter(pk__in=list(row)).update(
        **{name: F(name) + value for name, value in deltas.items()}
    )
    if not updated:
        SalesDaily.objects.create(**key, **deltas)


def order_counted(order: Order, sign: int) -> None:
    """An order enters (``sign`` 1) or leaves (-1) the report: taken or cancelled."""
    summary_add(
        day=order.ordered_on,
        owner_id=order.owner_id,
        team_id=order.team_id,
        currency=order.currency,
        orders=sign,
        revenue=sign * order.total_amount,
        new_customers=sign if order.first_for_customer else 0,
        opportunity_revenue=sign * order.total_amount if order.opportunity_id else 0,
    )


def collects(method: str) -> bool:
    """Whether a payment by ``method`` is money collected. Loyalty points settle what the
    customer owes, but bring no money in: the report's collected leaves them out."""
    return method != Payment.Method.POINTS


def payment_counted(payment: Payment, sign: int = 1) -> None:
    """A payment is received (``sign`` 1) or reversed (-1), on the day it was received."""
    summary_add(
        day=payment.received_on,
        owner_id=payment.owner_id,
        team_id=payment.team_id,
        currency=payment.currency,
        collected=sign * payment.amount if collects(payment.method) else 0,
    )


def opportunity_counted(
    opportunity: Opportunity, *, outcome: str, closed_on: date | None, sign: int
) -> None:
    """A closed opportunity's won/lost count on its close date, added or taken back."""
    if closed_on is None or outcome == PipelineStage.Outcome.OPEN:
        return
    summary_add(
        day=closed_on,
        owner_id=opportunity.owner_id,
        team_id=opportunity.team_id,
        currency=opportunity.currency,
        won=sign if outcome == PipelineStage.Outcome.WON else 0,
        lost=sign if outcome == PipelineStage.Outcome.LOST else 0,
    )


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


@transaction.atomic
def summary_rebuild() -> int:
    """Re-create the summary from orders, payments and opportunities; returns its row count."""
    summary = _table(SalesDaily)
    columns = (
        "day, owner_id, team_id, currency, orders, revenue, new_customers, collected, won, lost, "
        "opportunity_revenue"
    )
    won, lost = PipelineStage.Outcome.WON.value, PipelineStage.Outcome.LOST.value
    statements = [
        f"DELETE FROM {summary}",  # noqa: S608 (table names from the models)
        f"""INSERT INTO {summary} ({columns})
            SELECT ordered_on, owner_id, team_id, currency, COUNT(*), SUM(total_amount),
                   SUM(CASE WHEN first_for_customer THEN 1 ELSE 0 END), 0, 0, 0,
                   SUM(CASE WHEN opportunity_id IS NOT NULL THEN total_amount ELSE 0 END)
            FROM {_table(Order)} WHERE status <> %s
            GROUP BY ordered_on, owner_id, team_id, currency""",  # noqa: S608
        f"""INSERT INTO {summary} ({columns})
            SELECT received_on, owner_id, team_id, currency, 0, 0, 0, SUM(amount), 0, 0, 0
            FROM {_table(Payment)} WHERE reversed_at IS NULL AND method <> %s
            GROUP BY received_on, owner_id, team_id, currency""",  # noqa: S608
        f"""INSERT INTO {summary} ({columns})
            SELECT o.closed_on, o.owner_id, o.team_id, o.currency, 0, 0, 0, 0,
                   SUM(CASE WHEN s.outcome = %s THEN 1 ELSE 0 END),
                   SUM(CASE WHEN s.outcome = %s THEN 1 ELSE 0 END), 0
            FROM {_table(Opportunity)} o JOIN {_table(PipelineStage)} s ON s.id = o.stage_id
            WHERE o.closed_on IS NOT NULL AND s.outcome IN (%s, %s)
            GROUP BY o.closed_on, o.owner_id, o.team_id, o.currency""",  # noqa: S608
    ]
    params: list[list[str]] = [
        [],
        [Order.Status.CANCELLED.value],
        [Payment.Method.POINTS.value],  # see collects()
        [won, lost, won, lost],
    ]
    with connection.cursor() as cursor:
        for sql, args in zip(statements, params, strict=True):
            cursor.execute(sql, args)
    return SalesDaily.objects.count()
