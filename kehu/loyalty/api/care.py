"""The care calendar and care plans."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Status

from kehu.core.access import can_manage_loyalty, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.customers.models import Segment
from kehu.loyalty import care, selectors
from kehu.loyalty.api.common import WRITE, router
from kehu.loyalty.api.schemas import (
    CareDoneIn,
    CarePlanIn,
    CarePlanOut,
    CareReportOut,
    CareTaskOut,
    FestivalIn,
    FestivalOut,
)
from kehu.loyalty.festivals import festival_date
from kehu.loyalty.models import (
    CarePlan,
    Festival,
    Level,
)


@router.get(
    "/festivals/",
    response={200: list[FestivalOut], **ERROR_RESPONSES},
    summary="Festivals with their date in a year (lunar ones computed)",
)
def festival_list(request: AuthenticatedRequest, year: int | None = None) -> list[Festival]:
    year = year or timezone.localdate().year
    if not 1901 <= year <= 2099:
        raise ValidationError({"year": [_("Choose a year from 1901 to 2099.")]})
    festivals = list(Festival.objects.all())
    for festival in festivals:
        festival.falls_on = festival_date(festival, year)  # type: ignore[attr-defined]
    return festivals


@router.post(
    "/festivals/",
    response={201: FestivalOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Add a festival of your own",
)
def festival_create(request: AuthenticatedRequest, payload: FestivalIn) -> Status[Festival]:
    return Status(201, care.festival_save(user=request.user, data=payload.dict()))


@router.get(
    "/care/plans/", response={200: list[CarePlanOut], **ERROR_RESPONSES}, summary="Care plans"
)
def care_plan_list(request: AuthenticatedRequest) -> list[CarePlan]:
    return list(CarePlan.objects.all())


def _plan_data(payload: CarePlanIn) -> dict[str, object]:
    data = payload.dict()
    festival_id, level_id = data.pop("festival_id"), data.pop("level_id")
    segment_id = data.pop("segment_id")
    data["festival"] = Festival.objects.filter(pk=festival_id).first() if festival_id else None
    data["level"] = Level.objects.filter(pk=level_id).first() if level_id else None
    data["segment"] = Segment.objects.filter(pk=segment_id).first() if segment_id else None
    return data


@router.post(
    "/care/plans/",
    response={201: CarePlanOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Add a care plan",
)
def care_plan_create(request: AuthenticatedRequest, payload: CarePlanIn) -> Status[CarePlan]:
    require(request.user, can_manage_loyalty, care.MANAGE_REFUSED)
    return Status(201, care.care_plan_save(user=request.user, data=_plan_data(payload)))


@router.put(
    "/care/plans/{plan_id}", response={200: CarePlanOut, **WRITE}, summary="Change a care plan"
)
def care_plan_update(request: AuthenticatedRequest, plan_id: int, payload: CarePlanIn) -> CarePlan:
    require(request.user, can_manage_loyalty, care.MANAGE_REFUSED)
    plan = CarePlan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return care.care_plan_save(user=request.user, plan=plan, data=_plan_data(payload))


@router.get(
    "/care/tasks/",
    response={200: list[CareTaskOut], **ERROR_RESPONSES},
    summary="Your open care tasks, by date",
)
def care_task_list(request: AuthenticatedRequest) -> list[object]:
    return list(selectors.care_tasks_mine(user=request.user))


@router.post(
    "/care/tasks/{task_id}/done",
    response={200: CareTaskOut, **WRITE},
    summary="Done in one click: the task closed, the greeting logged as an interaction",
    description="`task_id` is the care task's to-do (the `tasks` id shown on my day).",
)
def care_task_done(request: AuthenticatedRequest, task_id: int, payload: CareDoneIn) -> object:
    care_task = selectors.care_task_for_task(user=request.user, task_id=task_id)
    return care.care_task_done(
        user=request.user,
        care_task=care_task,
        gift_cost=payload.gift_cost,
        note=payload.note,
        send=payload.send,
    )


@router.get(
    "/care/report",
    response={200: CareReportOut, **ERROR_RESPONSES},
    summary="Care planned vs done per rep and team; gifts and their cost per customer",
)
def care_report(
    request: AuthenticatedRequest, start: date | None = None, end: date | None = None
) -> dict[str, object]:
    end = end or timezone.localdate()
    start = start or end - timedelta(days=90)
    report = selectors.care_report(user=request.user, start=start, end=end)
    return {"start": start, "end": end, **report}
