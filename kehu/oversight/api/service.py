"""The service dashboard's figures."""

from typing import Any

from django.utils import timezone
from ninja import Query

from kehu.core.api import ERROR_RESPONSES
from kehu.core.http import AuthenticatedRequest
from kehu.oversight import kpis, selectors
from kehu.oversight.api.common import router
from kehu.oversight.api.schemas import DashboardIn


@router.get(
    "/service",
    response={200: dict[str, Any], **ERROR_RESPONSES},
    summary="Service figures: open cases by age and priority, SLA, response times, ratings",
)
def service(request: AuthenticatedRequest, filters: Query[DashboardIn]) -> dict[str, Any]:
    span = kpis.span_of(filters.period, filters.on or timezone.localdate())
    return selectors.service_dashboard(user=request.user, start=span.start, end=span.end)
