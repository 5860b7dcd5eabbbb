"""The sales-performance report."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kehu.core.http import AuthenticatedRequest
from kehu.sales import selectors
from kehu.sales.forms import (
    PerformanceForm,
)


@require_GET
def performance(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    form = PerformanceForm(request.GET or None, initial=PerformanceForm.defaults(today))
    values = form.cleaned_data if form.is_bound and form.is_valid() else form.defaults(today)
    report = selectors.sales_performance(
        user=request.user,
        start=values["start"],
        end=values["end"],
        group_by=values["group_by"],
        currency=values["currency"],
    )
    chart = {
        "labels": [row.label for row in report.rows],
        "revenue": [str(row.revenue) for row in report.rows],
        "collected": [str(row.collected) for row in report.rows],
        "names": {"revenue": _("Revenue"), "collected": _("Collected")},
    }
    context = {"form": form, "report": report, "chart": chart, "tab": "performance"}
    return render(request, "sales/performance.html", context)
