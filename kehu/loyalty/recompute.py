"""Points recomputed from the order lines, vectorised: what every customer would have earned
on their orders (not cancelled, as if fully paid) under today's rate and product/category
multipliers. It answers "what does a rule change cost?" and checks the ledger's earnings in
bulk; birthday-month and campaign bonuses depend on the payment date and are left out.

Reading the lines is the cost (the arithmetic is NumPy's): only the columns needed, through
the DB-API cursor in chunks, optionally in primary-key ranges by forked processes
(``bench/loyalty.py`` measures it at 10,000,000 lines)."""

import multiprocessing
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection

from kehu.customers.models import Customer
from kehu.loyalty.models import EarnRule
from kehu.loyalty.services import programme_get
from kehu.sales.models import Order, OrderLine, Product

CHUNK = 100_000


def _multipliers() -> np.ndarray:
    """Multiplier per product id (the larger of the product's and its category's)."""
    rules = EarnRule.objects.filter(is_active=True, starts_on__isnull=True, ends_on__isnull=True)
    by_product = {r.product_id: float(r.multiplier) for r in rules if r.kind == "product"}
    by_category = {r.category: float(r.multiplier) for r in rules if r.kind == "category"}
    products = list(Product.objects.values_list("pk", "category"))
    top = max((pk for pk, _c in products), default=0)
    factor = np.ones(top + 1)
    for pk, category in products:
        factor[pk] = max(by_product.get(pk, 1.0), by_category.get(category, 1.0))
    return factor


def _read_range(
    first: int, last: int, rate: float, factor: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Points and line counts per customer id (arrays of ``size``) of the order lines with ids
    ``first``…``last`` whose order is not cancelled, and how many lines were read. Only the
    three columns needed, the amount as a double (no per-value conversion in Python), rows
    turned into one float array per chunk by NumPy's C loop."""
    line, order = OrderLine._meta.db_table, Order._meta.db_table
    sql = (
        f"SELECT o.customer_id, l.product_id, CAST(l.amount AS DOUBLE PRECISION) FROM {line} l "  # noqa: S608
        f"JOIN {order} o ON o.id = l.order_id "
        "WHERE l.id >= %s AND l.id <= %s AND o.status <> %s"
    )
    points = np.zeros(size, np.float64)
    counts = np.zeros(size, np.int64)
    read = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, [first, last, Order.Status.CANCELLED])
        while rows := cursor.fetchmany(CHUNK):
            data = np.array(rows, dtype=np.float64)
            customer = data[:, 0].astype(np.int64)
            product = data[:, 1].astype(np.int64)
            earned = np.floor(data[:, 2] * rate * factor[product] + 1e-9)
            points += np.bincount(customer, weights=earned, minlength=size)[:size]
            counts += np.bincount(customer, minlength=size)[:size]
            read += len(rows)
    return points, counts, read


def _ranges(first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """``first``…``last`` in ``parts`` consecutive key ranges (fewer when there are fewer ids)."""
    span = last - first + 1
    parts = max(1, min(parts, span))
    step = -(-span // parts)
    return [(lo, min(lo + step - 1, last)) for lo in range(first, last + 1, step)]


def _in_child(job: tuple[int, int], rate: float, factor: np.ndarray, size: int, out: Any) -> None:
    # a forked child: its own database connection (the parent's was closed before the fork)
    try:
        out.send(_read_range(job[0], job[1], rate, factor, size))
    except BaseException as exc:  # reported to the parent, which raises it
        out.send(RuntimeError(f"reading order lines {job} failed: {exc!r}"))
    finally:
        connection.close()
        out.close()


def _forkable() -> bool:
    """Whether reading in forked children may close this process's connection first: not
    inside a transaction, and not an in-memory SQLite database (which closing would lose)."""
    if connection.in_atomic_block:
        return False
    name = str(connection.settings_dict.get("NAME") or "")
    return not (connection.vendor == "sqlite" and (":memory:" in name or "mode=memory" in name))


def points_for_lines(workers: int = 1) -> tuple[np.ndarray, np.ndarray, int]:
    """(customer ids, points) for every customer with order lines, and the lines read.
    Points per line are rounded down, as the ledger does per payment.

    With ``workers`` > 1 the order lines are read in primary-key ranges by that many forked
    processes at once (each with its own connection; this process's is closed first, so not
    inside a transaction), each summing its lines per customer; the sums are added here."""
    rate = float(programme_get().points_per_yuan)
    factor = _multipliers()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {OrderLine._meta.db_table}")  # noqa: S608
        first, last = cursor.fetchone()
        cursor.execute(f"SELECT MAX(id) FROM {Customer._meta.db_table}")  # noqa: S608
        size = int(cursor.fetchone()[0] or 0) + 1
    if first is None:
        return np.array([], np.int64), np.array([], np.int64), 0
    if workers <= 1 or not _forkable():
        points, counts, read = _read_range(first, last, rate, factor, size)
    else:
        points, counts, read = _read_in_children(_ranges(first, last, workers), rate, factor, size)
    ids = np.flatnonzero(counts)
    return ids, points[ids].astype(np.int64), read


def _read_in_children(
    jobs: list[tuple[int, int]], rate: float, factor: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, int]:
    context = multiprocessing.get_context("fork")
    connection.close()  # each child opens its own connection
    pipes, children = [], []
    for job in jobs:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_in_child, args=(job, rate, factor, size, send), daemon=True)
        child.start()
        send.close()
        pipes.append(receive)
        children.append(child)
    points = np.zeros(size, np.float64)
    counts = np.zeros(size, np.int64)
    read = 0
    try:
        for receive in pipes:
            answer = receive.recv()
            if isinstance(answer, Exception):
                raise answer
            points += answer[0]
            counts += answer[1]
            read += answer[2]
    finally:
        for child in children:
            child.join(timeout=5)
            if child.is_alive():
                child.terminate()
    return points, counts, read


def points_for_arrays(
    customer: np.ndarray, product: np.ndarray, amount: np.ndarray, factor: np.ndarray, rate: Decimal
) -> tuple[np.ndarray, np.ndarray]:
    """The same computation on arrays already in memory (the benchmark's synthetic lines)."""
    points = np.floor(amount * float(rate) * factor[product] + 1e-9).astype(np.int64)
    ids, inverse = np.unique(customer, return_inverse=True)
    return ids, np.bincount(inverse, weights=points).astype(np.int64)
