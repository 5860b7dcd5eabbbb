"""``/api/v1/loyalty/``: the membership programme, members and their points, and the care
calendar.

Scope: a member, a ledger row, an order's redemption and a care task are visible exactly when
the customer is (404 otherwise). Programme and care-plan settings and manual adjustments need a
role that runs the programme (marketer, archive administrator, admin: 403 otherwise).
Redeeming more than the balance, or what the order allows, is 409 / 422.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.core.access import can_manage_loyalty, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.customers.selectors import customer_get_for_user
from kehu.loyalty import care, redemption, selectors, services
from kehu.loyalty.festivals import festival_date
from kehu.loyalty.models import (
    CareAction,
    CarePlan,
    CareTask,
    Festival,
    Level,
    Member,
    Occasion,
    PointsEntry,
    Programme,
    Reward,
)
from kehu.sales.selectors import order_get_for_user

router = Router(tags=["loyalty"])

READ = {404: ErrorBody, **ERROR_RESPONSES}
WRITE = {404: ErrorBody, 409: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES}


# --- schemas ----------------------------------------------------------------------------------


class LevelOut(Schema):
    id: int
    code: str
    name: str
    rank: int
    min_spend: Decimal
    min_orders: int
    min_points: int
    discount_percent: Decimal
    service_priority: int = Field(description="Higher is served first (the service queue).")
    free_delivery: bool
    dedicated_contact: bool
    benefits: str


class LevelIn(Schema):
    code: str = Field(max_length=30)
    name: str = Field(max_length=40)
    rank: int = Field(ge=0)
    min_spend: Decimal = Decimal("0")
    min_orders: int = Field(0, ge=0)
    min_points: int = Field(0, ge=0)
    discount_percent: Decimal = Decimal("0")
    service_priority: int = Field(0, ge=0)
    free_delivery: bool = False
    dedicated_contact: bool = False
    benefits: str = ""


class LevelPatch(Schema):
    name: str | None = Field(None, max_length=40)
    rank: int | None = Field(None, ge=0)
    min_spend: Decimal | None = None
    min_orders: int | None = Field(None, ge=0)
    min_points: int | None = Field(None, ge=0)
    discount_percent: Decimal | None = None
    service_priority: int | None = Field(None, ge=0)
    free_delivery: bool | None = None
    dedicated_contact: bool | None = None
    benefits: str | None = None


class RewardOut(Schema):
    id: int
    name: str
    points: int
    is_active: bool


class ProgrammeOut(Schema):
    name: str
    card_prefix: str
    qualify_by: Programme.QualifyBy
    review_month: int
    review_day: int
    grace_days: int
    points_per_yuan: Decimal
    birthday_multiplier: Decimal
    point_value: Decimal = Field(description="Yuan a point is worth when paying an order.")
    max_redeem_percent: int
    expiry_years: int = Field(description="0: never; 1: at the end of the year after earning.")
    enrol_on_first_payment: bool
    levels: list[LevelOut]
    rewards: list[RewardOut]


class ProgrammePatch(Schema):
    name: str | None = Field(None, max_length=60)
    card_prefix: str | None = Field(None, max_length=6)
    qualify_by: Programme.QualifyBy | None = None
    review_month: int | None = Field(None, ge=1, le=12)
    review_day: int | None = Field(None, ge=1, le=28)
    grace_days: int | None = Field(None, ge=0)
    points_per_yuan: Decimal | None = Field(None, ge=0)
    birthday_multiplier: Decimal | None = Field(None, gt=0)
    point_value: Decimal | None = Field(None, ge=0)
    max_redeem_percent: int | None = Field(None, ge=0, le=100)
    expiry_years: int | None = Field(None, ge=0, le=10)
    enrol_on_first_payment: bool | None = None


class EntryOut(Schema):
    id: int
    customer_id: int
    card_number: str
    kind: PointsEntry.Kind
    points: int
    occurred_on: date
    reason: str
    order_id: int | None
    order_number: str | None
    campaign: str
    created_by: str | None
    reverses_id: int | None

    @staticmethod
    def resolve_card_number(obj: PointsEntry) -> str:
        return obj.member.card_number

    @staticmethod
    def resolve_order_number(obj: PointsEntry) -> str | None:
        return obj.order.number if obj.order_id and obj.order else None

    @staticmethod
    def resolve_created_by(obj: PointsEntry) -> str | None:
        return str(obj.created_by) if obj.created_by_id else None


class LevelRef(Schema):
    id: int
    code: str
    name: str


class LevelChangeOut(Schema):
    changed_on: date
    from_level: LevelRef | None
    to_level: LevelRef
    reason: str


class MemberOut(Schema):
    customer_id: int
    card_number: str
    level: LevelRef
    joined_on: date
    level_since: date
    via: Member.Via
    points_balance: int


class CardOut(Schema):
    member: MemberOut | None = Field(description="None: the customer is not a member.")
    next_level: LevelRef | None
    progress_percent: int
    to_go: str
    spend_12_months: Decimal | None
    orders_12_months: int | None
    balance_value: Decimal
    recent: list[EntryOut]
    history: list[LevelChangeOut]


class AdjustIn(Schema):
    points: int = Field(description="Positive to add, negative to take off.")
    reason: str = Field(max_length=200)


class RewardRedeemIn(Schema):
    reward_id: int


class PointsIn(Schema):
    points: int = Field(ge=1)


class RedeemableOut(Schema):
    member: bool
    balance: int
    redeemable_points: int
    point_value: Decimal


class RedeemedOut(Schema):
    payment_id: int
    amount: Decimal
    points: int
    balance: int


class EntryFilterIn(Schema):
    kind: PointsEntry.Kind | None = None
    customer_id: int | None = None
    level_id: int | None = None
    since: date | None = None
    until: date | None = None


class LevelCount(Schema):
    level: LevelRef
    members: int


class MigrationOut(Schema):
    from_level: str | None = Field(description="None: not a member at the start.")
    to_level: str
    members: int


class OverviewOut(Schema):
    members: int
    per_level: list[LevelCount]
    liability_points: int
    liability_value: Decimal
    months: list[str]
    earned: list[int]
    redeemed: list[int]
    expired: list[int]
    start: date
    end: date
    migration: list[MigrationOut]


class FestivalOut(Schema):
    id: int
    code: str
    name: str
    calendar: Festival.Calendar
    month: int
    day: int
    term: str
    is_active: bool
    falls_on: date | None = Field(None, description="When it falls in the year asked for.")


class FestivalIn(Schema):
    code: str = Field(max_length=30)
    name: str = Field(max_length=40)
    calendar: Festival.Calendar = Festival.Calendar.SOLAR
    month: int = Field(1, ge=1, le=12)
    day: int = Field(1, ge=1, le=31)


class CarePlanOut(Schema):
    id: int
    name: str
    occasion: Occasion
    festival_id: int | None
    grade: str
    level_id: int | None
    action: CareAction
    days_before: int
    gift_budget: Decimal
    is_active: bool


class CarePlanIn(Schema):
    name: str = Field(max_length=100)
    occasion: Occasion
    action: CareAction
    festival_id: int | None = None
    grade: str = ""
    level_id: int | None = None
    days_before: int = Field(3, ge=0, le=60)
    gift_budget: Decimal = Field(Decimal("0"), ge=0)
    is_active: bool = True


class CareTaskOut(Schema):
    id: int
    task_id: int
    title: str
    customer_id: int
    customer_name: str
    plan: str
    action: CareAction
    occasion_on: date
    due_at: datetime
    is_key_customer: bool
    done_at: datetime | None
    gift_cost: Decimal | None

    @staticmethod
    def resolve_title(obj: CareTask) -> str:
        return obj.task.title

    @staticmethod
    def resolve_customer_name(obj: CareTask) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_plan(obj: CareTask) -> str:
        return obj.plan.name

    @staticmethod
    def resolve_action(obj: CareTask) -> str:
        return obj.plan.action

    @staticmethod
    def resolve_due_at(obj: CareTask) -> datetime:
        return obj.task.due_at


class CareDoneIn(Schema):
    gift_cost: Decimal | None = Field(None, ge=0)
    note: str = Field("", max_length=2000)


class CareRowOut(Schema):
    label: str
    planned: int
    done: int
    gifts: int
    cost: Decimal


class CareReportOut(Schema):
    start: date
    end: date
    reps: list[CareRowOut]
    teams: list[CareRowOut]
    customers: list[CareRowOut]


# --- programme --------------------------------------------------------------------------------


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


# --- members ----------------------------------------------------------------------------------


@router.get(
    "/customers/{customer_id}/card",
    response={200: CardOut, **READ},
    summary="A customer's member card: level, progress, balance, recent ledger",
)
def member_card(request: AuthenticatedRequest, customer_id: int) -> dict[str, object]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    card = selectors.member_card(customer=customer, today=timezone.localdate())
    return {
        "member": card.member,
        "next_level": card.next_level,
        "progress_percent": card.progress,
        "to_go": card.to_go,
        "spend_12_months": card.standing.spend if card.standing else None,
        "orders_12_months": card.standing.orders if card.standing else None,
        "balance_value": card.balance_value,
        "recent": card.recent,
        "history": card.history,
    }


@router.post(
    "/customers/{customer_id}/enrol",
    response={200: MemberOut, 201: MemberOut, **WRITE},
    summary="Enrol a customer (a member already is returned as is)",
)
def member_enrol(request: AuthenticatedRequest, customer_id: int) -> Status[Member]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    existed = Member.objects.filter(customer=customer).exists()
    member = services.member_enrol(user=request.user, customer=customer)
    return Status(200 if existed else 201, member)


@router.post(
    "/customers/{customer_id}/adjust",
    response={201: EntryOut, **WRITE},
    summary="Adjust a member's points by hand, with a reason",
)
def points_adjust(
    request: AuthenticatedRequest, customer_id: int, payload: AdjustIn
) -> Status[PointsEntry]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    require(request.user, can_manage_loyalty, services.MANAGE_REFUSED)
    member = selectors.member_get_for_user(user=request.user, customer_id=customer.pk)
    return Status(
        201,
        services.points_adjust(
            user=request.user, member=member, points=payload.points, reason=payload.reason
        ),
    )


@router.post(
    "/customers/{customer_id}/rewards",
    response={201: EntryOut, **WRITE},
    summary="Exchange points for a reward item",
)
def reward_redeem(
    request: AuthenticatedRequest, customer_id: int, payload: RewardRedeemIn
) -> Status[PointsEntry]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    services.require_member_change(request.user, customer)
    member = selectors.member_get_for_user(user=request.user, customer_id=customer.pk)
    reward = Reward.objects.filter(pk=payload.reward_id, is_active=True).first()
    if reward is None:
        raise ValidationError({"reward_id": [_("No such reward.")]})
    return Status(
        201,
        services.points_redeem(
            user=request.user, member=member, points=reward.points, reward=reward
        ),
    )


@router.get(
    "/orders/{order_id}/redeemable",
    response={200: RedeemableOut, **READ},
    summary="How many points may pay towards an order now",
)
def order_redeemable(request: AuthenticatedRequest, order_id: int) -> dict[str, object]:
    order = order_get_for_user(user=request.user, order_id=order_id)
    member = selectors.orders_of_member(order=order)
    return {
        "member": member is not None,
        "balance": member.points_balance if member else 0,
        "redeemable_points": redemption.redeemable(order=order, member=member) if member else 0,
        "point_value": services.programme_get().point_value,
    }


@router.post(
    "/orders/{order_id}/redeem",
    response={201: RedeemedOut, **WRITE},
    summary="Pay part of an order with points",
    description="Recorded as a payment of method `points`; reversing it gives the points back.",
)
def order_redeem(
    request: AuthenticatedRequest, order_id: int, payload: PointsIn
) -> Status[dict[str, object]]:
    order = order_get_for_user(user=request.user, order_id=order_id)
    payment = redemption.order_points_redeem(user=request.user, order=order, points=payload.points)
    member = Member.objects.get(customer_id=order.customer_id)
    return Status(
        201,
        {
            "payment_id": payment.pk,
            "amount": payment.amount,
            "points": payload.points,
            "balance": member.points_balance,
        },
    )


@router.get(
    "/entries/",
    response={200: list[EntryOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="The points ledger of the customers you may see, newest first",
)
@paginate(KeysetPagination)
def entry_list(request: AuthenticatedRequest, filters: Query[EntryFilterIn]) -> object:
    return selectors.entries_visible_to(
        request.user,
        kind=filters.kind or "",
        customer_id=filters.customer_id,
        level_id=filters.level_id,
        since=filters.since,
        until=filters.until,
    )


@router.get(
    "/overview",
    response={200: OverviewOut, **ERROR_RESPONSES},
    summary="Members per level, points liability, points per month, level migration",
)
def overview(
    request: AuthenticatedRequest, start: date | None = None, end: date | None = None
) -> dict[str, object]:
    o = selectors.overview(user=request.user, today=timezone.localdate(), start=start, end=end)
    return {
        "members": o.members,
        "per_level": [{"level": lv, "members": n} for lv, n in o.levels],
        "liability_points": o.liability_points,
        "liability_value": o.liability_value,
        "months": o.months,
        "earned": o.earned,
        "redeemed": o.redeemed,
        "expired": o.expired,
        "start": o.start,
        "end": o.end,
        "migration": [
            {"from_level": m["from"], "to_level": m["to"], "members": m["members"]}
            for m in o.migration
        ],
    }


# --- care -------------------------------------------------------------------------------------


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
    data["festival"] = Festival.objects.filter(pk=festival_id).first() if festival_id else None
    data["level"] = Level.objects.filter(pk=level_id).first() if level_id else None
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
        user=request.user, care_task=care_task, gift_cost=payload.gift_cost, note=payload.note
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
