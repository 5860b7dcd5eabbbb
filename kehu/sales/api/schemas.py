"""The sales API's request and response schemas."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Schema

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.schemas import CustomerRef
from kehu.customers.api.schemas import UserRef
from kehu.sales import selectors, services
from kehu.sales.models import (
    Currency,
    Opportunity,
    Order,
    Payment,
    PipelineStage,
    Product,
)

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


class ProductLineOut(Schema):
    """A product with its quantity and price: an order's line or an opportunity's."""

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


class LineOut(ProductLineOut):
    id: int


class OpportunityLineOut(ProductLineOut):
    @staticmethod
    def resolve_amount(obj: Any) -> Decimal:
        return services.line_amount(
            quantity=obj.quantity, unit_price=obj.unit_price, discount_percent=obj.discount_percent
        )


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


def line_inputs(lines: list[LineIn]) -> list[services.LineInput]:
    """The lines of an order or an opportunity as the services take them; an unknown product
    is a 422 naming its id."""
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


class OpportunityProductsIn(Schema):
    lines: list[LineIn] = Field(
        max_length=500, description="All the products, replacing those before; [] clears them."
    )
    reason: str = Field("", max_length=300, description="Why, kept with the correction.")


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
