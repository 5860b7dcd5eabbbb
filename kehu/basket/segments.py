"""The cross-sell filter of customer segments: "bought X but never Y" (买了X但从未买Y)."""

from typing import Any

from django.db.models import Exists, OuterRef, Q

from kehu.basket.models import Level
from kehu.sales.models import Order, OrderLine


def _bought(level: str, items: list[Any]) -> Q:
    q = Q()
    for item in items:
        lines = OrderLine.objects.filter(order__customer=OuterRef("pk")).exclude(
            order__status=Order.Status.CANCELLED
        )
        if level == Level.CATEGORY:
            lines = lines.filter(product__category=item)
        else:
            lines = lines.filter(product_id=item)
        q &= Q(Exists(lines))
    return q


def bought_but_never_q(level: str, bought: list[Any], never: list[Any]) -> Q:
    """Customers who bought every item of ``bought`` and none of ``never`` (cancelled orders
    do not count)."""
    q = _bought(level, bought)
    for item in never:
        q &= ~_bought(level, [item])
    return q
