"""Service in the browser: the agent's queue, cases, feedback, the product report, the SLA
settings, and the customer's public satisfaction page. Cases and customers come through scoped
selectors (404 outside the user's scope); writes go through ``kehu.service.services``."""

from kehu.service.views.cases import (
    case_assign,
    case_create,
    case_detail,
    case_escalate,
    case_priority,
    case_rate,
    case_reply,
    case_transition,
)
from kehu.service.views.common import (
    PAGE_SIZE,
    RATING_LIMIT,
    RATING_WINDOW,
)
from kehu.service.views.feedback import (
    feedback_create,
    feedback_list,
    product_report,
)
from kehu.service.views.queue import (
    case_list,
    case_queue,
)
from kehu.service.views.rating import (
    LINK_PROBLEMS,
    rating_public,
)
from kehu.service.views.settings import (
    service_settings,
    service_settings_hours,
    service_settings_sla,
    special_day_add,
    special_day_delete,
)

__all__ = [
    "LINK_PROBLEMS",
    "PAGE_SIZE",
    "RATING_LIMIT",
    "RATING_WINDOW",
    "case_assign",
    "case_create",
    "case_detail",
    "case_escalate",
    "case_list",
    "case_priority",
    "case_queue",
    "case_rate",
    "case_reply",
    "case_transition",
    "feedback_create",
    "feedback_list",
    "product_report",
    "rating_public",
    "service_settings",
    "service_settings_hours",
    "service_settings_sla",
    "special_day_add",
    "special_day_delete",
]
