"""The service cards of the 360° page."""

from dataclasses import dataclass

from django.db.models import Avg, Window

from kehu.customers.models import Customer
from kehu.service.models import (
    Case,
    CaseRating,
    Feedback,
)
from kehu.service.selectors.cases import cases_open_of

CARD_ITEMS = 5


@dataclass(frozen=True)
class CustomerService:
    open_cases: list[Case]
    ratings: list[CaseRating]
    average_score: float | None
    feedback: list[Feedback]


def customer_service(*, customer: Customer) -> CustomerService:
    """The service cards of a customer's 360° page (the caller fetched ``customer`` through a
    scoped selector); three queries: the latest ratings carry the average of all of them (a
    window over the customer's ratings, computed before the limit)."""
    ratings: list[CaseRating] = list(
        CaseRating.objects.filter(customer=customer)
        .select_related("case")
        .annotate(overall=Window(Avg("score")))
        .order_by("-created_at", "-id")[:CARD_ITEMS]
    )
    return CustomerService(
        open_cases=list(cases_open_of(customer)[: CARD_ITEMS * 2]),
        ratings=ratings,
        average_score=float(ratings[0].overall) if ratings else None,  # type: ignore[attr-defined]
        feedback=list(
            Feedback.objects.filter(customer=customer).order_by("-created_at", "-id")[:CARD_ITEMS]
        ),
    )
