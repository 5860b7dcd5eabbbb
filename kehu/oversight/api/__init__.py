"""``/api/v1/oversight``: every figure of the dashboards (for BI tools), risks and alerts, the
receivables ageing, reviews, targets, growth and decline, the service figures, the risk rules.
Figures are scoped like the pages: a leader reads everything and writes nothing."""

from kehu.oversight.api.common import (
    router,
)
from kehu.oversight.api.dashboard import (
    dashboard,
)
from kehu.oversight.api.growth import (
    growth,
    watch_clear,
    watch_set,
)
from kehu.oversight.api.reviews import (
    customer_reviews,
    review_create,
    review_decide,
    reviews_due,
)
from kehu.oversight.api.risks import (
    RiskListIn,
    ageing,
    alert_list,
    alerts_acknowledge,
    customer_risk,
    risk_list,
    risks_recompute,
)
from kehu.oversight.api.rules import (
    rule_list,
    rule_update,
)
from kehu.oversight.api.schemas import (
    AcknowledgedOut,
    AcknowledgeIn,
    AgeingRowOut,
    AlertOut,
    CustomerRiskOut,
    DashboardIn,
    DashboardOut,
    DecideIn,
    DueCustomerOut,
    GrowthOut,
    ReasonOut,
    ReviewIn,
    ReviewOut,
    RiskCustomerOut,
    RiskOut,
    RiskRuleIn,
    RiskRuleOut,
    RiskRunOut,
    SalesTargetIn,
    SalesTargetOut,
    WatchIn,
)
from kehu.oversight.api.service import (
    service,
)
from kehu.oversight.api.targets import (
    target_delete,
    target_list,
    target_set,
)

__all__ = [
    "AcknowledgeIn",
    "AcknowledgedOut",
    "AgeingRowOut",
    "AlertOut",
    "CustomerRiskOut",
    "DashboardIn",
    "DashboardOut",
    "DecideIn",
    "DueCustomerOut",
    "GrowthOut",
    "ReasonOut",
    "ReviewIn",
    "ReviewOut",
    "RiskCustomerOut",
    "RiskListIn",
    "RiskOut",
    "RiskRuleIn",
    "RiskRuleOut",
    "RiskRunOut",
    "SalesTargetIn",
    "SalesTargetOut",
    "WatchIn",
    "ageing",
    "alert_list",
    "alerts_acknowledge",
    "customer_reviews",
    "customer_risk",
    "dashboard",
    "growth",
    "review_create",
    "review_decide",
    "reviews_due",
    "risk_list",
    "risks_recompute",
    "router",
    "rule_list",
    "rule_update",
    "service",
    "target_delete",
    "target_list",
    "target_set",
    "watch_clear",
    "watch_set",
]
