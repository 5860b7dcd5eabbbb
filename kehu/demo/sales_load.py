"""Writing demo sales (``kehu.demo.sales``) fast: the raw bulk load of ``kehu.demo.customers_load``
applied to orders, lines, payments and opportunities.

Customers are read in id order, a batch at a time; each batch's orders, lines and payments are
generated with NumPy and written with one ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) per
table in one transaction. Order ids are assigned here from ``MAX(id)``: it assumes nobody else
writes orders while it runs. Only for generated data: it validates nothing.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from kehu.core.bulk import bulk_insert
from kehu.customers.models import Customer
from kehu.demo.sales import FINANCIAL, PRODUCTS, CustomerBatch, catalogue_from, generate
from kehu.sales.models import (
    Opportunity,
    OpportunityMove,
    Order,
    OrderLine,
    Payment,
    PipelineStage,
    Product,
)
from kehu.sales.summary import summary_rebuild

ORDER_FIELDS = (
    "id", "created_at", "updated_at", "number", "customer", "ordered_on", "channel", "status",
    "owner", "team", "currency", "total_amount", "paid_amount", "first_for_customer",
    "opportunity", "notes",
)  # fmt: skip
LINE_FIELDS = ("order", "product", "quantity", "unit_price", "discount_percent", "amount")
PAYMENT_FIELDS = (
    "created_at", "updated_at", "order", "customer", "amount", "currency", "received_on",
    "method", "reference", "recorded_by", "owner", "team",
)  # fmt: skip
OPPORTUNITY_FIELDS = (
    "id", "created_at", "updated_at", "customer", "name", "amount", "currency", "stage",
    "probability", "expected_close_on", "competitors", "lost_reason", "owner", "team",
    "closed_on", "stage_changed_at",
)  # fmt: skip
MOVE_FIELDS = ("opportunity", "from_stage", "to_stage", "moved_by", "moved_at")
OPPORTUNITY_SHARE = 0.12  # of customers that are not leads
COMPETITORS = ["", "", "华为", "联想", "海尔", "格力", "美的", "本地经销商", "线上平台"]
LOST_REASONS = ["价格偏高", "选择了竞品", "预算取消", "需求变更", "决策周期过长"]
OPPORTUNITY_NAMES = ["年度采购", "新品试用", "设备更新", "团购福利", "渠道合作", "系统升级"]


def demo_products_ensure() -> list[tuple[int, str, str, str]]:
    """The demo catalogue (made once); returns (id, code, category, list price) rows."""
    Product.objects.bulk_create(
        [
            Product(
                code=code,
                name=name,
                category=category,
                unit=unit,
                list_price=Decimal(price),
                product_type="理财产品" if code in FINANCIAL else "",
                annual_yield=Decimal(FINANCIAL[code][1]) if code in FINANCIAL else None,
                risk_level=FINANCIAL[code][2] if code in FINANCIAL else "",
            )
            for code, name, category, unit, price, _partner in PRODUCTS
        ],
        ignore_conflicts=True,
    )
    codes = [row[0] for row in PRODUCTS]
    rows = Product.objects.filter(code__in=codes).values_list(
        "id", "code", "category", "list_price"
    )
    return [(pk, code, category, f"{price:.2f}") for pk, code, category, price in rows]


def _day_number(value: datetime) -> int:
    return (value.astimezone(UTC).date() - date(1970, 1, 1)).days


def _customer_batches(batch_size: int) -> Iterator[CustomerBatch]:
    last = 0
    while True:
        rows = list(
            Customer.objects.filter(pk__gt=last)
            .exclude(status=Customer.Status.MERGED)
            .order_by("pk")
            .values_list("pk", "owner_id", "team_id", "created_at", "lifecycle_stage", "kind")[
                :batch_size
            ]
        )
        if not rows:
            return
        last = rows[-1][0]
        yield CustomerBatch(
            ids=np.array([r[0] for r in rows], dtype=np.int64),
            owner=[r[1] for r in rows],
            team=[r[2] for r in rows],
            created=np.array([_day_number(r[3]) for r in rows], dtype=np.int64),
            stage=[r[4] for r in rows],
            is_org=np.array([r[5] == Customer.Kind.ORGANIZATION for r in rows]),
        )


def _opportunity_rows(
    batch: CustomerBatch, *, first_id: int, stages: list[tuple[int, str, int]], today: date,
    rng: np.random.Generator,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:  # fmt: skip
    """Opportunities of some customers: most open, a third closed (won or lost)."""
    chosen = [
        i for i in range(len(batch.ids))
        if batch.stage[i] != "lead" and rng.random() < OPPORTUNITY_SHARE
    ]  # fmt: skip
    opportunities: list[tuple[object, ...]] = []
    moves: list[tuple[object, ...]] = []
    open_stages = [s for s in stages if s[1] == "open"]
    won = next((s for s in stages if s[1] == "won"), None)
    lost = next((s for s in stages if s[1] == "lost"), None)
    for offset, i in enumerate(chosen):
        pk = first_id + offset
        opened = today - timedelta(days=int(rng.integers(1, 365)))
        closed_on = None
        roll = rng.random()
        if roll < 0.2 and won:
            stage, closed_on = won, opened + timedelta(days=int(rng.integers(5, 90)))
        elif roll < 0.33 and lost:
            stage, closed_on = lost, opened + timedelta(days=int(rng.integers(5, 90)))
        else:
            stage = open_stages[int(rng.integers(0, len(open_stages)))]
        closed_on = min(closed_on, today) if closed_on else None
        amount = int(rng.lognormal(10, 1.2)) // 100 * 100
        opened_at = f"{opened.isoformat()} 03:00:00"
        moved_at = f"{(closed_on or opened).isoformat()} 05:00:00"
        opportunities.append(
            (pk, opened_at, moved_at, int(batch.ids[i]),
             OPPORTUNITY_NAMES[int(rng.integers(0, len(OPPORTUNITY_NAMES)))],
             f"{amount}.00", "CNY", stage[0], stage[2],
             (opened + timedelta(days=int(rng.integers(20, 120)))).isoformat(),
             COMPETITORS[int(rng.integers(0, len(COMPETITORS)))],
             LOST_REASONS[int(rng.integers(0, len(LOST_REASONS)))] if stage is lost else "",
             batch.owner[i], batch.team[i], closed_on.isoformat() if closed_on else None, moved_at)
        )  # fmt: skip
        first_stage = open_stages[0]
        moves.append((pk, None, first_stage[0], batch.owner[i], opened_at))
        if stage is not first_stage:
            moves.append((pk, first_stage[0], stage[0], batch.owner[i], moved_at))
    return opportunities, moves


def demo_sales_load(
    *,
    order_lines: int,
    seed: int,
    today: date | None = None,
    batch_size: int = 20_000,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int, int]:
    """Generate about ``order_lines`` lines over every customer there is; returns the numbers
    of orders, lines and payments written. ``progress(customers_done, lines_written)``."""
    today = today or timezone.localdate()
    customers = Customer.objects.count()
    if not customers or order_lines <= 0:
        return (0, 0, 0)
    rng = np.random.default_rng(seed)
    catalogue = catalogue_from(demo_products_ensure(), seed)
    stages = list(PipelineStage.objects.filter(is_active=True).order_by("sort_order", "id")
                  .values_list("id", "outcome", "probability"))  # fmt: skip
    next_order = (Order.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    next_opportunity = (Opportunity.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    per_customer = order_lines / customers
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MB
    orders = lines = payments = done = 0
    for batch in _customer_batches(batch_size):
        rows = generate(
            batch,
            catalogue=catalogue,
            lines_per_customer=per_customer,
            today=today,
            first_order_id=next_order,
            rng=rng,
        )
        opportunities, moves = _opportunity_rows(
            batch, first_id=next_opportunity, stages=stages, today=today, rng=rng
        )
        with transaction.atomic(), connection.cursor() as cursor:
            bulk_insert(cursor, Order, ORDER_FIELDS, rows.orders)
            bulk_insert(cursor, OrderLine, LINE_FIELDS, rows.lines)
            bulk_insert(cursor, Payment, PAYMENT_FIELDS, rows.payments)
            bulk_insert(cursor, Opportunity, OPPORTUNITY_FIELDS, opportunities)
            bulk_insert(cursor, OpportunityMove, MOVE_FIELDS, moves)
        next_order += len(rows.orders)
        next_opportunity += len(opportunities)
        orders, lines, payments = (
            orders + len(rows.orders), lines + len(rows.lines), payments + len(rows.payments)
        )  # fmt: skip
        done += len(batch.ids)
        if progress is not None:
            progress(done, lines)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Order, Opportunity]):
            cursor.execute(sql)
    summary_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return orders, lines, payments


def demo_sales_report(*, order_lines: int, seed: int, write: Callable[[str], None]) -> None:
    """``kehu demo``'s sales step: load, print progress every 2 s and the time taken."""
    import time

    started = time.monotonic()
    shown = [started]

    def progress(customers: int, lines: int) -> None:
        now = time.monotonic()
        if now - shown[0] >= 2:
            shown[0] = now
            rate = lines / max(now - started, 1e-6)
            write(f"  {lines:>12,} / ~{order_lines:,} order lines  ({rate:,.0f}/s)")

    orders, lines, payments = demo_sales_load(order_lines=order_lines, seed=seed, progress=progress)
    write(
        f"Demo sales: {orders:,} orders, {lines:,} lines, {payments:,} payments "
        f"in {time.monotonic() - started:.1f} s"
    )
