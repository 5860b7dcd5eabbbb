"""``/api/v1/orders``, ``/api/v1/payments`` and a customer's receivables."""

from datetime import date

from ninja import Query, Router, Status
from ninja.pagination import paginate

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.customers.selectors import customer_get_for_user
from kehu.sales import selectors, services
from kehu.sales.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    OrderDetailOut,
    OrderFilterIn,
    OrderIn,
    OrderOut,
    OrderPatch,
    PaymentCorrectionIn,
    PaymentFilterIn,
    PaymentIn,
    PaymentOut,
    ReceivablesOut,
    ReverseIn,
    line_inputs,
)
from kehu.sales.models import (
    Order,
    Payment,
)

orders_router = Router(tags=["orders"])
payments_router = Router(tags=["payments"])
receivables_router = Router(tags=["orders"])


# --- orders -----------------------------------------------------------------------------------


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
        lines=line_inputs(payload.lines),
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
        lines=line_inputs(payload.lines) if payload.lines is not None else None,
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
