"""``/api/v1/loyalty/``: the programme's settings and figures."""

from django.http import Http404
from ninja import Status

from kehu.core.access import can_manage_loyalty, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.loyalty import services
from kehu.loyalty.api.common import WRITE, router
from kehu.loyalty.api.schemas import LevelIn, LevelOut, LevelPatch, ProgrammeOut, ProgrammePatch
from kehu.loyalty.models import (
    Level,
    Reward,
)


def _programme_out() -> dict[str, object]:
    programme = services.programme_get()
    return {
        **{f: getattr(programme, f) for f in services.PROGRAMME_FIELDS},
        "levels": list(Level.objects.order_by("rank")),
        "rewards": list(Reward.objects.all()),
    }


@router.get("/programme", response={200: ProgrammeOut, **ERROR_RESPONSES}, summary="The programme")
def programme_detail(request: AuthenticatedRequest) -> dict[str, object]:
    return _programme_out()


@router.patch(
    "/programme",
    response={200: ProgrammeOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Change the programme's rules (audited)",
)
def programme_update(request: AuthenticatedRequest, payload: ProgrammePatch) -> dict[str, object]:
    services.programme_update(user=request.user, data=payload.dict(exclude_none=True))
    return _programme_out()


@router.post(
    "/levels/", response={201: LevelOut, 422: ErrorBody, **ERROR_RESPONSES}, summary="Add a level"
)
def level_create(request: AuthenticatedRequest, payload: LevelIn) -> Status[Level]:
    return Status(201, services.level_save(user=request.user, data=payload.dict()))


@router.patch("/levels/{level_id}", response={200: LevelOut, **WRITE}, summary="Change a level")
def level_update(request: AuthenticatedRequest, level_id: int, payload: LevelPatch) -> Level:
    require(request.user, can_manage_loyalty, services.MANAGE_REFUSED)
    level = Level.objects.filter(pk=level_id).first()
    if level is None:
        raise Http404
    return services.level_save(user=request.user, level=level, data=payload.dict(exclude_none=True))
