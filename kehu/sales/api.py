"""``/api/v1/``: products, orders (with lines), payments, receivables, opportunities (and stage
moves) and the sales-performance report.

Orders, payments and opportunities are read through the ``*_visible_to`` selectors: another
rep's customer's order is a 404. Money is a decimal string (``"1234.50"``) with its currency.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.accounts.models import User
from kehu.core.access import can_manage_catalogue, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.core.schemas import CustomerRef
from kehu.customers.api.schemas import UserRef
from kehu.customers.selectors import customer_get_for_user
from kehu.sales import selectors, services
from kehu.sales.models import (
    DEFAULT_CURRENCY,
    Currency,
    Opportunity,
    Order,
    Payment,
    PipelineStage,
    Product,
)

products_router = Router(tags=["products"])
orders_router = Router(tags=["orders"])
payments_router = Router(tags=["payments"])
receivables_router = Router(tags=["orders"])
opportunities_router = Router(tags=["opportunities"])
reports_router = Router(tags=["reports"])

Money = Decimal


# --- schemas ----------------------------------------------------------------------------------


class ProductOut(Schema):
    id: int
    code: str
    name: str
    category: str
    unit: str
    list_price: Money
    currency: Currency
    status: Product.Status
    structure: str
    product_type: str
    annual_yield: Decimal | None = Field(description="Expected annual yield in %, for funds.")
    risk_level: str
    description: str


class ProductIn(Schema):
    code: str = Field(max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(max_length=120)
    category: str = Field("", max_length=60)
    unit: str = Field("件", max_length=20)
    list_price: Money = Field(ge=0, max_digits=14, decimal_places=2)
    currency: Currency = Currency.CNY
    status: Product.Status = Product.Status.ACTIVE
    structure: str = ""
    product_type: str = Field("", max_length=60)
    annual_yield: Decimal | None = Field(None, max_digits=6, decimal_places=3)
    risk_level: Literal["", "R1", "R2", "R3", "R4", "R5"] = ""
    description: str = ""


class ProductFilterIn(Schema):
    q: str = Field("", description="Part of the code or name.")
    status: Product.Status | None = None
    category: str = ""


class LineOut(Schema):
    id: int
    product_id: int
    product_code: str
    product_name: str
    quantity: Decimal
    unit_price: Money
    discount_percent: Decimal
    amount: Money

    @staticmethod
    def resolve_product_code(obj: Any) -> str:
        return str(obj.product.code)

    @staticmethod
    def resolve_product_name(obj: Any) -> str:
        return str(obj.product.name)


class PaymentOut(Schema):
    id: int
    order_id: int
    order_number: str
    customer_id: int
    amount: Money
    currency: Currency
    received_on: date
    method: Payment.Method
    reference: str
    recorded_by: UserRef | None
    created_at: datetime
    reversed_at: datetime | None = Field(description="Set when the payment was reversed.")
    reversal_reason: str
    corrected_by_id: int | None = Field(description="The payment recorded in its place.")

    @staticmethod
    def resolve_order_number(obj: Payment) -> str:
        return obj.order.number


class OrderOut(Schema):
    id: int
    number: str
    customer: CustomerRef
    ordered_on: date
    channel: Order.Channel
    status: Order.Status
    owner: UserRef | None
    currency: Currency
    total_amount: Money
    paid_amount: Money
    outstanding: Money
    opportunity_id: int | None
    notes: str
    created_at: datetime


class OrderDetailOut(OrderOut):
    lines: list[LineOut]
    payments: list[PaymentOut]

    @staticmethod
    def resolve_lines(obj: Order) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_payments(obj: Order) -> list[Any]:
        return list(obj.payments.all())


class LineIn(Schema):
    product_id: int
    quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=3)
    unit_price: Money | None = Field(
        None, ge=0, max_digits=14, decimal_places=2, description="Default: the list price."
    )
    discount_percent: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)


class OrderIn(Schema):
    customer_id: int
    lines: list[LineIn] = Field(min_length=1)
    ordered_on: date | None = Field(None, description="Default: today.")
    channel: Order.Channel = Order.Channel.SALES_REP
    currency: Currency = Currency.CNY
    notes: str = ""
    opportunity_id: int | None = Field(None, description="A won opportunity this order closes.")


class OrderPatch(Schema):
    reason: str = Field(min_length=1, max_length=300, description="Why: kept with the change.")
    lines: list[LineIn] | None = Field(None, min_length=1, description="All lines, replaced.")
    ordered_on: date | None = None
    channel: Order.Channel | None = None
    notes: str | None = None


class OrderFilterIn(Schema):
    customer_id: int | None = None
    owner_id: int | None = None
    status: Order.Status | None = None
    channel: Order.Channel | None = None
    since: date | None = Field(None, description="Ordered on or after this day.")
    until: date | None = Field(None, description="Ordered on or before this day.")
    unpaid: bool = Field(False, description="Only orders with an outstanding amount.")


class PaymentIn(Schema):
    order_id: int
    amount: Money = Field(gt=0, max_digits=14, decimal_places=2)
    received_on: date | None = Field(None, description="Default: today.")
    method: Payment.Method = Payment.Method.BANK_TRANSFER
    reference: str = Field("", max_length=60)


class ReverseIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class PaymentCorrectionIn(Schema):
    reason: str = Field(min_length=1, max_length=300)
    amount: Money = Field(gt=0, max_digits=14, decimal_places=2)
    received_on: date
    method: Payment.Method = Payment.Method.BANK_TRANSFER
    reference: str = Field("", max_length=60)


class PaymentFilterIn(Schema):
    order_id: int | None = None
    customer_id: int | None = None


class OpenItemOut(Schema):
    order_id: int
    order_number: str
    ordered_on: date
    total_amount: Money
    outstanding: Money
    days: int
    bucket: str


class ReceivablesOut(Schema):
    currency: str
    as_of: date
    outstanding: Money
    buckets: dict[str, Money] = Field(description="Keys: d0_30, d31_60, d61_90, d90_plus.")
    credit_limit: Money | None
    credit_used_percent: Decimal | None
    over_limit: bool
    items: list[OpenItemOut]

    @staticmethod
    def resolve_items(obj: selectors.Receivables) -> list[dict[str, Any]]:
        return [
            {
                "order_id": item.order.pk,
                "order_number": item.order.number,
                "ordered_on": item.order.ordered_on,
                "total_amount": item.order.total_amount,
                "outstanding": item.outstanding,
                "days": item.days,
                "bucket": item.bucket,
            }
            for item in obj.items
        ]


class StageOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    outcome: PipelineStage.Outcome
    probability: int
    sort_order: int


class OpportunityOut(Schema):
    id: int
    customer: CustomerRef
    name: str
    amount: Money
    currency: Currency
    stage: str
    stage_outcome: PipelineStage.Outcome
    probability: int
    weighted_amount: Money
    expected_close_on: date | None
    competitors: str
    lost_reason: str
    owner: UserRef | None
    closed_on: date | None
    stage_changed_at: datetime
    order_id: int | None
    created_at: datetime

    @staticmethod
    def resolve_stage(obj: Opportunity) -> str:
        return obj.stage.code

    @staticmethod
    def resolve_stage_outcome(obj: Opportunity) -> str:
        return obj.stage.outcome

    @staticmethod
    def resolve_order_id(obj: Opportunity) -> int | None:
        return getattr(obj, "order_pk", None)


class OpportunityIn(Schema):
    customer_id: int
    name: str = Field(min_length=1, max_length=200)
    amount: Money = Field(ge=0, max_digits=14, decimal_places=2)
    currency: Currency = Currency.CNY
    stage: str = Field("", description="A stage code; default: the pipeline's first stage.")
    probability: int | None = Field(None, ge=0, le=100, description="Default: the stage's.")
    expected_close_on: date | None = None
    competitors: str = Field("", max_length=300)
    lost_reason: str = Field("", max_length=300, description="Required for the lost stage.")


class OpportunityPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    amount: Money | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    probability: int | None = Field(None, ge=0, le=100)
    expected_close_on: date | None = None
    competitors: str | None = Field(None, max_length=300)
    lost_reason: str | None = Field(None, max_length=300)
    owner_id: int | None = Field(
        None, description="Hand it to someone who may change the customer."
    )
    reason: str = Field("", max_length=300, description="Why: kept with the change.")


class MoveIn(Schema):
    stage: str = Field(description="The code of the stage to move to.")
    lost_reason: str = Field("", max_length=300, description="Required for the lost stage.")


class OpportunityFilterIn(Schema):
    customer_id: int | None = None
    owner_id: int | None = None
    stage: str = Field("", description="A stage code.")
    open: bool = Field(False, description="Only opportunities in open stages.")


class PerformanceRowOut(Schema):
    key: int | None = Field(description="The user's or team's id; null for nobody.")
    label: str
    orders: int
    revenue: Money
    collected: Money
    new_customers: int
    won: int
    lost: int
    win_rate: Decimal | None = Field(description="Won ÷ (won + lost) in %, null if none closed.")
    pipeline_weighted: Money


class PerformanceOut(Schema):
    start: date
    end: date
    group_by: str
    currency: str
    rows: list[PerformanceRowOut]
    total: PerformanceRowOut


class PerformanceIn(Schema):
    start: date | None = Field(None, description="Default: the first day of this month.")
    end: date | None = Field(None, description="Default: today.")
    group_by: Literal["rep", "team"] = "rep"
    currency: Currency = Currency.CNY


READ_ERRORS = {404: ErrorBody, **ERROR_RESPONSES}
WRITE_ERRORS = {404: ErrorBody, 409: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES}


# --- products ---------------------------------------------------------------------------------


@products_router.get(
    "/", response={200: list[ProductOut], 422: ErrorBody, **ERROR_RESPONSES}, summary="Products"
)
@paginate(KeysetPagination)
def product_list(request: AuthenticatedRequest, filters: Query[ProductFilterIn]) -> object:
    return selectors.product_list(
        q=filters.q, status=filters.status or "", category=filters.category
    )


@products_router.post(
    "/",
    response={201: ProductOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Add a product (archive administrators and admins)",
)
def product_create(request: AuthenticatedRequest, payload: ProductIn) -> Status[Product]:
    data = payload.model_dump(exclude={"code"})
    product = services.product_save(user=request.user, code=payload.code, data=data)
    return Status(201, product)


@products_router.get("/{product_id}", response={200: ProductOut, **READ_ERRORS}, summary="Product")
def product_detail(request: AuthenticatedRequest, product_id: int) -> Product:
    return selectors.product_get(product_id=product_id)


@products_router.put(
    "/{product_id}",
    response={200: ProductOut, **WRITE_ERRORS},
    summary="Change a product (archive administrators and admins)",
)
def product_update(request: AuthenticatedRequest, product_id: int, payload: ProductIn) -> Product:
    require(request.user, can_manage_catalogue)
    product = selectors.product_get(product_id=product_id)
    data = payload.model_dump(exclude={"code"})
    return services.product_save(user=request.user, code=payload.code, data=data, product=product)


# --- orders -----------------------------------------------------------------------------------


def _lines(lines: list[LineIn]) -> list[services.LineInput]:
    products = {p.pk: p for p in Product.objects.filter(pk__in=[line.product_id for line in lines])}
    missing = [str(line.product_id) for line in lines if line.product_id not in products]
    if missing:
        raise ValidationError(
            {"lines": [_("No such product: %(ids)s.") % {"ids": ", ".join(missing)}]}
        )
    return [
        services.LineInput(
            product=products[line.product_id],
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
        )
        for line in lines
    ]


@orders_router.get(
    "/",
    response={200: list[OrderOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="Orders of the customers you may see, newest first",
)
@paginate(KeysetPagination)
def order_list(request: AuthenticatedRequest, filters: Query[OrderFilterIn]) -> object:
    return selectors.order_list(
        user=request.user,
        filters=selectors.OrderFilters(
            customer_id=filters.customer_id,
            owner_id=filters.owner_id,
            status=filters.status or "",
            channel=filters.channel or "",
            since=filters.since,
            until=filters.until,
            unpaid=filters.unpaid,
        ),
    )


@orders_router.post(
    "/",
    response={201: OrderDetailOut, **WRITE_ERRORS},
    summary="Take an order with its lines",
    description=(
        "Each line's amount is quantity × unit price × (1 − discount %), rounded half up to "
        "0.01; the total is the sum of the lines. With `opportunity_id` (a won opportunity of "
        "the same customer) the opportunity becomes this order; 409 if it is not won or was "
        "converted already."
    ),
)
def order_create(request: AuthenticatedRequest, payload: OrderIn) -> Status[Order]:
    customer = customer_get_for_user(user=request.user, customer_id=payload.customer_id)
    opportunity = None
    if payload.opportunity_id is not None:
        opportunity = selectors.opportunity_get_for_user(
            user=request.user, opportunity_id=payload.opportunity_id
        )
    order = services.order_create(
        user=request.user,
        customer=customer,
        lines=_lines(payload.lines),
        ordered_on=payload.ordered_on,
        channel=payload.channel,
        currency=payload.currency,
        notes=payload.notes,
        opportunity=opportunity,
    )
    return Status(201, selectors.order_get_for_user(user=request.user, order_id=order.pk))


@orders_router.get(
    "/{order_id}", response={200: OrderDetailOut, **READ_ERRORS}, summary="One order"
)
def order_detail(request: AuthenticatedRequest, order_id: int) -> Order:
    return selectors.order_get_for_user(user=request.user, order_id=order_id)


@orders_router.patch(
    "/{order_id}",
    response={200: OrderDetailOut, **WRITE_ERRORS},
    summary="Correct an order before delivery (lines, date, channel, notes) with a reason",
    description=(
        "`lines`, when given, replace all lines. The change is kept with who made it and "
        "`reason`; the sales summary follows. 409 once delivered or cancelled; 422 if the "
        "total would drop below what was paid (reverse the payment first)."
    ),
)
def order_update(request: AuthenticatedRequest, order_id: int, payload: OrderPatch) -> Order:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    services.order_update(
        user=request.user,
        order=order,
        reason=payload.reason,
        lines=_lines(payload.lines) if payload.lines is not None else None,
        ordered_on=payload.ordered_on,
        channel=payload.channel,
        notes=payload.notes,
    )
    return selectors.order_get_for_user(user=request.user, order_id=order_id)


@orders_router.post(
    "/{order_id}/cancel",
    response={200: OrderDetailOut, **WRITE_ERRORS},
    summary="Cancel an order (409 once payments were recorded)",
)
def order_cancel(request: AuthenticatedRequest, order_id: int) -> Order:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    services.order_cancel(user=request.user, order=order)
    return selectors.order_get_for_user(user=request.user, order_id=order_id)


@orders_router.post(
    "/{order_id}/deliver",
    response={200: OrderDetailOut, **WRITE_ERRORS},
    summary="Mark an order delivered (409 if it was cancelled)",
)
def order_deliver(request: AuthenticatedRequest, order_id: int) -> Order:
    order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    services.order_mark_delivered(user=request.user, order=order)
    return selectors.order_get_for_user(user=request.user, order_id=order_id)


# --- payments ---------------------------------------------------------------------------------


@payments_router.get(
    "/",
    response={200: list[PaymentOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="Payments from the customers you may see, newest first",
)
@paginate(KeysetPagination)
def payment_list(request: AuthenticatedRequest, filters: Query[PaymentFilterIn]) -> object:
    return selectors.payment_list(
        user=request.user, order_id=filters.order_id, customer_id=filters.customer_id
    )


@payments_router.post(
    "/",
    response={201: PaymentOut, **WRITE_ERRORS},
    summary="Record a payment against an order",
    description="In the order's currency; never more than is outstanding (422).",
)
def payment_create(request: AuthenticatedRequest, payload: PaymentIn) -> Status[Payment]:
    order = selectors.order_get_for_user(user=request.user, order_id=payload.order_id)
    payment = services.payment_record(
        user=request.user,
        order=order,
        amount=payload.amount,
        received_on=payload.received_on,
        method=payload.method,
        reference=payload.reference,
    )
    return Status(201, payment)


@payments_router.post(
    "/{payment_id}/reverse",
    response={200: PaymentOut, **WRITE_ERRORS},
    summary="Reverse a payment recorded by mistake, with a reason (it is never deleted)",
    description="409 if it was reversed already.",
)
def payment_reverse(request: AuthenticatedRequest, payment_id: int, payload: ReverseIn) -> Payment:
    payment = selectors.payment_get_for_user(user=request.user, payment_id=payment_id)
    services.payment_reverse(user=request.user, payment=payment, reason=payload.reason)
    return selectors.payment_get_for_user(user=request.user, payment_id=payment_id)


@payments_router.post(
    "/{payment_id}/correct",
    response={201: PaymentOut, **WRITE_ERRORS},
    summary="Correct a payment: it is reversed and the right one recorded in its place",
)
def payment_correct(
    request: AuthenticatedRequest, payment_id: int, payload: PaymentCorrectionIn
) -> Status[Payment]:
    payment = selectors.payment_get_for_user(user=request.user, payment_id=payment_id)
    right = services.payment_correct(
        user=request.user,
        payment=payment,
        reason=payload.reason,
        amount=payload.amount,
        received_on=payload.received_on,
        method=payload.method,
        reference=payload.reference,
    )
    return Status(201, selectors.payment_get_for_user(user=request.user, payment_id=right.pk))


@receivables_router.get(
    "/{customer_id}/receivables",
    response={200: list[ReceivablesOut], **READ_ERRORS},
    summary="What a customer owes, per currency, with ageing and credit-limit usage",
    description=(
        "Outstanding amounts of orders not cancelled, aged from the order date into 0–30, "
        "31–60, 61–90 and 90+ days. `credit_used_percent` compares CNY outstanding with the "
        "organization's credit limit."
    ),
)
def customer_receivables(
    request: AuthenticatedRequest, customer_id: int, as_of: date | None = None
) -> list[selectors.Receivables]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    return selectors.customer_receivables(customer=customer, as_of=as_of)


# --- opportunities ----------------------------------------------------------------------------


def _stage(code: str) -> PipelineStage:
    stage = PipelineStage.objects.filter(code=code, is_active=True).first()
    if stage is None:
        raise ValidationError({"stage": [_("Unknown stage “%(code)s”.") % {"code": code}]})
    return stage


@opportunities_router.get(
    "/stages", response={200: list[StageOut], **ERROR_RESPONSES}, summary="The pipeline's stages"
)
def stage_list(request: AuthenticatedRequest) -> list[PipelineStage]:
    return selectors.pipeline_stages()


@opportunities_router.get(
    "/",
    response={200: list[OpportunityOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="Opportunities with the customers you may see, newest first",
)
@paginate(KeysetPagination)
def opportunity_list(request: AuthenticatedRequest, filters: Query[OpportunityFilterIn]) -> object:
    return selectors.opportunity_list(
        user=request.user,
        filters=selectors.OpportunityFilters(
            customer_id=filters.customer_id,
            owner_id=filters.owner_id,
            stage=filters.stage,
            open_only=filters.open,
        ),
    ).annotate(order_pk=selectors.order_pk_subquery())


@opportunities_router.post(
    "/", response={201: OpportunityOut, **WRITE_ERRORS}, summary="Open an opportunity"
)
def opportunity_create(
    request: AuthenticatedRequest, payload: OpportunityIn
) -> Status[Opportunity]:
    customer = customer_get_for_user(user=request.user, customer_id=payload.customer_id)
    opportunity = services.opportunity_create(
        user=request.user,
        customer=customer,
        name=payload.name,
        amount=payload.amount,
        currency=payload.currency,
        stage=_stage(payload.stage) if payload.stage else None,
        probability=payload.probability,
        expected_close_on=payload.expected_close_on,
        competitors=payload.competitors,
        lost_reason=payload.lost_reason,
    )
    return Status(
        201, selectors.opportunity_get_for_user(user=request.user, opportunity_id=opportunity.pk)
    )


@opportunities_router.get(
    "/{opportunity_id}", response={200: OpportunityOut, **READ_ERRORS}, summary="One opportunity"
)
def opportunity_detail(request: AuthenticatedRequest, opportunity_id: int) -> Opportunity:
    return selectors.opportunity_get_for_user(user=request.user, opportunity_id=opportunity_id)


@opportunities_router.patch(
    "/{opportunity_id}",
    response={200: OpportunityOut, **WRITE_ERRORS},
    summary="Change an opportunity's details (its stage: POST …/move)",
)
def opportunity_update(
    request: AuthenticatedRequest, opportunity_id: int, payload: OpportunityPatch
) -> Opportunity:
    opportunity = selectors.opportunity_get_for_user(
        user=request.user, opportunity_id=opportunity_id
    )
    data = {
        k: v
        for k, v in payload.model_dump(exclude_unset=True, exclude={"reason"}).items()
        if v is not None
    }
    if "owner_id" in data:
        data["owner"] = User.objects.filter(pk=data.pop("owner_id"), is_active=True).first()
    services.opportunity_update(
        user=request.user, opportunity=opportunity, data=data, reason=payload.reason
    )
    return selectors.opportunity_get_for_user(user=request.user, opportunity_id=opportunity_id)


@opportunities_router.post(
    "/{opportunity_id}/move",
    response={200: OpportunityOut, **WRITE_ERRORS},
    summary="Move an opportunity to another stage",
    description=(
        "The probability becomes the stage's; won and lost stages close it today, an open "
        "stage reopens it. 409 for a won opportunity that already became an order."
    ),
)
def opportunity_move(
    request: AuthenticatedRequest, opportunity_id: int, payload: MoveIn
) -> Opportunity:
    opportunity = selectors.opportunity_get_for_user(
        user=request.user, opportunity_id=opportunity_id
    )
    services.opportunity_move(
        user=request.user,
        opportunity=opportunity,
        stage=_stage(payload.stage),
        lost_reason=payload.lost_reason,
    )
    return selectors.opportunity_get_for_user(user=request.user, opportunity_id=opportunity_id)


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
