"""``/api/v1/analytics``: a customer's value figures, the archive's summaries (in the caller's
scope), the customers behind a number, refreshes and their status, accepting suggested grades."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Router, Schema, Status
from ninja.pagination import paginate

from kehu.analytics import filters as value_filters
from kehu.analytics import selectors, services
from kehu.analytics.models import AnalyticsRun
from kehu.core.access import (
    can_see_customers,
    require,
    require_archive_admin,
    sees_all_customers,
)
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.customers.api.schemas import UserRef

router = Router(tags=["analytics"])


class ValueFiguresOut(Schema):
    customer_id: int
    first_purchase_on: date
    last_purchase_on: date
    purchase_days: int
    orders: int
    revenue: Decimal
    average_order_value: Decimal
    mean_interval_days: float | None
    recency_days: int
    r_score: int
    f_score: int
    m_score: int
    segment: str
    revenue_rank: int
    cumulative_share: float
    tier: str
    suggested_grade: str
    p_alive: float | None
    expected_30: float | None
    expected_90: float | None
    expected_365: float | None
    next_purchase_on: date | None
    expected_order_value: Decimal | None
    clv_12: Decimal | None
    clv_36: Decimal | None
    churn_risk: bool
    spend_90: Decimal
    spend_prev_90: Decimal
    change_90: float | None
    spend_365: Decimal
    spend_prev_365: Decimal
    change_365: float | None
    computed_at: datetime


class CustomerValueOut(Schema):
    customer_id: int
    value: ValueFiguresOut | None


class CountRow(Schema):
    code: str
    label: str
    count: int
    revenue: float


class SummaryOut(Schema):
    as_of: date | None
    whole_archive: bool
    segments: list[CountRow]
    tiers: list[CountRow]
    archive: dict[str, Any] | None


class RefreshRunOut(Schema):
    id: int
    status: str
    stage: str
    progress: int
    as_of: date
    customers: int
    timings: dict[str, float]
    error: str
    started_at: datetime | None
    finished_at: datetime | None


class ValueCustomer(Schema):
    id: int
    name: str
    grade: str
    owner: UserRef | None
    value: ValueFiguresOut


class AcceptIn(Schema):
    customer_ids: list[int]


class AcceptedOut(Schema):
    changed: int


@router.get(
    "/customers/{customer_id}",
    response={200: CustomerValueOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="A customer's value figures (null before their first purchase)",
)
def customer_value(request: AuthenticatedRequest, customer_id: int) -> dict[str, Any]:
    value = selectors.value_for_customer(user=request.user, customer_id=customer_id)
    return {"customer_id": customer_id, "value": value}


@router.get(
    "/summary",
    response={200: SummaryOut, **ERROR_RESPONSES},
    summary="Segments and tiers in your scope; the archive's figures for whole-archive roles",
)
def summary(request: AuthenticatedRequest) -> dict[str, Any]:
    require(request.user, can_see_customers, selectors.ANALYTICS_REFUSED)
    run = selectors.run_latest_done()
    whole = sees_all_customers(request.user)
    return {
        "as_of": run.as_of if run else None,
        "whole_archive": whole,
        "segments": selectors.segment_grid(user=request.user, run=run),
        "tiers": selectors.tier_counts(user=request.user, run=run),
        "archive": run.summary if (run and whole) else None,
    }


@router.get(
    "/customers",
    response={200: list[ValueCustomer], 422: ErrorBody, **ERROR_RESPONSES},
    summary="The customers behind a number, by revenue rank",
    description=(
        "Filters: `tier`, `segment`, `p_alive_min`, `p_alive_max`, `clv_min`, `clv_max`, "
        "`last_purchase_from`, `last_purchase_to`, `churn_risk`, `trend` (growth|decline), "
        "`disagreement`, `rank_max`. Only customers you may see."
    ),
)
@paginate(KeysetPagination)
def value_customers(request: AuthenticatedRequest) -> Any:
    filters = value_filters.value_filters_from(request.GET)
    return selectors.value_customers(user=request.user, filters=filters)


@router.post(
    "/refresh",
    response={202: RefreshRunOut, **ERROR_RESPONSES},
    summary="Refresh every customer's figures now (in the background); poll the run",
)
def refresh(request: AuthenticatedRequest) -> Status[AnalyticsRun]:
    return Status(202, services.analytics_run_request(user=request.user))


@router.get(
    "/runs/latest",
    response={200: RefreshRunOut | None, **ERROR_RESPONSES},
    summary="The latest refresh and its progress",
)
def run_latest(request: AuthenticatedRequest) -> AnalyticsRun | None:
    require_archive_admin(request.user, selectors.REFRESH_REFUSED)
    return selectors.run_latest()


@router.get(
    "/runs/{run_id}",
    response={200: RefreshRunOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="A refresh and its progress",
)
def run_status(request: AuthenticatedRequest, run_id: int) -> AnalyticsRun:
    return selectors.run_get(user=request.user, run_id=run_id)


@router.post(
    "/grades/accept",
    response={200: AcceptedOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Set the suggested grade on these customers (history channel: analytics)",
)
def grades_accept(request: AuthenticatedRequest, payload: AcceptIn) -> dict[str, int]:
    changed = services.suggested_grades_accept(user=request.user, customer_ids=payload.customer_ids)
    return {"changed": changed}
