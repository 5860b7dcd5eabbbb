"""``/api/v1/``: products, orders (with lines), payments, receivables, opportunities (and stage
moves) and the sales-performance report.

Orders, payments and opportunities are read through the ``*_visible_to`` selectors: another
rep's customer's order is a 404. Money is a decimal string (``"1234.50"``) with its currency.
"""

from kehu.sales.api.opportunities import opportunities_router
from kehu.sales.api.orders import orders_router, payments_router, receivables_router
from kehu.sales.api.products import products_router
from kehu.sales.api.reports import reports_router

__all__ = [
    "opportunities_router",
    "orders_router",
    "payments_router",
    "products_router",
    "receivables_router",
    "reports_router",
]
