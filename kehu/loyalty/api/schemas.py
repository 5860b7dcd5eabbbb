"""The loyalty API's shapes."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from kehu.loyalty.models import (
    CareAction,
    CareTask,
    Festival,
    Member,
    Occasion,
    PointsEntry,
    Programme,
)


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
    segment_id: int | None
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
    segment_id: int | None = Field(None, description="Only this segment's customers.")
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
    send: bool = Field(
        False,
        description="An e-mail or SMS plan's greeting (`note`) is also sent to the customer "
        "(with consent to marketing e-mail or SMS; an SMS gets the sender's signature and "
        "is refused over 10 segments).",
    )


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


class ImportProblemOut(Schema):
    row: int
    column: str
    value: str
    message: str


class MemberImportOut(Schema):
    """A membership import's dry run (``imported`` false: nothing written) or its result."""

    imported: bool
    rows: int
    ready: int = Field(description="Rows that enrol a customer (dry run) or did (import).")
    enrolled: int
    already_members: int
    problems: list[ImportProblemOut]
