"""The pipeline's settings page (stages)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.access import require_archive_admin
from kehu.core.http import AuthenticatedRequest
from kehu.sales import selectors, services
from kehu.sales.forms import (
    PipelineStageForm,
    StageDeleteForm,
)
from kehu.sales.models import Opportunity, PipelineStage


@require_GET
def pipeline_settings(request: AuthenticatedRequest) -> HttpResponse:
    require_archive_admin(request.user)
    stages = selectors.pipeline_stage_rows()
    return render(request, "sales/pipeline.html", {"stages": stages, "tab": "pipeline"})


def _stage_or_404(stage_id: int) -> PipelineStage:
    stage = PipelineStage.objects.filter(pk=stage_id, is_active=True).first()
    if stage is None:
        raise Http404
    return stage


@require_http_methods(["GET", "POST"])
def pipeline_stage_edit(request: AuthenticatedRequest, stage_id: int | None = None) -> HttpResponse:
    require_archive_admin(request.user)
    stage = _stage_or_404(stage_id) if stage_id is not None else None
    form = PipelineStageForm(request.POST or None, instance=stage)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            services.pipeline_stage_save(
                user=request.user, data=data, stage=stage, code=form.cleaned_data.get("code", "")
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Pipeline stage saved."))
            return redirect("sales:pipeline")
    context = {"form": form, "stage": stage, "tab": "pipeline"}
    return render(
        request, "sales/pipeline_stage_form.html", context, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def pipeline_stage_delete(request: AuthenticatedRequest, stage_id: int) -> HttpResponse:
    require_archive_admin(request.user)
    stage = _stage_or_404(stage_id)
    form = StageDeleteForm(request.POST if request.method == "POST" else None, stage=stage)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            deleted = services.pipeline_stage_delete(
                user=request.user, stage=stage, move_to=form.cleaned_data["move_to"]
            )
        except ValidationError as exc:
            problems = exc.messages
        else:
            messages.success(
                request,
                _("Pipeline stage deleted.")
                if deleted
                else _("Pipeline stage removed; the opportunities' history still names it."),
            )
            return redirect("sales:pipeline")
    context = {
        "form": form,
        "stage": stage,
        "problems": problems,
        "opportunities": Opportunity.objects.filter(stage=stage).count(),
        "tab": "pipeline",
    }
    return render(
        request,
        "sales/pipeline_stage_delete.html",
        context,
        status=400 if problems or form.errors else 200,
    )
