"""``/api/v1/segments``: saved customer-list filters (客户分群) and their customers.

A segment's customers are always read in the caller's scope; counts likewise.
"""

from datetime import datetime
from typing import Any

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.customers import segments
from kehu.customers.api.schemas import CustomerItem
from kehu.customers.models import Segment

router = Router(tags=["segments"])


class SegmentIn(Schema):
    name: str
    visibility: Segment.Visibility = Segment.Visibility.PRIVATE
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "List filters as in `GET /customers/`: kind, stage, grade, status, owner_id, "
            "team_id, tag, province, city, channel, q, order, created_from, created_to, "
            "updated_from, updated_to (YYYY-MM-DD) and custom: [[code, value], …]."
        ),
    )


class SegmentOut(Schema):
    id: int
    name: str
    visibility: Segment.Visibility
    team_id: int | None
    owner: str
    filters: dict[str, Any]
    last_count: int | None = Field(description="In the owner's scope, at counted_at.")
    counted_at: datetime | None

    @staticmethod
    def resolve_owner(obj: Segment) -> str:
        return obj.owner.username


class CountOut(Schema):
    count: int = Field(description="The segment's customers the caller may see, now.")


ONE = {200: SegmentOut, 404: ErrorBody, **ERROR_RESPONSES}


@router.get("/", response={200: list[SegmentOut], **ERROR_RESPONSES}, summary="List segments")
def segment_list(request: AuthenticatedRequest) -> Any:
    return list(segments.segments_visible_to(request.user))


@router.post("/", response={201: SegmentOut, 422: ErrorBody, **ERROR_RESPONSES})
def segment_create(request: AuthenticatedRequest, payload: SegmentIn) -> Status[Segment]:
    """Save filters as a segment (counted at once)."""
    segment = segments.segment_save(
        user=request.user,
        name=payload.name,
        visibility=payload.visibility,
        filters=segments.filters_from_json(payload.filters),
    )
    return Status(201, segment)


@router.get("/{segment_id}", response=ONE, summary="One segment")
def segment_detail(request: AuthenticatedRequest, segment_id: int) -> Segment:
    return segments.segment_get_for_user(user=request.user, segment_id=segment_id)


@router.put("/{segment_id}", response={**ONE, 422: ErrorBody}, summary="Change a segment")
def segment_update(request: AuthenticatedRequest, segment_id: int, payload: SegmentIn) -> Segment:
    segment = segments.segment_get_for_user(user=request.user, segment_id=segment_id)
    return segments.segment_save(
        user=request.user,
        name=payload.name,
        visibility=payload.visibility,
        filters=segments.filters_from_json(payload.filters),
        segment=segment,
    )


@router.delete(
    "/{segment_id}", response={204: None, 404: ErrorBody, 409: ErrorBody, **ERROR_RESPONSES}
)
def segment_delete(request: AuthenticatedRequest, segment_id: int) -> Status[None]:
    segment = segments.segment_get_for_user(user=request.user, segment_id=segment_id)
    segments.segment_delete(user=request.user, segment=segment)
    return Status(204, None)


@router.get(
    "/{segment_id}/count",
    response={200: CountOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Count a segment's customers now",
)
def segment_count(request: AuthenticatedRequest, segment_id: int) -> CountOut:
    segment = segments.segment_get_for_user(user=request.user, segment_id=segment_id)
    if segment.owner_id == request.user.pk:
        segments.segment_refresh(segment=segment)
        return CountOut(count=segment.last_count or 0)
    return CountOut(count=segments.segment_count(user=request.user, segment=segment))


@router.get(
    "/{segment_id}/customers",
    response={200: list[CustomerItem], 404: ErrorBody, **ERROR_RESPONSES},
    summary="A segment's customers",
)
@paginate(KeysetPagination)
def segment_customers(request: AuthenticatedRequest, segment_id: int) -> Any:
    segment = segments.segment_get_for_user(user=request.user, segment_id=segment_id)
    return segments.segment_customers(user=request.user, segment=segment).prefetch_related("tags")
