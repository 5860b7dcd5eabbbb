"""Every write of the service module: cases and their SLA clock, escalation, satisfaction,
customer feedback, and the settings behind them.

Callers fetch customers and cases through the scoped selectors first; these functions check
what the role may do.
"""

from kehu.service.services.cases import (
    case_assign,
    case_for_rating_token,
    case_open,
    case_rate,
    case_rate_by_token,
    case_rating_link,
    case_transition,
    hasattr_rating,
)
from kehu.service.services.common import (
    MAX_TEXT,
    RATEABLE,
    SETTINGS_REFUSED,
    TRANSITIONS,
    S,
)
from kehu.service.services.desk import (
    REASON_MAX,
    InboundResult,
    case_customer_addresses,
    case_email_receive,
    case_escalate_by_hand,
    case_priority_change,
    case_reply,
    case_summary_save,
)
from kehu.service.services.escalation import (
    EscalationResult,
    cases_escalate,
)
from kehu.service.services.feedback import (
    PRODUCT_ONLY,
    feedback_record,
)
from kehu.service.services.settings import (
    hours_from_minutes,
    minutes_from_hours,
    service_settings_save,
    sla_policies_save,
    special_day_delete,
    special_day_save,
)

__all__ = [
    "EscalationResult",
    "InboundResult",
    "MAX_TEXT",
    "PRODUCT_ONLY",
    "RATEABLE",
    "REASON_MAX",
    "S",
    "SETTINGS_REFUSED",
    "TRANSITIONS",
    "case_assign",
    "case_customer_addresses",
    "case_email_receive",
    "case_escalate_by_hand",
    "case_for_rating_token",
    "case_open",
    "case_priority_change",
    "case_rate",
    "case_rate_by_token",
    "case_rating_link",
    "case_reply",
    "case_summary_save",
    "case_transition",
    "cases_escalate",
    "feedback_record",
    "hasattr_rating",
    "hours_from_minutes",
    "minutes_from_hours",
    "service_settings_save",
    "sla_policies_save",
    "special_day_delete",
    "special_day_save",
]
