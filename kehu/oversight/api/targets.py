"""Sales targets and the forecast."""

from datetime import date
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Status
from ninja.pagination import paginate

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.core.schemas import RecordId
from kehu.oversight import selectors, services
from kehu.oversight.api.common import router
from kehu.oversight.api.schemas import SalesTargetIn, SalesTargetOut
from kehu.oversight.models import SalesTarget


@router.get(
    "/targets/",
    response={200: list[SalesTargetOut], **ERROR_RESPONSES},
    summary="Sales targets you may see (your own, your teams', or everyone's)",
)
@paginate(KeysetPagination)
def target_list(request: AuthenticatedRequest, starts_from: date | None = None) -> Any:
    return selectors.target_list(user=request.user, starts_from=starts_from).order_by("-id")


@router.post(
    "/targets/",
    response={200: SalesTargetOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Set (or change) a rep's or a team's target for a month or quarter",
)
def target_set(request: AuthenticatedRequest, payload: SalesTargetIn) -> SalesTarget:
    from kehu.accounts.models import Team, User
    from kehu.core.access import require
    from kehu.oversight.access import can_set_targets

    require(request.user, can_set_targets)
    owner = get_object_or_404(User, pk=payload.owner_id) if payload.owner_id else None
    team = get_object_or_404(Team, pk=payload.team_id) if payload.team_id else None
    return services.target_set(
        user=request.user,
        period=payload.period,
        starts_on=payload.starts_on,
        metric=payload.metric,
        amount=payload.amount,
        owner=owner,
        team=team,
    )


@router.delete(
    "/targets/{target_id}",
    response={204: None, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Delete a target",
)
def target_delete(request: AuthenticatedRequest, target_id: RecordId) -> Status[None]:
    target = selectors.target_get_for_user(user=request.user, target_id=target_id)
    services.target_delete(user=request.user, target=target)
    return Status(204, None)
