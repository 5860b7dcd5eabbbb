"""The analytics pages (/analytics/): the overview with its charts and lists, the customers
behind each number, "refresh now" with its progress, and accepting suggested grades."""

import math

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from kehu.analytics import filters as value_filters
from kehu.analytics import selectors, services
from kehu.analytics.models import Segment, Tier
from kehu.core.access import (
    can_administer_archive,
    can_export,
    can_see_customers,
    require,
    sees_all_customers,
)
from kehu.core.http import AuthenticatedRequest, kept_figures_poll

PAGE_SIZE = 50
TOP_SHARE = 0.2  # the 20 of 20/80


@require_GET
def analytics_overview(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    require(user, can_see_customers, selectors.ANALYTICS_REFUSED)
    run = selectors.run_latest_done()
    whole = sees_all_customers(user)
    context: dict[str, object] = {
        "run": run,
        "latest": selectors.run_latest() if can_administer_archive(user) else None,
        "can_refresh": can_administer_archive(user),
        "whole_archive": whole,
    }
    if run is not None:
        top_rank = math.ceil(TOP_SHARE * run.customers) if run.customers else 0
        summary = run.summary if whole else {}
        if whole:  # the refresh stored the grids and the lists' candidates
            figures = None
            lists = {
                kind: selectors.top_list(user=user, kind=kind, run=run)
                for kind in ("churn", "growth", "decline", "disagreement")
            }
        else:  # one read of the viewer's scope
            figures = selectors.scope_figures(user=user, run=run)
            if (poll := kept_figures_poll(request, figures.stale)) is not None:
                return poll
            lists = {
                kind: selectors.scope_list(user=user, ids=ids)
                for kind, ids in figures.lists.items()
            }
        context.update(
            figures=figures,
            summary=summary,
            segments=selectors.segment_grid(user=user, run=run, figures=figures),
            tiers=selectors.tier_counts(user=user, run=run, figures=figures),
            churn=lists["churn"],
            growth=lists["growth"],
            decline=lists["decline"],
            disagreements=lists["disagreement"],
            top_rank=top_rank,
            chart={
                "pareto": summary.get("pareto", []),
                "clv": summary.get("clv_histogram", {}),
                "cohorts": summary.get("cohorts", {}),
                "drill": {
                    "url": "/analytics/customers/",
                    "top_rank": top_rank,
                },
                "names": {
                    "customers": _("Share of customers"),
                    "revenue": _("Share of revenue"),
                    "clv": _("Customers by CLV (12 months)"),
                    "month": _("Months since first purchase"),
                    "cohort": _("First-purchase month"),
                    "mark": _("Top 20%"),
                },
            },
        )
    return render(request, "analytics/overview.html", context)


@require_GET
def analytics_customers(request: AuthenticatedRequest) -> HttpResponse:
    try:
        filters = value_filters.value_filters_from(request.GET)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
        filters = value_filters.ValueFilters()
    customers = selectors.value_customers(user=request.user, filters=filters)
    after = request.GET.get("after", "")
    if after.isdigit():
        customers = customers.filter(value__revenue_rank__gt=int(after))
    rows = list(customers[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    query = value_filters.value_filters_query(filters)
    next_query = urlencode({**query, "after": str(rows[-1].value.revenue_rank)}) if more else ""
    context = {
        "customers": rows,
        "filters": filters,
        "query": urlencode(query),
        "next_query": next_query,
        "first_page": not after,
        "segments": Segment.choices,
        "tiers": Tier.choices,
        "can_accept": filters.disagreement,
    }
    export = value_filters.export_query(filters)
    if export is not None and can_export(request.user):
        context["export_query"] = urlencode(export)
    return render(request, "analytics/customers.html", context)


@require_POST
def analytics_refresh(request: AuthenticatedRequest) -> HttpResponse:
    run = services.analytics_run_request(user=request.user)
    messages.info(request, _("Refreshing in the background; the progress shows below."))
    if request.headers.get("HX-Request"):
        return render(request, "analytics/partials/run_status.html", {"latest": run})
    return redirect("analytics:overview")


@require_GET
def analytics_run_status(request: AuthenticatedRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(user=request.user, run_id=run_id)
    response = render(request, "analytics/partials/run_status.html", {"latest": run})
    if run.is_finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # the page reloads with the new figures
    return response


@require_POST
def grades_accept(request: AuthenticatedRequest) -> HttpResponse:
    ids = [int(pk) for pk in request.POST.getlist("customer") if pk.isdigit()]
    try:
        changed = services.suggested_grades_accept(user=request.user, customer_ids=ids)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
        return redirect("analytics:overview")
    text = ngettext("%(n)s grade changed.", "%(n)s grades changed.", changed)
    messages.success(request, text % {"n": changed})
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/analytics/") else "analytics:overview")
