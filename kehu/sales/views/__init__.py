"""Sales in the browser: orders with lines and payments, the opportunity kanban and list,
the product catalogue and the sales-performance report.

Records are fetched through the sales selectors (404 outside the user's scope), writes go
through ``kehu.sales.services``; htmx requests get fragments from ``sales/partials/``.
"""

from kehu.sales.views.common import (
    INVALID,
    PAGE_SIZE,
    is_htmx,
)
from kehu.sales.views.opportunities import (
    opportunity_board,
    opportunity_create,
    opportunity_detail,
    opportunity_edit,
    opportunity_move,
    opportunity_products,
)
from kehu.sales.views.orders import (
    order_cancel,
    order_create,
    order_deliver,
    order_detail,
    order_edit,
    order_list,
    payment_create,
    payment_reverse,
    product_search,
)
from kehu.sales.views.performance import (
    performance,
)
from kehu.sales.views.pipeline import (
    pipeline_settings,
    pipeline_stage_delete,
    pipeline_stage_edit,
)
from kehu.sales.views.products import (
    product_create,
    product_edit,
    product_list,
)

__all__ = [
    "INVALID",
    "PAGE_SIZE",
    "is_htmx",
    "opportunity_board",
    "opportunity_create",
    "opportunity_detail",
    "opportunity_edit",
    "opportunity_move",
    "opportunity_products",
    "order_cancel",
    "order_create",
    "order_deliver",
    "order_detail",
    "order_edit",
    "order_list",
    "payment_create",
    "payment_reverse",
    "performance",
    "pipeline_settings",
    "pipeline_stage_delete",
    "pipeline_stage_edit",
    "product_create",
    "product_edit",
    "product_list",
    "product_search",
]
