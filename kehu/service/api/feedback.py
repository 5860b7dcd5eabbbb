"""``/api/v1/feedback/``: customer feedback (客户知识): opinions, questions and suggestions on
products."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.customers.selectors import customer_get_for_user
from kehu.service import selectors, services
from kehu.service.api.schemas import (
    FeedbackFilterIn,
    FeedbackIn,
    FeedbackOut,
    ProductReportFilterIn,
    ProductReportOut,
    product_given,
)
from kehu.service.models import Feedback

feedback_router = Router(tags=["customer feedback"])


@feedback_router.get(
    "/",
    response={200: list[FeedbackOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="Search feedback on the customers you may see, newest first",
)
@paginate(KeysetPagination)
def feedback_list(request: AuthenticatedRequest, filters: Query[FeedbackFilterIn]) -> object:
    return selectors.feedback_list(
        user=request.user,
        filters=selectors.FeedbackFilters(
            kind=filters.kind or "",
            question_type=filters.question_type or "",
            product=filters.product,
            customer_id=filters.customer_id,
            q=filters.q,
        ),
    )


@feedback_router.post(
    "/",
    response={201: FeedbackOut, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Record customer feedback",
    description=(
        "A product comment names a product and may give satisfaction 1–5, a life-cycle "
        "opinion, whether the customer understands how it works and preferences; a market "
        "comment names the market type; a question has a type and may have a solution."
    ),
)
def feedback_create(request: AuthenticatedRequest, payload: FeedbackIn) -> Status[Feedback]:
    customer = customer_get_for_user(user=request.user, customer_id=payload.customer_id)
    case = None
    if payload.case_id is not None:
        case = selectors.cases_visible_to(request.user).filter(pk=payload.case_id).first()
        if case is None:
            raise ValidationError({"case_id": [_("No such case.")]})
    row = services.feedback_record(
        user=request.user,
        customer=customer,
        kind=payload.kind,
        content=payload.content,
        product=product_given(payload.product_id),
        product_code=payload.product_code,
        product_name=payload.product_name,
        satisfaction=payload.satisfaction,
        lifecycle_opinion=payload.lifecycle_opinion or "",
        understands_product=payload.understands_product,
        preferences=payload.preferences,
        market_type=payload.market_type,
        question_type=payload.question_type or "",
        solution=payload.solution,
        case=case,
    )
    return Status(201, selectors.feedback_get_for_user(user=request.user, feedback_id=row.pk))


@feedback_router.get(
    "/products",
    response={200: list[ProductReportOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="Feedback and cases per product",
)
def feedback_products(
    request: AuthenticatedRequest, filters: Query[ProductReportFilterIn]
) -> list[Any]:
    return selectors.product_report(user=request.user, since=filters.since)


@feedback_router.get(
    "/{feedback_id}",
    response={200: FeedbackOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="One piece of feedback",
)
def feedback_detail(request: AuthenticatedRequest, feedback_id: int) -> Feedback:
    return selectors.feedback_get_for_user(user=request.user, feedback_id=feedback_id)
