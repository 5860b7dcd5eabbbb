"""Order-history import (订单历史导入): a business's past sales, one row per order line, into
the sales tables, through the same batches, pages, API and ``kehu import`` as customers
(``ImportBatch.kind`` "orders").

A row names its customer by one key — Kehu's customer number (the id), the ID number, the
unified social credit code, a custom field chosen as external reference, or the phone (with
the name, when the file has names, to tell apart customers sharing a phone) — and is refused
when that key finds no live customer or more than one: never guessed. Products are matched by
code, else by exact name; unknown ones are created (or their rows refused, as the batch says).

Orders are imported whole: the lines of one order number must agree on customer, date,
currency, channel and status, and one invalid line refuses every line of its order (saying
which row was wrong), so no order is ever written with lines missing. Hence two passes over
the file: the first checks every row and finds the orders that cannot be imported; the second
writes the report (dry run) or the orders (import), chunk by chunk, each chunk one transaction
with its report rows, the daily sales summary's deltas and the checkpoint (``processed_rows``).

Idempotent on order number + line: an order number already in the archive (imported before,
by another import or entered by hand) is skipped with a reason on each of its rows; a resumed
import adds only the lines after its checkpoint to the orders it created itself.
"""

from kehu.imports.orders.checking import dry_run
from kehu.imports.orders.fields import (
    ORDERS,
    SYNONYMS,
    header_words,
    mapping_errors,
    suggest,
    targets,
)
from kehu.imports.orders.undo import undo_chunk, undo_rows
from kehu.imports.orders.writing import Writer, run_import

__all__ = [
    "ORDERS",
    "SYNONYMS",
    "Writer",
    "dry_run",
    "header_words",
    "mapping_errors",
    "run_import",
    "suggest",
    "targets",
    "undo_chunk",
    "undo_rows",
]
