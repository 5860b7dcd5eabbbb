"""``/api/v1/reports``: sales performance."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.sales import selectors
from kehu.sales.api.schemas import (
    PerformanceIn,
    PerformanceOut,
)
from kehu.sales.models import (
    DEFAULT_CURRENCY,
)

reports_router = Router(tags=["reports"])


# --- reports ----------------------------------------------------------------------------------


@reports_router.get(
    "/sales-performance",
    response={200: PerformanceOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Sales performance per rep or team for a period",
    description=(
        "Over the work you answer for (everyone's for roles that see every customer; your own "
        "and your managed teams' for a sales rep): orders and revenue by order date, payments "
        "collected "
        "by date received, new customers (first order ever in the period), opportunities won "
        "and lost by close date with the win rate, and the open pipeline weighted by "
        "probability (as of now). Money in `currency` only."
    ),
)
def sales_performance(
    request: AuthenticatedRequest, filters: Query[PerformanceIn]
) -> selectors.PerformanceReport:
    today = timezone.localdate()
    start = filters.start or today.replace(day=1)
    end = filters.end or today
    if end < start:
        raise ValidationError({"end": [_("The end is before the start.")]})
    return selectors.sales_performance(
        user=request.user,
        start=start,
        end=end,
        group_by=filters.group_by,
        currency=filters.currency or DEFAULT_CURRENCY,
    )
