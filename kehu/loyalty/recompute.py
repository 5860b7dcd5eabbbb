"""Points recomputed from the order lines, vectorised: what every customer would have earned
on their orders (not cancelled, as if fully paid) under today's rate and product/category
multipliers. It answers "what does a rule change cost?" and checks the ledger's earnings in
bulk; birthday-month and campaign bonuses depend on the payment date and are left out."""

from decimal import Decimal

import numpy as np
from django.db import connection

from kehu.loyalty.models import EarnRule
from kehu.loyalty.services import programme_get
from kehu.sales.models import Order, OrderLine, Product

CHUNK = 500_000


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


def points_for_lines() -> tuple[np.ndarray, np.ndarray, int]:
    """(customer ids, points) for every customer with order lines, and the lines read.
    Points per line are rounded down, as the ledger does per payment."""
    rate = float(programme_get().points_per_yuan)
    factor = _multipliers()
    line, order = OrderLine._meta.db_table, Order._meta.db_table
    sql = (
        f"SELECT o.customer_id, l.product_id, l.amount FROM {line} l "  # noqa: S608 (table names)
        f"JOIN {order} o ON o.id = l.order_id WHERE o.status <> %s"
    )
    customers_all: list[np.ndarray] = []
    points_all: list[np.ndarray] = []
    read = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, [Order.Status.CANCELLED])
        while rows := cursor.fetchmany(CHUNK):
            data = np.array(rows, dtype=object)
            customer = data[:, 0].astype(np.int64)
            product = data[:, 1].astype(np.int64)
            amount = data[:, 2].astype(np.float64)
            points = np.floor(amount * rate * factor[product] + 1e-9).astype(np.int64)
            customers_all.append(customer)
            points_all.append(points)
            read += len(rows)
    if not customers_all:
        return np.array([], np.int64), np.array([], np.int64), 0
    customer = np.concatenate(customers_all)
    points = np.concatenate(points_all)
    ids, inverse = np.unique(customer, return_inverse=True)
    return ids, np.bincount(inverse, weights=points).astype(np.int64), read


def points_for_arrays(
    customer: np.ndarray, product: np.ndarray, amount: np.ndarray, factor: np.ndarray, rate: Decimal
) -> tuple[np.ndarray, np.ndarray]:
    """The same computation on arrays already in memory (the benchmark's synthetic lines)."""
    points = np.floor(amount * float(rate) * factor[product] + 1e-9).astype(np.int64)
    ids, inverse = np.unique(customer, return_inverse=True)
    return ids, np.bincount(inverse, weights=points).astype(np.int64)
