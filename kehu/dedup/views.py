"""Duplicates in the browser: the review queue, a pair side by side with the merge form,
merges with their undo. Archive administrators only."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.core.http import AuthenticatedRequest, client_ip
from kehu.customers.models import Customer
from kehu.dedup import selectors, services
from kehu.dedup.finder import DEFAULT_THRESHOLD
from kehu.dedup.models import DuplicateCandidate

PAGE = 50


def _customer_id(value: str) -> int | None:
    """The id of the ``customer`` filter; anything else is ignored, as an unknown kind is."""
    return int(value) if value.isdecimal() and len(value) <= 18 else None


@require_GET
def queue(request: AuthenticatedRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in Customer.Kind.values:
        kind = ""
    customer_id = _customer_id(request.GET.get("customer", ""))
    customer = None
    if customer_id is not None:
        customer = selectors.queue_customer_get(user=request.user, customer_id=customer_id)
    candidates = list(
        selectors.candidates_for(
            user=request.user, kind=kind, customer_id=customer.pk if customer else None
        )[:PAGE]
    )
    for candidate in candidates:
        candidate.agreed_labels = selectors.agreed_labels(candidate.agreed)  # type: ignore[attr-defined]
    run = selectors.run_latest()
    context = {
        "candidates": candidates,
        "kind": kind,
        "customer": customer,
        "kinds": Customer.Kind.choices,
        "run": run,
        "running": run is not None and not run.is_finished,
        "pending": selectors.duplicates_pending_count(),
        "threshold": DEFAULT_THRESHOLD,
    }
    fragment = request.headers.get("HX-Request") == "true"
    template = "dedup/partials/run_status.html" if fragment else "dedup/queue.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
def run_request(request: AuthenticatedRequest) -> HttpResponse:
    try:
        services.duplicate_run_request(
            user=request.user, threshold=request.POST.get("threshold", DEFAULT_THRESHOLD)
        )
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.info(request, _("The search for duplicates runs in the background."))
    return redirect("dedup:queue")


def _compare_context(
    request: AuthenticatedRequest, candidate: DuplicateCandidate
) -> dict[str, Any]:
    comparison = selectors.comparison_for(
        user=request.user, customer_ids=[candidate.customer_a_id, candidate.customer_b_id]
    )
    return {"candidate": candidate, "comparison": comparison}


@require_GET
def compare(request: AuthenticatedRequest, candidate_id: int) -> HttpResponse:
    candidate = selectors.candidate_get(user=request.user, candidate_id=candidate_id)
    return render(request, "dedup/compare.html", _compare_context(request, candidate))


@require_POST
def merge(request: AuthenticatedRequest, candidate_id: int) -> HttpResponse:
    candidate = selectors.candidate_get(user=request.user, candidate_id=candidate_id)
    pair = {candidate.customer_a_id, candidate.customer_b_id}
    try:
        survivor = int(request.POST.get("survivor", ""))
    except ValueError:
        survivor = 0
    fields: dict[str, int] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        if key.startswith("field:") and value.isdigit():
            fields[key.removeprefix("field:")] = int(value)
    try:
        if survivor not in pair:
            raise ValidationError({"survivor": [_("Choose the customer that survives.")]})
        services.customers_merge(
            user=request.user,
            survivor_id=survivor,
            other_ids=sorted(pair - {survivor}),
            fields=fields,
            ip_address=client_ip(request),
        )
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
        context = _compare_context(request, candidate)
        return render(request, "dedup/compare.html", context, status=422)
    messages.success(request, _("Merged. This is the surviving customer."))
    return redirect("customers:detail", survivor)


@require_POST
def dismiss(request: AuthenticatedRequest, candidate_id: int) -> HttpResponse:
    try:
        services.candidate_dismiss(user=request.user, candidate_id=candidate_id)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("Marked as not a duplicate."))
    return redirect("dedup:queue")


@require_GET
def merge_list(request: AuthenticatedRequest) -> HttpResponse:
    merges = list(selectors.merges_for(user=request.user).order_by("-id")[:PAGE])
    return render(request, "dedup/merge_list.html", {"merges": merges})


@require_POST
def merge_undo(request: AuthenticatedRequest, merge_id: int) -> HttpResponse:
    try:
        services.merge_undo(user=request.user, merge_id=merge_id, ip_address=client_ip(request))
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("The merge was undone."))
    return redirect("dedup:merges")
