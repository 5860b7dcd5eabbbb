"""Every write in sales: products, orders, payments, opportunities and their stage moves.

Each service checks that the user may change the customer (``PermissionDenied`` otherwise),
validates (``ValidationError`` with field errors) and refuses writes that clash with the
record's state (``Conflict``, HTTP 409).
"""

from kehu.sales.services.common import (
    CENT,
    MAX_MONEY,
    PIPELINE_REFUSED,
    SALES_CHANGE_REFUSED,
    line_amount,
    money,
)
from kehu.sales.services.opportunities import (
    OPPORTUNITY_FIELDS,
    opportunity_create,
    opportunity_move,
    opportunity_products_set,
    opportunity_products_total,
    opportunity_update,
)
from kehu.sales.services.orders import (
    LineInput,
    order_assign,
    order_cancel,
    order_create,
    order_mark_delivered,
    order_update,
)
from kehu.sales.services.payments import (
    payment_correct,
    payment_record,
    payment_reverse,
)
from kehu.sales.services.pipeline import (
    STAGE_FIELDS,
    pipeline_stage_delete,
    pipeline_stage_save,
)
from kehu.sales.services.products import (
    PRODUCT_FIELDS,
    product_save,
)

__all__ = [
    "CENT",
    "LineInput",
    "MAX_MONEY",
    "OPPORTUNITY_FIELDS",
    "PIPELINE_REFUSED",
    "PRODUCT_FIELDS",
    "SALES_CHANGE_REFUSED",
    "STAGE_FIELDS",
    "line_amount",
    "money",
    "opportunity_create",
    "opportunity_move",
    "opportunity_products_set",
    "opportunity_products_total",
    "opportunity_update",
    "order_assign",
    "order_cancel",
    "order_create",
    "order_mark_delivered",
    "order_update",
    "payment_correct",
    "payment_record",
    "payment_reverse",
    "pipeline_stage_delete",
    "pipeline_stage_save",
    "product_save",
]
