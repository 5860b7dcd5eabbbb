"""The insight pages: the cross-tab explorer (heat map, saved views, drill-down) and the
propensity models (holdout evaluation, calibration, influential features)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.access import can_manage_accounts, can_model_propensity, can_see_customers, require
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest
from kehu.insight import crosstab, selectors, services
from kehu.insight.models import PropensityModel


@require_http_methods(["GET", "POST"])
def explorer(request: AuthenticatedRequest) -> HttpResponse:
    from kehu.insight.tasks import crosstab_count_task

    user = request.user
    require(user, can_see_customers)
    dims = crosstab.dimensions(user)
    if request.method == "POST" and request.POST.get("action") == "count":
        require(user, crosstab.sees_whole_archive)
        transaction.on_commit(crosstab_count_task)
        messages.success(request, _("Counting in the background; refresh in a moment."))
        return redirect(request.get_full_path())
    if request.method == "POST":
        try:
            services.crosstab_view_save(
                user=user,
                name=request.POST.get("name", ""),
                rows=request.POST.get("rows", ""),
                columns=request.POST.get("columns", ""),
                measure=request.POST.get("measure", ""),
            )
            messages.success(request, _("View saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(request.get_full_path())
    rows = request.GET.get("rows", "province")
    columns = request.GET.get("columns", "grade")
    measure = request.GET.get("measure", "customers")
    if rows not in dims or columns not in dims or measure not in crosstab.MEASURES:
        raise Http404
    table = crosstab.crosstab(user=user, rows=rows, columns=columns, measure=measure)
    drill: list[Any] = []
    if table.drill_down and "row_key" in request.GET:
        drill = list(
            crosstab.cell_customers(
                user=user,
                rows=rows,
                columns=columns,
                row_key=request.GET.get("row_key", ""),
                column_key=request.GET.get("column_key", ""),
            )[:100]
        )
    return render(
        request,
        "insight/explorer.html",
        {
            "dims": dims,
            "measures": crosstab.MEASURES,
            "rows": rows,
            "columns": columns,
            "measure": measure,
            "table": table,
            "heat": {
                "x": [label for _k, label in table.columns],
                "y": [label for _k, label in table.rows],
                "cells": table.heat(),
            },
            "views": selectors.crosstab_views_for(user),
            "drill": drill,
            "k": crosstab.K_ANONYMITY,
        },
    )


@require_http_methods(["GET", "POST"])
def models(request: AuthenticatedRequest) -> HttpResponse:
    from kehu.insight.tasks import propensity_train_task

    user = request.user
    require(user, can_see_customers)
    if request.method == "POST":
        try:
            if request.POST.get("model") and request.POST.get("action") == "delete":
                require(user, can_model_propensity, services.MODEL_REFUSED)
                model = selectors.model_get(user=user, model_id=int(request.POST["model"]))
                services.propensity_model_delete(user=user, model=model)
                messages.success(request, _("Model deleted."))
                return redirect("insight:models")
            if request.POST.get("model"):
                require(user, can_model_propensity, services.MODEL_REFUSED)
                model = selectors.model_get(user=user, model_id=int(request.POST["model"]))
            else:
                model = services.propensity_model_save(
                    user=user,
                    data=request.POST.dict()
                    | {"use_sensitive": request.POST.get("use_sensitive") == "on"},
                )
            transaction.on_commit(lambda: propensity_train_task(model.pk))
            messages.success(request, _("Training in the background; refresh in a moment."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except Conflict as exc:
            messages.error(request, exc.message)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You may not do this."))
        return redirect("insight:models")
    rows = [
        {
            "model": m,
            "holdout": (m.evaluation or {}).get("holdout", {}),
            "influences": selectors.influences_for(user=user, model=m),
        }
        for m in selectors.models_for(user)
    ]
    from kehu.sales.models import Product

    return render(
        request,
        "insight/models.html",
        {
            "rows": rows,
            "charts": {str(r["model"].pk): r["holdout"].get("calibration", []) for r in rows},
            "can_model": can_model_propensity(user),
            "can_sensitive": can_manage_accounts(user),
            "categories": sorted(
                {c for c in Product.objects.values_list("category", flat=True) if c}
            ),
            "algorithms": PropensityModel.Algorithm.choices,
        },
    )


@require_GET
def saved_view(request: AuthenticatedRequest, view_id: int) -> HttpResponse:
    view = selectors.crosstab_view_get(user=request.user, view_id=view_id)
    return redirect(f"/insight/?rows={view.rows}&columns={view.columns}&measure={view.measure}")
