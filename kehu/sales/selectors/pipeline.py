"""Opportunities and the pipeline: stages, lists, the kanban board, win rates."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.sales.models import (
    ZERO,
    Opportunity,
    PipelineStage,
)
from kehu.sales.selectors.scope import CENT, opportunities_visible_to

# --- opportunities and the pipeline -----------------------------------------------------------


def pipeline_stages(*, include_inactive: bool = False) -> list[PipelineStage]:
    queryset = PipelineStage.objects.all()
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return list(queryset.order_by("sort_order", "id"))


def pipeline_stage_rows() -> list[PipelineStage]:
    """The stages in use with ``opportunity_count`` (the opportunities in each), for the settings
    page: one grouped count over the stage index."""
    counts = dict(
        Opportunity.objects.order_by()
        .values("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    stages = pipeline_stages()
    for stage in stages:
        stage.opportunity_count = counts.get(stage.pk, 0)  # type: ignore[attr-defined]
    return stages


@dataclass(frozen=True)
class OpportunityFilters:
    customer_id: int | None = None
    owner_id: int | None = None
    stage: str = ""
    open_only: bool = False
    q: str = ""


def opportunity_list(*, user: User, filters: OpportunityFilters) -> QuerySet[Opportunity]:
    queryset = opportunities_visible_to(user)
    if filters.customer_id is not None:
        queryset = queryset.filter(customer_id=filters.customer_id)
    if filters.owner_id is not None:
        queryset = queryset.filter(owner_id=filters.owner_id)
    if filters.stage:
        queryset = queryset.filter(stage__code=filters.stage)
    if filters.open_only:
        queryset = queryset.filter(stage__outcome=PipelineStage.Outcome.OPEN)
    if filters.q:
        queryset = queryset.filter(Q(name__icontains=filters.q) | Q(customer__name=filters.q))
    return queryset.select_related("customer", "owner", "stage").order_by("-id")


@dataclass
class KanbanColumn:
    stage: PipelineStage
    cards: list[Opportunity]
    count: int
    amount: Decimal
    weighted: Decimal


KANBAN_CARDS_PER_STAGE = 50
CLOSED_COLUMN_DAYS = 90  # won and lost columns show what closed in the last 90 days


def kanban_board(*, user: User, filters: OpportunityFilters) -> list[KanbanColumn]:
    """The pipeline's columns: the newest cards of each stage, with counts and sums."""
    stages = pipeline_stages()
    base = opportunity_list(user=user, filters=filters)
    since = timezone.localdate() - timedelta(days=CLOSED_COLUMN_DAYS)
    base = base.filter(Q(closed_on__isnull=True) | Q(closed_on__gte=since))
    sums = {
        row["stage_id"]: row
        for row in base.order_by().values("stage_id").annotate(n=Count("id"), amount=Sum("amount"))
    }
    columns = []
    for stage in stages:
        cards = list(base.filter(stage=stage)[:KANBAN_CARDS_PER_STAGE])
        row = sums.get(stage.pk, {"n": 0, "amount": ZERO})
        amount = (row["amount"] or ZERO).quantize(CENT)
        columns.append(
            KanbanColumn(
                stage=stage,
                cards=cards,
                count=row["n"],
                amount=amount,
                weighted=(amount * stage.probability / 100).quantize(Decimal("0.01")),
            )
        )
    return columns


def customer_open_opportunities(*, customer: Customer, limit: int = 10) -> list[Opportunity]:
    return list(
        Opportunity.objects.filter(customer=customer, stage__outcome=PipelineStage.Outcome.OPEN)
        .select_related("stage", "owner")
        .order_by("expected_close_on", "-id")[:limit]
    )


def win_rate(won: int, lost: int) -> Decimal | None:
    """Won ÷ (won + lost) as a percentage with one decimal; None when nothing closed."""
    if won + lost == 0:
        return None
    return (Decimal(won) * 100 / (won + lost)).quantize(Decimal("0.1"))
