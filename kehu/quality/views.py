"""The data-quality page (/quality/) for archive administrators: the latest snapshot with
trend and per-field charts, "recompute now", and the customers behind each number."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.core.access import require_archive_admin
from kehu.core.http import AuthenticatedRequest, flash_errors
from kehu.customers.models import Customer
from kehu.quality import selectors, services

ISSUES_PAGE_SIZE = 50


@require_GET
def quality_overview(request: AuthenticatedRequest) -> HttpResponse:
    require_archive_admin(request.user, selectors.QUALITY_REFUSED)
    snapshot = selectors.quality_latest()
    context: dict[str, object] = {
        "snapshot": snapshot,
        "default_months": services.default_stale_months(),
    }
    if snapshot is not None:
        kinds = dict(Customer.Kind.choices)
        context.update(
            metrics=snapshot.metrics,
            completeness=[
                (kinds[kind], snapshot.metrics["completeness"]["by_kind"].get(kind, {}), rows)
                for kind, rows in selectors.completeness_rows(snapshot).items()
            ],
            validity=selectors.rule_rows(snapshot, "validity"),
            consistency=selectors.rule_rows(snapshot, "consistency"),
            chart=selectors.chart_data(snapshot, selectors.quality_trend()),
        )
    return render(request, "quality/overview.html", context)


@require_POST
def quality_recompute(request: AuthenticatedRequest) -> HttpResponse:
    try:
        snapshot = services.quality_recompute(user=request.user, months=request.POST.get("months"))
    except ValidationError as exc:
        flash_errors(request, exc)
        return redirect("quality:overview")
    if snapshot is None:
        messages.info(
            request,
            _("Recomputing in the background; reload this page in a few minutes."),
        )
    else:
        messages.success(request, _("Data quality recomputed."))
    return redirect("quality:overview")


@require_GET
def quality_issues(request: AuthenticatedRequest, metric: str) -> HttpResponse:
    found = selectors.quality_issue_customers(
        user=request.user,
        metric=metric,
        kind=request.GET.get("kind", ""),
        field=request.GET.get("field", ""),
        snapshot=selectors.quality_latest(),
    )
    customers = found.customers.select_related("owner").order_by("-id")
    after = request.GET.get("after", "")
    if after.isdigit():
        customers = customers.filter(pk__lt=int(after))
    rows = list(customers[: ISSUES_PAGE_SIZE + 1])
    more = len(rows) > ISSUES_PAGE_SIZE
    rows = rows[:ISSUES_PAGE_SIZE]
    params = request.GET.copy()
    if more:
        params["after"] = str(rows[-1].pk)
    context = {
        "found": found,
        "customers": rows,
        "next_query": params.urlencode() if more else "",
        "first_page": not after,
    }
    return render(request, "quality/issues.html", context)
