"""Every read of sales records, scoped by the customers the user may see.

"A rep sees the orders of customers they may see": orders, payments and opportunities are
narrowed by ``customer IN (customers_visible_to(user))``; roles that see every customer skip
the subquery.
"""

from kehu.sales.selectors.orders import (
    AGEING_BUCKETS,
    CurrencyTotal,
    OpenItem,
    OrderFilters,
    Receivables,
    SalesSummary,
    ageing_bucket,
    customer_receivables,
    customer_sales_summary,
    order_list,
    payment_list,
)
from kehu.sales.selectors.performance import (
    PerformanceReport,
    PerformanceRow,
    sales_performance,
)
from kehu.sales.selectors.pipeline import (
    CLOSED_COLUMN_DAYS,
    KANBAN_CARDS_PER_STAGE,
    KanbanColumn,
    OpportunityFilters,
    customer_open_opportunities,
    kanban_board,
    opportunity_list,
    pipeline_stage_rows,
    pipeline_stages,
    win_rate,
)
from kehu.sales.selectors.products import (
    product_get,
    product_list,
    products_on_sale,
)
from kehu.sales.selectors.scope import (
    CENT,
    corrections_of,
    opportunities_visible_to,
    opportunity_get_for_user,
    order_get_for_user,
    order_pk_subquery,
    orders_visible_to,
    payment_get_for_user,
    payments_visible_to,
    possible_owners,
)
from kehu.sales.selectors.timeline import (
    opportunity_items,
    order_items,
    payment_items,
)

__all__ = [
    "AGEING_BUCKETS",
    "CENT",
    "CLOSED_COLUMN_DAYS",
    "CurrencyTotal",
    "KANBAN_CARDS_PER_STAGE",
    "KanbanColumn",
    "OpenItem",
    "OpportunityFilters",
    "OrderFilters",
    "PerformanceReport",
    "PerformanceRow",
    "Receivables",
    "SalesSummary",
    "ageing_bucket",
    "corrections_of",
    "customer_open_opportunities",
    "customer_receivables",
    "customer_sales_summary",
    "kanban_board",
    "opportunities_visible_to",
    "opportunity_get_for_user",
    "opportunity_items",
    "opportunity_list",
    "order_get_for_user",
    "order_items",
    "order_list",
    "order_pk_subquery",
    "orders_visible_to",
    "payment_get_for_user",
    "payment_items",
    "payment_list",
    "payments_visible_to",
    "pipeline_stage_rows",
    "pipeline_stages",
    "possible_owners",
    "product_get",
    "product_list",
    "products_on_sale",
    "sales_performance",
    "win_rate",
]
