"""The leader's and managers' figures (KPI): one function per figure, each a few aggregate
queries over the viewer's scope, with its formula in its docstring. Scope: a leader, an
archive administrator or an admin sees the whole archive; a team manager their teams' work; a
rep their own (owner and team of the record, not what was shared with them).
"""

from kehu.oversight.kpis.common import (
    PERIODS,
    ZERO,
    KpiFilters,
    Span,
    previous_span,
    span_of,
)
from kehu.oversight.kpis.dashboard import (
    KEPT_SECONDS,
    Dashboard,
    change,
    dashboard,
    dashboard_keep,
    dashboard_kept,
    data_version,
    kept_key,
    period_figures,
    trend,
)
from kehu.oversight.kpis.figures import (
    buyers_figures,
    composition,
    live_rows,
    lost_customers,
    new_customers,
    overdue_total,
    pipeline_figures,
    risk_counts,
    sales_figures,
    service_figures,
    value_figures,
)
from kehu.oversight.kpis.scope import (
    customers_q,
    whole_archive,
    work_q,
)
from kehu.oversight.kpis.targets import (
    attainment,
    targets_for,
)

__all__ = [
    "KEPT_SECONDS",
    "Dashboard",
    "KpiFilters",
    "PERIODS",
    "Span",
    "ZERO",
    "attainment",
    "buyers_figures",
    "change",
    "composition",
    "customers_q",
    "dashboard",
    "dashboard_keep",
    "dashboard_kept",
    "data_version",
    "kept_key",
    "lost_customers",
    "new_customers",
    "overdue_total",
    "period_figures",
    "pipeline_figures",
    "previous_span",
    "live_rows",
    "risk_counts",
    "sales_figures",
    "service_figures",
    "span_of",
    "targets_for",
    "trend",
    "value_figures",
    "whole_archive",
    "work_q",
]
