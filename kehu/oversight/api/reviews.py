"""Periodic reviews: due lists, records, approvals."""

from typing import Any

from django.http import Http404
from ninja import Status
from ninja.pagination import paginate

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.core.schemas import RecordId
from kehu.customers.selectors import customer_get_for_user
from kehu.oversight import selectors, services
from kehu.oversight.api.common import router
from kehu.oversight.api.schemas import DecideIn, DueCustomerOut, ReviewIn, ReviewOut
from kehu.oversight.models import Review


@router.get(
    "/reviews/due",
    response={200: list[DueCustomerOut], **ERROR_RESPONSES},
    summary="Customers due for their periodic review in your scope",
)
@paginate(KeysetPagination)
def reviews_due(
    request: AuthenticatedRequest, owner_id: int | None = None, team_id: int | None = None
) -> Any:
    return selectors.reviews_due(user=request.user, owner_id=owner_id, team_id=team_id).order_by(
        "id"
    )


def _review(review: Review) -> dict[str, Any]:
    return {
        "id": review.pk,
        "customer_id": review.customer_id,
        "reviewer": review.reviewer,
        "checklist": review.checklist,
        "changes": review.changes,
        "reason": review.reason,
        "outcome": review.outcome,
        "next_review_on": review.next_review_on,
        "status": review.status,
        "decided_by": review.decided_by,
        "decided_at": review.decided_at,
        "created_at": review.created_at,
    }


@router.get(
    "/customers/{customer_id}/reviews/",
    response={200: list[ReviewOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="A customer's periodic reviews, newest first",
)
def customer_reviews(request: AuthenticatedRequest, customer_id: RecordId) -> list[dict[str, Any]]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    return [_review(r) for r in selectors.customer_reviews(customer=customer, limit=100)]


@router.post(
    "/customers/{customer_id}/reviews/",
    response={201: ReviewOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Record a periodic review; proposed changes apply now or after approval",
)
def review_create(
    request: AuthenticatedRequest, customer_id: RecordId, payload: ReviewIn
) -> Status[dict[str, Any]]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    changes: dict[str, Any] = {"grade": payload.grade, "lifecycle_stage": payload.lifecycle_stage}
    if payload.credit_limit is not None:
        changes["organization.credit_limit"] = payload.credit_limit
    review = services.review_complete(
        user=request.user,
        customer=customer,
        data=services.ReviewInput(
            checks=dict.fromkeys(payload.checks, True),
            outcome=payload.outcome,
            next_review_on=payload.next_review_on,
            changes=changes,
            reason=payload.reason,
        ),
    )
    return Status(201, _review(review))


@router.post(
    "/customers/{customer_id}/reviews/decide",
    response={200: ReviewOut, 404: ErrorBody, 409: ErrorBody, **ERROR_RESPONSES},
    summary="Approve or reject the changes the customer's pending review proposed",
)
def review_decide(
    request: AuthenticatedRequest, customer_id: RecordId, payload: DecideIn
) -> dict[str, Any]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    from kehu.core.access import require
    from kehu.oversight.access import can_approve_review

    require(request.user, lambda u: can_approve_review(u, customer))
    review = (
        Review.objects.filter(customer=customer, status=Review.Status.PENDING)
        .order_by("created_at")
        .first()
    )
    if review is None:
        raise Http404
    return _review(
        services.review_decide(user=request.user, review=review, approve=payload.approve)
    )
