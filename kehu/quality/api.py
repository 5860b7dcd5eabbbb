"""``/api/v1/quality``: the data-quality snapshot (latest, with the trend), recompute, and the
customers behind a number. Archive administrators and admins only; others get 403."""

from datetime import date, datetime
from typing import Any

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.core.access import require_archive_admin
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.customers.api.schemas import UserRef
from kehu.quality import selectors, services
from kehu.quality.models import QualitySnapshot

router = Router(tags=["data quality"])


class SnapshotOut(Schema):
    taken_on: date
    computed_at: datetime
    stale_months: int
    metrics: dict[str, Any]


class TrendPoint(Schema):
    taken_on: date
    completeness: float | None
    validity: float | None
    consistency: float | None
    stale: float | None


class QualityOut(Schema):
    latest: SnapshotOut | None
    trend: list[TrendPoint]


class RecomputeIn(Schema):
    months: int | None = None


class QueuedOut(Schema):
    queued: bool


class IssueFilterIn(Schema):
    kind: str = ""
    field: str = ""


class IssueCustomer(Schema):
    id: int
    name: str
    kind: str
    owner: UserRef | None
    province: str
    updated_at: datetime
    reviewed_at: datetime | None


@router.get("/", response={200: QualityOut, **ERROR_RESPONSES}, summary="Latest snapshot and trend")
def quality_overview(request: AuthenticatedRequest) -> dict[str, Any]:
    require_archive_admin(request.user, selectors.QUALITY_REFUSED)
    trend = selectors.quality_trend()
    return {"latest": selectors.quality_latest(), "trend": selectors.trend_points(trend)}


@router.post(
    "/recompute",
    response={201: SnapshotOut, 202: QueuedOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Recompute now (at once for a small archive, else in the background)",
)
def quality_recompute(
    request: AuthenticatedRequest, payload: RecomputeIn
) -> Status[QualitySnapshot] | Status[dict[str, bool]]:
    snapshot = services.quality_recompute(user=request.user, months=payload.months)
    if snapshot is None:
        return Status(202, {"queued": True})
    return Status(201, snapshot)


@router.get(
    "/issues/{metric}",
    response={200: list[IssueCustomer], 404: ErrorBody, **ERROR_RESPONSES},
    summary="The customers behind a number",
    description=(
        "`metric`: `missing` (with `kind` and `field`), `stale`, or a rule code as in the "
        "snapshot's `validity.rules` / `consistency.rules`. Cursor-paginated, newest first."
    ),
)
@paginate(KeysetPagination)
def quality_issues(
    request: AuthenticatedRequest, metric: str, filters: Query[IssueFilterIn]
) -> Any:
    found = selectors.quality_issue_customers(
        user=request.user,
        metric=metric,
        kind=filters.kind,
        field=filters.field,
        snapshot=selectors.quality_latest(),
    )
    return found.customers.select_related("owner").order_by("-id")
