"""``/api/v1/oversight/``: the dashboards' figures."""

from typing import Any

from django.http import Http404
from ninja import Query

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.oversight import kpis
from kehu.oversight.access import require_reader
from kehu.oversight.api.common import router
from kehu.oversight.api.schemas import DashboardIn, DashboardOut


@router.get(
    "/dashboard",
    response={200: DashboardOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Every KPI of the dashboard for a period, with the previous period's",
    description=(
        "Revenue, collections, new and lost customers, orders, average order value, repeat and "
        "retention rates, CLV, pipeline, weighted forecast, satisfaction, complaint rate, SLA "
        "compliance, overdue receivables, risk counts, customers by stage/grade/tier, the "
        "monthly trend and the targets with attainment. The figures are kept and computed "
        "again in the background: `computed_at` says when; `stale` is true while newer ones "
        "are being computed (ask again in a moment). Scoped: everything for leaders, a "
        "manager's teams, a rep's own work. Formulas: docs/oversight.md."
    ),
)
def dashboard(request: AuthenticatedRequest, filters: Query[DashboardIn]) -> dict[str, Any]:
    require_reader(request.user)
    from kehu.core.access import managed_team_ids, sees_all_customers

    team_id = filters.team_id
    if (
        team_id
        and not sees_all_customers(request.user)
        and team_id not in managed_team_ids(request.user)
    ):
        raise Http404
    board = kpis.dashboard_kept(
        user=request.user,
        filters=kpis.KpiFilters(period=filters.period, on=filters.on, team_id=team_id),
    )
    return {
        "period": filters.period,
        "start": board.span.start,
        "end": board.span.end,
        "previous_start": board.previous.start,
        "previous_end": board.previous.end,
        "team_id": team_id,
        "figures": board.figures,
        "previous": board.before,
        "targets": board.targets,
        "composition": board.composition,
        "risks": board.risks,
        "trend": board.trend,
        "computed_at": board.computed_at,
        "stale": board.stale,
    }
