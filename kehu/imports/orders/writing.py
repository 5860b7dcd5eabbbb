"""The second pass: orders, lines, payments and the daily sales summary written chunk by
chunk, each chunk one transaction with its report rows and the checkpoint."""

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from kehu.accounts.selectors import primary_team
from kehu.core.bulk import insert_rows, sqlite_cache
from kehu.core.forked import fewer_collections
from kehu.imports.engine import (
    NOT_CHECKED,
    batch_import_started,
    open_table,
)
from kehu.imports.engine.writing import report_rows
from kehu.imports.models import ImportBatch, ImportRow
from kehu.imports.orders.checking import FileCheck, skip_problem
from kehu.imports.orders.cleaning import Line
from kehu.imports.orders.fields import Progress
from kehu.imports.orders.matching import Matcher, select_rows, table_name
from kehu.imports.readers import file_hash
from kehu.sales.models import Order, OrderLine, Payment, Product, SalesDaily
from kehu.sales.summary import collects


def _reserve(model: type, count: int) -> int:
    """The first of ``count`` new ids (from the sequence on PostgreSQL; after the highest on
    SQLite, whose writers are serialised: this runs inside the chunk's write transaction)."""
    table = model._meta.db_table  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, count],
            )
            return int(cursor.fetchone()[0]) - count + 1
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table_name(model)}")  # noqa: S608
        return int(cursor.fetchone()[0]) + 1


def payment_reference(batch: ImportBatch) -> str:
    return f"import #{batch.pk}"


class Writer:
    """Writes the valid rows of a chunk: new orders (whole), lines added to the orders this
    import created in an earlier chunk, their payments, the products the catalogue lacks and
    the daily sales summary's deltas. Called inside the chunk's transaction."""

    def __init__(self, batch: ImportBatch, matcher: Matcher) -> None:
        self.batch, self.matcher = batch, matcher
        self.teams: dict[int | None, int | None] = {None: None}
        self.now = timezone.now()

    def _team(self, owner_id: int | None) -> int | None:
        if owner_id not in self.teams:
            from kehu.accounts.models import User

            owner = User.objects.filter(pk=owner_id).first() if owner_id else None
            team = primary_team(user=owner)
            self.teams[owner_id] = team.pk if team else None
        return self.teams[owner_id]

    def _products(self, rows: list[Line]) -> None:
        for row in rows:
            if row.product_id is not None:
                continue
            key = "c:" + row.product_code if row.product_code else "n:" + row.product_name
            pk = self.matcher.products.get(key)
            if pk is None:
                code = row.product_code or f"imp{self.batch.pk}-r{row.number}"
                product = Product.objects.create(
                    code=code,
                    name=row.product_name or code,
                    list_price=row.unit_price or Decimal(0),
                    currency=row.currency,
                    import_batch=self.batch,
                )
                pk = self.matcher.products[key] = product.pk
            row.product_id = pk

    def write(self, rows: list[Line], existing: dict[str, tuple[int, int, int | None]]) -> None:
        rows = [r for r in rows if r.valid and not r.skip]
        if not rows:
            return
        self._products(rows)
        orders: dict[str, list[Line]] = {}
        for row in rows:
            orders.setdefault(row.order_number, []).append(row)
        fresh = [number for number in orders if number not in existing]
        customers = sorted({c for n in fresh if (c := orders[n][0].customer_id) is not None})
        buying = {
            c
            for (c,) in select_rows(
                f"SELECT DISTINCT customer_id FROM {table_name(Order)} "  # noqa: S608
                "WHERE customer_id IN ({marks}) AND status <> %s",
                customers,
                [Order.Status.CANCELLED.value],
            )
        }
        first_id = _reserve(Order, len(fresh)) if fresh else 0
        ids = {number: first_id + i for i, number in enumerate(fresh)}
        order_rows, line_rows, payment_rows = [], [], []
        deltas: dict[tuple[Any, ...], list[Any]] = defaultdict(
            lambda: [0, Decimal(0), 0, Decimal(0)]
        )
        added: dict[int, tuple[Decimal, Decimal]] = {}
        for number, lines in orders.items():
            head = lines[0]
            customer = head.customer_id
            assert customer is not None  # noqa: S101 (a valid row has its customer)
            owner = self.matcher.owners.get(customer)
            team = self._team(owner)
            total = sum((r.amount for r in lines), Decimal(0))
            paid = sum((r.paid for r in lines), Decimal(0))
            status = Order.Status.CANCELLED if head.cancelled else Order.Status.DELIVERED
            key = (head.ordered_on, owner, team, head.currency)
            if number in ids:
                pk = ids[number]
                first = not head.cancelled and customer not in buying
                if not head.cancelled:
                    buying.add(customer)
                    delta = deltas[key]
                    delta[0] += 1
                    delta[1] += total
                    delta[2] += int(first)
                order_rows.append((
                    pk, number, customer, head.ordered_on, head.channel, status.value, owner,
                    team, head.currency, total, paid, first, "", self.batch.pk, self.now,
                    self.now,
                ))  # fmt: skip
            else:
                pk = existing[number][0]
                added[pk] = (total, paid)
                if not head.cancelled:
                    deltas[key][1] += total
            line_rows += [
                (pk, r.product_id, r.quantity, r.unit_price, r.discount, r.amount) for r in lines
            ]
            if paid > 0:
                payment_rows.append((
                    pk, customer, paid, head.currency, head.ordered_on, owner, team, head.method,
                    payment_reference(self.batch), self.batch.created_by_id, self.now, self.now,
                ))  # fmt: skip
                if collects(head.method):
                    deltas[(head.ordered_on, owner, team, head.currency)][3] += paid
        with connection.cursor() as cursor:
            insert_rows(cursor, Order._meta.db_table, (
                "id", "number", "customer_id", "ordered_on", "channel", "status", "owner_id",
                "team_id", "currency", "total_amount", "paid_amount", "first_for_customer",
                "notes", "import_batch_id", "created_at", "updated_at",
            ), order_rows)  # fmt: skip
            insert_rows(cursor, OrderLine._meta.db_table, (
                "order_id", "product_id", "quantity", "unit_price", "discount_percent", "amount",
            ), line_rows)  # fmt: skip
            insert_rows(cursor, Payment._meta.db_table, (
                "order_id", "customer_id", "amount", "currency", "received_on", "owner_id",
                "team_id", "method", "reference", "recorded_by_id", "created_at", "updated_at",
            ), payment_rows)  # fmt: skip
            for pk, (total, paid) in added.items():
                cursor.execute(
                    f"UPDATE {table_name(Order)} SET total_amount = total_amount + %s, "  # noqa: S608
                    "paid_amount = paid_amount + %s WHERE id = %s",
                    [total, paid, pk],
                )
            insert_rows(cursor, SalesDaily._meta.db_table, (
                "day", "owner_id", "team_id", "currency", "orders", "revenue", "new_customers",
                "collected", "won", "lost", "opportunity_revenue",
            ), [(*key, *values, 0, 0, 0) for key, values in deltas.items()])  # fmt: skip


def run_import(batch: ImportBatch, progress: Progress | None = None) -> ImportBatch:
    """Import the orders, continuing after the checkpoint if an earlier run stopped."""
    if batch.status in {ImportBatch.Status.DONE, ImportBatch.Status.UNDONE}:
        return batch
    table = open_table(batch)
    if not batch.checked_hash or file_hash(table.path) != batch.checked_hash:
        raise ValidationError(NOT_CHECKED)
    start = batch_import_started(batch, table)
    check = FileCheck(batch, table)
    with fewer_collections(), sqlite_cache():
        check.run()  # the whole file again: which orders cannot be imported
        writer = Writer(batch, check.matcher)
        for chunk in check.chunks(start):
            for row in chunk:
                check.again(row)
            existing = check.matcher.existing_orders({r.order_number for r in chunk if r.valid})
            report: list[tuple[int, str, int | None, list[Any]]] = []
            for row in chunk:
                check.judge(row, existing)
                if not row.valid:
                    report.append((row.number, ImportRow.Outcome.INVALID, None, row.problems))
                elif row.skip:
                    report.append(
                        (row.number, ImportRow.Outcome.SKIPPED, row.customer_id, skip_problem(row))
                    )
                else:
                    report.append((row.number, ImportRow.Outcome.CREATED, row.customer_id, []))
            with transaction.atomic():
                # The batch row first: on SQLite this takes the write lock before ids are chosen.
                batch.processed_rows += len(chunk)
                batch.save(update_fields=["processed_rows", "updated_at"])
                writer.write(chunk, existing)
                report_rows(batch, report)
                batch.created_count += sum(1 for r in chunk if r.valid and not r.skip)
                batch.skipped_count += sum(1 for r in chunk if r.valid and r.skip)
                batch.invalid_rows += sum(1 for r in chunk if not r.valid)
                batch.save()
            if progress:
                progress(batch)
    batch.status = ImportBatch.Status.DONE
    batch.total_rows = batch.processed_rows
    batch.finished_at = timezone.now()
    batch.save()
    return batch
