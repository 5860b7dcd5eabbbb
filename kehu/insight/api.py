"""``/api/v1/insight``: the cross-tab explorer, saved views, propensity models and scores."""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.core.access import can_model_propensity, can_see_customers, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.core.schemas import CustomerRef
from kehu.customers.selectors import customer_get_for_user
from kehu.insight import crosstab, selectors, services
from kehu.insight.models import PropensityModel

router = Router(tags=["insight"])


class InsightCrossTabQuery(Schema):
    rows: str = Field("province", description="A dimension code (see /insight/dimensions)")
    columns: str = Field("grade")
    measure: str = Field("customers", description="customers, revenue, aov, clv or churn")


class InsightCellQuery(InsightCrossTabQuery):
    row_key: str = ""
    column_key: str = ""


class InsightCellOut(Schema):
    row: str
    column: str
    customers: int
    value: float | None
    share: float
    suppressed: bool


class InsightCrossTabOut(Schema):
    rows: list[tuple[str, str]]
    columns: list[tuple[str, str]]
    cells: list[InsightCellOut]
    total: int
    measure: str
    suppressed: int
    drill_down: bool
    counted_at: datetime | None = Field(
        None, description="When a large archive's table was counted; null when counted live"
    )


class InsightDimensionOut(Schema):
    code: str
    label: str


class InsightViewIn(Schema):
    name: str = Field(max_length=100)
    rows: str
    columns: str
    measure: str


class InsightViewOut(InsightViewIn):
    id: int


class PropensityModelIn(Schema):
    name: str = Field(max_length=100)
    category: str = Field(max_length=100, description="A product category of the catalogue.")
    horizon_days: int = Field(90, ge=7, le=365)
    algorithm: PropensityModel.Algorithm = PropensityModel.Algorithm.LOGISTIC
    use_sensitive: bool = Field(False, description="Administrators only.")


class PropensityInfluenceOut(Schema):
    text: str
    ratio: float


class PropensityModelOut(Schema):
    id: int
    name: str
    category: str
    horizon_days: int
    algorithm: PropensityModel.Algorithm
    use_sensitive: bool
    trained_at: datetime | None
    auc: float | None
    lift_top_decile: float | None
    calibration: list[list[float]]
    influences: list[PropensityInfluenceOut] = []


class PropensityScoreOut(Schema):
    model_id: int
    model_name: str
    category: str
    probability: float
    percentile: int


def _model_out(model: PropensityModel, user: Any) -> dict[str, Any]:
    holdout = (model.evaluation or {}).get("holdout", {})
    return {
        "id": model.pk,
        "name": model.name,
        "category": model.category,
        "horizon_days": model.horizon_days,
        "algorithm": model.algorithm,
        "use_sensitive": model.use_sensitive,
        "trained_at": model.trained_at,
        "auc": holdout.get("auc"),
        "lift_top_decile": holdout.get("lift_top_decile"),
        "calibration": holdout.get("calibration", []),
        "influences": selectors.influences_for(user=user, model=model),
    }


def _table(request: AuthenticatedRequest, q: InsightCrossTabQuery) -> Any:
    require(request.user, can_see_customers)
    try:
        return crosstab.crosstab(
            user=request.user, rows=q.rows, columns=q.columns, measure=q.measure
        )
    except KeyError:
        raise Http404 from None


@router.get(
    "/dimensions",
    response={200: list[InsightDimensionOut], **ERROR_RESPONSES},
    summary="Dimensions",
)
def dimension_list(request: AuthenticatedRequest) -> Any:
    require(request.user, can_see_customers)
    return [
        {"code": d.code, "label": str(d.label)} for d in crosstab.dimensions(request.user).values()
    ]


@router.get(
    "/crosstab",
    response={200: InsightCrossTabOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Two dimensions × a measure (small cells suppressed for aggregate-only roles)",
)
def crosstab_get(request: AuthenticatedRequest, q: Query[InsightCrossTabQuery]) -> Any:
    table = _table(request, q)
    return {
        "rows": table.rows,
        "columns": table.columns,
        "cells": [{"row": r, "column": c, **cell.__dict__} for (r, c), cell in table.cells.items()],
        "total": table.total,
        "measure": table.measure,
        "suppressed": table.suppressed,
        "drill_down": table.drill_down,
        "counted_at": table.counted_at,
    }


@router.get(
    "/crosstab/customers",
    response={200: list[CustomerRef], 404: ErrorBody, **ERROR_RESPONSES},
    summary="The customers behind one cell (roles that may see individuals)",
)
@paginate(KeysetPagination)
def crosstab_customers(request: AuthenticatedRequest, q: Query[InsightCellQuery]) -> Any:
    user = request.user
    if not crosstab.sees_individuals(user):
        raise PermissionDenied
    try:
        return crosstab.cell_customers(
            user=user, rows=q.rows, columns=q.columns, row_key=q.row_key, column_key=q.column_key
        )
    except KeyError:
        raise Http404 from None


@router.get("/views/", response={200: list[InsightViewOut], **ERROR_RESPONSES}, summary="My views")
def view_list(request: AuthenticatedRequest) -> Any:
    return list(selectors.crosstab_views_for(request.user))


@router.post(
    "/views/", response={201: InsightViewOut, 422: ErrorBody, **ERROR_RESPONSES}, summary="Save"
)
def view_create(request: AuthenticatedRequest, payload: InsightViewIn) -> Status[Any]:
    require(request.user, can_see_customers)
    return Status(201, services.crosstab_view_save(user=request.user, **payload.dict()))


@router.delete(
    "/views/{view_id}", response={204: None, 404: ErrorBody, **ERROR_RESPONSES}, summary="Delete"
)
def view_delete(request: AuthenticatedRequest, view_id: int) -> Status[None]:
    view = selectors.crosstab_view_get(user=request.user, view_id=view_id)
    services.crosstab_view_delete(user=request.user, view=view)
    return Status(204, None)


@router.get(
    "/models/", response={200: list[PropensityModelOut], **ERROR_RESPONSES}, summary="Models"
)
def model_list(request: AuthenticatedRequest) -> Any:
    return [_model_out(m, request.user) for m in selectors.models_for(request.user)]


@router.post(
    "/models/",
    response={201: PropensityModelOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Define a model (trained in the background)",
)
def model_create(request: AuthenticatedRequest, payload: PropensityModelIn) -> Status[Any]:
    from kehu.insight.tasks import propensity_train_task

    model = services.propensity_model_save(user=request.user, data=payload.dict())
    transaction.on_commit(lambda: propensity_train_task(model.pk))
    return Status(201, _model_out(model, request.user))


@router.get(
    "/models/{model_id}",
    response={200: PropensityModelOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="A model with its holdout evaluation and influential features",
)
def model_detail(request: AuthenticatedRequest, model_id: int) -> Any:
    return _model_out(selectors.model_get(user=request.user, model_id=model_id), request.user)


@router.delete(
    "/models/{model_id}",
    response={204: None, 404: ErrorBody, 409: ErrorBody, **ERROR_RESPONSES},
    summary="Delete a model and its scores (refused while a segment uses it)",
)
def model_delete(request: AuthenticatedRequest, model_id: int) -> Status[None]:
    require(request.user, can_model_propensity, services.MODEL_REFUSED)
    model = selectors.model_get(user=request.user, model_id=model_id)
    services.propensity_model_delete(user=request.user, model=model)
    return Status(204, None)


@router.post(
    "/models/{model_id}/train",
    response={202: PropensityModelOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Retrain and rescore in the background",
)
def model_train(request: AuthenticatedRequest, model_id: int) -> Status[Any]:
    from kehu.insight.tasks import propensity_train_task

    require(request.user, can_model_propensity, services.MODEL_REFUSED)
    model = selectors.model_get(user=request.user, model_id=model_id)
    transaction.on_commit(lambda: propensity_train_task(model.pk))
    return Status(202, _model_out(model, request.user))


@router.get(
    "/customers/{customer_id}/propensity",
    response={200: list[PropensityScoreOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="A customer's likelihood of buying, per model",
)
def customer_scores(request: AuthenticatedRequest, customer_id: int) -> Any:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    return [
        {
            "model_id": s.model_id,
            "model_name": s.model.name,
            "category": s.model.category,
            "probability": round(s.probability, 4),
            "percentile": s.percentile,
        }
        for s in selectors.scores_for_customer(customer_id=customer.pk)
    ]
