"""Customer feedback within the user's scope, and the product report."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404

from kehu.accounts.models import User
from kehu.customers.selectors import customers_visible_to
from kehu.service.models import (
    CaseType,
    Feedback,
)
from kehu.service.selectors.cases import cases_visible_to
from kehu.service.selectors.common import OPEN_STATUSES


def feedback_visible_to(user: User) -> QuerySet[Feedback]:
    return Feedback.objects.filter(customer__in=customers_visible_to(user).values("pk"))


@dataclass(frozen=True)
class FeedbackFilters:
    kind: str = ""
    question_type: str = ""
    product: str = ""  # a product code, or part of a product's name
    customer_id: int | None = None
    q: str = ""


def feedback_list(*, user: User, filters: FeedbackFilters) -> QuerySet[Feedback]:
    """Feedback on customers ``user`` may see, newest first; ``q`` searches every text."""
    queryset = feedback_visible_to(user)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.question_type:
        queryset = queryset.filter(question_type=filters.question_type)
    if filters.customer_id is not None:
        queryset = queryset.filter(customer_id=filters.customer_id)
    if filters.product:
        queryset = queryset.filter(
            Q(product_code=filters.product) | Q(product_name__icontains=filters.product)
        )
    if filters.q:
        q = filters.q
        queryset = queryset.filter(
            Q(content__icontains=q)
            | Q(solution__icontains=q)
            | Q(preferences__icontains=q)
            | Q(market_type__icontains=q)
            | Q(product_name__icontains=q)
            | Q(customer__name__icontains=q)
        )
    return queryset.select_related("customer", "recorded_by", "case").order_by("-created_at", "-id")


def feedback_get_for_user(*, user: User, feedback_id: int) -> Feedback:
    row = (
        feedback_visible_to(user)
        .select_related("customer", "recorded_by", "case")
        .filter(pk=feedback_id)
        .first()
    )
    if row is None:
        raise Http404
    return row


@dataclass(frozen=True)
class ProductRow:
    product_code: str
    product_name: str
    comments: int
    average_satisfaction: float | None
    scores: dict[int, int]  # 1..5 → how many comments gave it
    understands: int  # comments saying the customer understands how it works
    understands_known: int  # comments that say either way
    lifecycle: dict[str, int]
    cases: int
    open_cases: int
    complaints: int
    average_case_rating: float | None


def product_report(*, user: User, since: date | None = None) -> list[ProductRow]:
    """Per product: product comments (satisfaction, understanding, life-cycle opinions) and
    cases (how many, open, complaints, their ratings), over customers ``user`` may see. Three
    grouped queries, however many products."""
    feedback = feedback_visible_to(user).filter(kind=Feedback.Kind.PRODUCT_COMMENT)
    cases = cases_visible_to(user).exclude(product_name="", product_code="")
    if since is not None:
        feedback = feedback.filter(created_at__date__gte=since)
        cases = cases.filter(created_at__date__gte=since)
    keys = ("product_code", "product_name")
    comment_rows = feedback.values(*keys).annotate(
        comments=Count("id"),
        average=Avg("satisfaction"),
        understands=Count("id", filter=Q(understands_product=True)),
        understands_known=Count("id", filter=Q(understands_product__isnull=False)),
        **{f"s{n}": Count("id", filter=Q(satisfaction=n)) for n in range(1, 6)},
        **{
            f"l_{v}": Count("id", filter=Q(lifecycle_opinion=v))
            for v in Feedback.LifecycleOpinion.values
        },
    )
    case_rows = cases.values(*keys).annotate(
        cases=Count("id"),
        open_cases=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        complaints=Count("id", filter=Q(type=CaseType.COMPLAINT)),
        rating=Avg("rating__score"),
    )
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in comment_rows:
        merged[(row["product_code"], row["product_name"])] = dict(row)
    for row in case_rows:
        merged.setdefault((row["product_code"], row["product_name"]), {}).update(row)
    result = [
        ProductRow(
            product_code=code,
            product_name=name,
            comments=row.get("comments", 0),
            average_satisfaction=row.get("average"),
            scores={n: row.get(f"s{n}", 0) for n in range(1, 6)},
            understands=row.get("understands", 0),
            understands_known=row.get("understands_known", 0),
            lifecycle={v: row.get(f"l_{v}", 0) for v in Feedback.LifecycleOpinion.values},
            cases=row.get("cases", 0),
            open_cases=row.get("open_cases", 0),
            complaints=row.get("complaints", 0),
            average_case_rating=row.get("rating"),
        )
        for (code, name), row in merged.items()
    ]
    result.sort(key=lambda r: (-(r.comments + r.cases), r.product_name, r.product_code))
    return result
