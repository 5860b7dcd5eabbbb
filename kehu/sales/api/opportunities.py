"""``/api/v1/opportunities``: the pipeline's stages, opportunities, their products and their
moves."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from kehu.accounts.models import User
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.customers.selectors import customer_get_for_user
from kehu.sales import selectors, services
from kehu.sales.api.schemas import (
    READ_ERRORS,
    WRITE_ERRORS,
    MoveIn,
    OpportunityFilterIn,
    OpportunityIn,
    OpportunityLineOut,
    OpportunityOut,
    OpportunityPatch,
    OpportunityProductsIn,
    StageOut,
    line_inputs,
)
from kehu.sales.models import (
    Opportunity,
    PipelineStage,
)

opportunities_router = Router(tags=["opportunities"])


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


@opportunities_router.get(
    "/{opportunity_id}/products",
    response={200: list[OpportunityLineOut], **READ_ERRORS},
    summary="The products an opportunity is about",
)
def opportunity_products(request: AuthenticatedRequest, opportunity_id: int) -> list[Any]:
    opportunity = selectors.opportunity_get_for_user(
        user=request.user, opportunity_id=opportunity_id
    )
    return list(opportunity.lines.select_related("product"))


@opportunities_router.put(
    "/{opportunity_id}/products",
    response={200: list[OpportunityLineOut], **WRITE_ERRORS},
    summary="Set the products an opportunity is about",
    description=(
        "Replaces them all (an empty list clears them), kept as a correction with who, when "
        "and the reason. A won opportunity's products become the order's lines."
    ),
)
def opportunity_products_put(
    request: AuthenticatedRequest, opportunity_id: int, payload: OpportunityProductsIn
) -> list[Any]:
    opportunity = selectors.opportunity_get_for_user(
        user=request.user, opportunity_id=opportunity_id
    )
    return services.opportunity_products_set(
        user=request.user,
        opportunity=opportunity,
        lines=line_inputs(payload.lines),
        reason=payload.reason,
    )


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
