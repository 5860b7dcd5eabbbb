"""``/api/v1/basket``: the mined rules (filtered, cursor-paginated), a product's associations,
a customer's next best products (for the call-center screen-pop and campaigns), and the
mining runs (request one, follow its progress)."""

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.basket import selectors, services
from kehu.basket.models import AssociationRule, Level, MiningRun
from kehu.core.access import can_see_customers, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination

router = Router(tags=["bought together"])

API_ORDERINGS = ("lift", "confidence", "support", "leverage")


def _names(context: dict[str, Any], level: str) -> dict[Any, str]:
    """Product names, read once per request for every rule on the page."""
    request = context["request"]
    if level == Level.CATEGORY:
        return {}
    if not hasattr(request, "_basket_names"):
        request._basket_names = dict(selectors.products_for_filter())
    names: dict[Any, str] = request._basket_names
    return names


class RuleOut(Schema):
    id: int
    antecedent: list[Any]
    consequent: list[Any]
    antecedent_names: list[str]
    consequent_names: list[str]
    count: int
    support: float
    confidence: float
    lift: float
    leverage: float
    conviction: float | None
    text: str

    @staticmethod
    def resolve_antecedent_names(obj: AssociationRule, context: dict[str, Any]) -> list[str]:
        names = _names(context, obj.run.level)
        return [names.get(i, str(i)) for i in obj.antecedent]

    @staticmethod
    def resolve_consequent_names(obj: AssociationRule, context: dict[str, Any]) -> list[str]:
        names = _names(context, obj.run.level)
        return [names.get(i, str(i)) for i in obj.consequent]

    @staticmethod
    def resolve_text(obj: AssociationRule, context: dict[str, Any]) -> str:
        return selectors.rule_sentence(obj, _names(context, obj.run.level))


class RuleFilterIn(Schema):
    level: str = Level.PRODUCT
    product: int | None = None
    category: str = ""
    side: str = ""
    min_lift: float | None = None
    min_confidence: float | None = None
    order: str = "lift"


class RecommendationOut(Schema):
    product_id: int
    code: str
    name: str
    score: float
    reason: str
    text: str


class MiningRunIn(Schema):
    level: str = Level.PRODUCT
    min_support: float | None = None
    min_confidence: float | None = None
    basket_mode: str = MiningRun.BasketMode.ORDER
    window_days: int | None = None
    max_len: int | None = None


class MiningRunOut(Schema):
    id: int
    level: str
    basket_mode: str
    window_days: int
    min_support: float
    min_confidence: float
    max_len: int
    min_baskets: int
    status: str
    progress: int
    baskets: int
    itemset_count: int
    rule_count: int
    seconds: float | None
    created_at: datetime
    finished_at: datetime | None
    error: str


@router.get(
    "/rules",
    response={200: list[RuleOut], **ERROR_RESPONSES},
    summary="Rules of the latest mining",
    description=(
        "`level`: product or category; `product` (id) or `category` on `side` "
        "(`antecedent`, `consequent`, or either); `order`: lift, confidence, support or "
        "leverage, descending. Cursor-paginated."
    ),
)
@paginate(KeysetPagination)
def rules(request: AuthenticatedRequest, filters: Query[RuleFilterIn]) -> Any:
    order = filters.order if filters.order in API_ORDERINGS else "lift"
    found = selectors.rule_list(
        user=request.user,
        filters=selectors.RuleFilters(
            level=filters.level if filters.level in Level.values else Level.PRODUCT,
            product_id=filters.product,
            category=filters.category,
            side=filters.side,
            min_lift=filters.min_lift,
            min_confidence=filters.min_confidence,
        ),
    )
    return found.select_related("run").order_by(f"-{order}", "-id")


@router.get(
    "/products/{product_id}/associations",
    response={200: list[RuleOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="Often bought with this product",
)
def product_associations(request: AuthenticatedRequest, product_id: int) -> list[AssociationRule]:
    require(request.user, can_see_customers, selectors.RULES_REFUSED)
    from kehu.sales.selectors import product_get

    product = product_get(product_id=product_id)
    return selectors.often_bought_with(product_id=product.pk)


@router.get(
    "/customers/{customer_id}/recommendations",
    response={200: list[RecommendationOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="Next best products for a customer, with the reason for each",
)
def customer_recommendations(
    request: AuthenticatedRequest, customer_id: int
) -> list[dict[str, Any]]:
    found = selectors.customer_recommendations(user=request.user, customer_id=customer_id)
    return [
        {
            "product_id": r.product.pk,
            "code": r.product.code,
            "name": r.product.name,
            "score": r.score,
            "reason": r.reason,
            "text": r.text,
        }
        for r in found
    ]


@router.post(
    "/runs",
    response={202: MiningRunOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Mine the baskets again (in the background)",
)
def run_request(request: AuthenticatedRequest, payload: MiningRunIn) -> Status[MiningRun]:
    run = services.mining_run_request(user=request.user, **payload.dict())
    return Status(202, run)


@router.get(
    "/runs/{run_id}",
    response={200: MiningRunOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="A mining run and its progress",
)
def run_status(request: AuthenticatedRequest, run_id: int) -> MiningRun:
    return selectors.mining_run_get(user=request.user, run_id=run_id)
