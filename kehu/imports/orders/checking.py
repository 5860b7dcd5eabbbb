"""The first pass and the dry run: every row checked, orders whose lines disagree or hold an
invalid line refused whole."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.forked import fewer_collections
from kehu.imports.engine import (
    batch_validated,
    open_table,
)
from kehu.imports.engine.writing import report_rows
from kehu.imports.models import ImportBatch, ImportRow
from kehu.imports.orders.cleaning import Line, LineCleaner, word_list
from kehu.imports.orders.fields import CHUNK_SIZE, Progress
from kehu.imports.orders.matching import Matcher
from kehu.imports.readers import Table


@dataclass
class OrderHead:
    """What the first line of an order in the file said, to hold the others to it."""

    row: int
    customer: tuple[str, str] | None
    name: str
    ordered_on: date | None
    currency: str
    channel: str
    cancelled: bool
    lines: set[str] = field(default_factory=set)
    count: int = 0


class FileCheck:
    """The first pass: every row cleaned and matched; the orders of the file, their first row,
    and the orders that cannot be imported (first bad row)."""

    def __init__(self, batch: ImportBatch, table: Table) -> None:
        self.batch, self.table = batch, table
        self.cleaner = LineCleaner(table.headers, batch.mapping, timezone.localdate())
        self.matcher = Matcher(batch, self.cleaner.external)
        self.orders: dict[str, OrderHead] = {}
        self.bad: dict[str, int] = {}  # order number -> its first invalid row
        self.extra: dict[int, dict[str, str]] = {}  # row -> its problem with its order
        self.rows = 0

    def chunks(self, start: int = 0) -> Iterator[list[Line]]:
        rows = self.table.rows()
        if start:
            for _skipped in islice(rows, start):
                pass
        while chunk := list(islice(rows, CHUNK_SIZE)):
            lines = [self.cleaner.clean(n, cells, problem) for n, cells, problem in chunk]
            self.matcher.customers_for(lines)
            self.matcher.products_for(lines, create=self.batch.create_products)
            yield lines

    def consistent(self, row: Line) -> None:
        """Hold a row to the first line of its order (first pass only)."""
        if not row.order_number:
            return
        head = self.orders.get(row.order_number)
        if head is None:
            head = OrderHead(row.number, row.key, row.name, row.ordered_on, row.currency,
                             row.channel, row.cancelled)  # fmt: skip
            self.orders[row.order_number] = head
        elif row.valid:
            same = (
                (gettext_lazy("customer"), head.customer == row.key and head.name == row.name),
                (gettext_lazy("date"), head.ordered_on == row.ordered_on),
                (gettext_lazy("currency"), head.currency == row.currency),
                (gettext_lazy("channel"), head.channel == row.channel),
                (gettext_lazy("status"), head.cancelled == row.cancelled),
            )
            differs = [str(label) for label, agrees in same if not agrees]
            if differs:
                self._problem(
                    row,
                    "order_number",
                    _("Row %(row)s gave order %(order)s another %(what)s.")
                    % {"row": head.row, "order": row.order_number, "what": word_list(differs)},
                    row.order_number,
                )
        head.count += 1
        line = row.line or str(head.count)
        if row.valid and line in head.lines:
            self._problem(row, "line", _("Order %(order)s has line %(line)s twice in the file.")
                        % {"order": row.order_number, "line": line}, line)  # fmt: skip
        head.lines.add(line)
        if not row.valid:
            self.bad.setdefault(row.order_number, row.number)

    def _problem(self, row: Line, code: str, message: str, raw: str) -> None:
        row.problem(code, message, raw)
        self.extra[row.number] = row.problems[-1]

    def again(self, row: Line) -> None:
        """Second pass: the row's problem with its order, found by the first."""
        problem = self.extra.get(row.number)
        if problem is not None:
            row.problems.append(problem)

    def run(self, progress: Callable[[int], None] | None = None) -> None:
        for lines in self.chunks():
            for row in lines:
                self.consistent(row)
            self.rows += len(lines)
            if progress:
                progress(self.rows)

    def judge(self, row: Line, existing: dict[str, tuple[int, int, int | None]]) -> None:
        """Second pass: refuse the rows of an order with a bad line; mark those to skip."""
        if not row.valid:
            return
        bad = self.bad.get(row.order_number)
        if bad is not None:
            row.problem("order_number", _("Row %(row)s of order %(order)s is invalid: an order "
                                          "is imported whole.")
                        % {"row": bad, "order": row.order_number}, row.order_number)  # fmt: skip
            return
        found = existing.get(row.order_number)
        if found is not None and found[2] != self.batch.pk:
            pk, customer, batch = found
            if batch:
                row.skip = _("Order %(order)s is in the archive already (import #%(batch)s).") % {
                    "order": row.order_number,
                    "batch": batch,
                }
            else:
                row.skip = _("Order %(order)s is in the archive already (customer %(c)s).") % {
                    "order": row.order_number,
                    "c": customer,
                }


def skip_problem(row: Line) -> list[dict[str, str]]:
    return [{"field": "order_number", "message": row.skip, "value": row.order_number}]


def dry_run(batch: ImportBatch, progress: Progress | None = None) -> ImportBatch:
    """Check every row (writes nothing but the report): invalid rows with their problems,
    rows to be skipped (their order is in the archive) with the reason."""
    table = open_table(batch)
    ImportRow.objects.filter(batch=batch).delete()
    batch.status = ImportBatch.Status.VALIDATING
    batch.total_rows = lines = table.count_lines()
    batch.checked_rows = batch.valid_rows = batch.invalid_rows = batch.duplicate_rows = 0
    batch.checked_hash = batch.reading_note = ""
    batch.save()
    check = FileCheck(batch, table)

    def first(rows: int) -> None:
        batch.checked_rows = rows // 2
        batch.save(update_fields=["checked_rows", "updated_at"])
        if progress:
            progress(batch)

    with fewer_collections():
        check.run(first)
        batch.checked_rows = 0
        for chunk in check.chunks():
            existing = check.matcher.existing_orders({r.order_number for r in chunk if r.valid})
            report: list[tuple[int, str, int | None, list[Any]]] = []
            for row in chunk:
                check.again(row)
                check.judge(row, existing)
                if not row.valid:
                    report.append((row.number, ImportRow.Outcome.INVALID, None, row.problems))
                elif row.skip:
                    report.append(
                        (row.number, ImportRow.Outcome.SKIPPED, row.customer_id, skip_problem(row))
                    )
            with transaction.atomic():
                report_rows(batch, report)
                batch.checked_rows += len(chunk)
                batch.invalid_rows += sum(1 for r in chunk if not r.valid)
                batch.valid_rows += sum(1 for r in chunk if r.valid and not r.skip)
                batch.duplicate_rows += sum(1 for r in chunk if r.valid and r.skip)
                batch.save()
            if progress:
                progress(batch)
    return batch_validated(batch, table, lines)
