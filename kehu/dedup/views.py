"""Duplicates in the browser: the review queue, a pair side by side with the merge form,
merges with their undo. Archive administrators only."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.accounts.models import User
from kehu.core.http import AuthenticatedRequest, client_ip, flash_errors
from kehu.customers.models import Customer
from kehu.dedup import selectors, services
from kehu.dedup.finder import DEFAULT_THRESHOLD
from kehu.dedup.models import DuplicateCandidate

PAGE = 50


def _customer_id(value: str) -> int | None:
    """The id of the ``customer`` filter; anything else is ignored, as an unknown kind is."""
    return int(value) if value.isdecimal() and len(value) <= 18 else None


def _queue_context(user: User, kind: str, customer_param: str) -> dict[str, Any]:
    """What the review queue shows: the pairs (narrowed by kind and customer), the last search
    and the count of pairs waiting, the one the page head and the navigation badge show."""
    if kind not in Customer.Kind.values:
        kind = ""
    customer_id = _customer_id(customer_param)
    customer = None
    if customer_id is not None:
        customer = selectors.queue_customer_get(user=user, customer_id=customer_id)
    candidates = list(
        selectors.candidates_for(
            user=user, kind=kind, customer_id=customer.pk if customer else None
        )[:PAGE]
    )
    for candidate in candidates:
        candidate.agreed_labels = selectors.agreed_labels(candidate.agreed)  # type: ignore[attr-defined]
    run = selectors.run_latest()
    return {
        "candidates": candidates,
        "kind": kind,
        "customer": customer,
        "kinds": Customer.Kind.choices,
        "run": run,
        "running": run is not None and not run.is_finished,
        "pending": selectors.duplicates_pending_count(),
        "threshold": DEFAULT_THRESHOLD,
    }


@require_GET
def queue(request: AuthenticatedRequest) -> HttpResponse:
    """The review queue; polled by htmx while a search runs (the search's status, with the
    counts out of band, and the queue itself once the search has finished)."""
    context = _queue_context(
        request.user, request.GET.get("kind", ""), request.GET.get("customer", "")
    )
    fragment = request.headers.get("HX-Request") == "true"
    template = "dedup/partials/run_poll.html" if fragment else "dedup/queue.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _from_queue(request: AuthenticatedRequest) -> bool:
    """A decision taken on a row of the queue (the compare page's forms say nothing)."""
    return request.POST.get("from") == "queue"


def _queue_update(
    request: AuthenticatedRequest, *, notice: str = "", errors: list[str] | None = None
) -> HttpResponse:
    """After a decision taken on the queue with htmx: the queue again (other pairs a merge
    closed leave it too), with the page head's count and the navigation badge out of band, so
    every count on the page agrees without a reload."""
    context = _queue_context(
        request.user, request.POST.get("kind", ""), request.POST.get("customer", "")
    )
    context.update({"notice": notice, "errors": errors or []})
    return render(request, "dedup/partials/queue_update.html", context)


def _queue_url(request: AuthenticatedRequest) -> str:
    query = {k: request.POST[k] for k in ("kind", "customer") if request.POST.get(k)}
    return reverse("dedup:queue") + (f"?{urlencode(query)}" if query else "")


@require_POST
def run_request(request: AuthenticatedRequest) -> HttpResponse:
    try:
        services.duplicate_run_request(
            user=request.user, threshold=request.POST.get("threshold", DEFAULT_THRESHOLD)
        )
    except ValidationError as exc:
        flash_errors(request, exc)
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
        if _from_queue(request):
            return _decided_on_queue(request, errors=exc.messages)
        flash_errors(request, exc)
        context = _compare_context(request, candidate)
        return render(request, "dedup/compare.html", context, status=422)
    if _from_queue(request):
        return _decided_on_queue(request, notice=_("Merged."))
    messages.success(request, _("Merged. This is the surviving customer."))
    return redirect("customers:detail", survivor)


def _decided_on_queue(
    request: AuthenticatedRequest, *, notice: str = "", errors: list[str] | None = None
) -> HttpResponse:
    """The answer to a decision taken on the queue: the updated queue for htmx, else the
    queue page again with the outcome as a message."""
    if request.headers.get("HX-Request") == "true":
        return _queue_update(request, notice=notice, errors=errors)
    for problem in errors or []:
        messages.error(request, problem)
    if notice:
        messages.success(request, notice)
    return redirect(_queue_url(request))


@require_POST
def dismiss(request: AuthenticatedRequest, candidate_id: int) -> HttpResponse:
    try:
        services.candidate_dismiss(user=request.user, candidate_id=candidate_id)
    except ValidationError as exc:
        return _decided_on_queue(request, errors=exc.messages)
    return _decided_on_queue(request, notice=_("Marked as not a duplicate."))


@require_GET
def merge_list(request: AuthenticatedRequest) -> HttpResponse:
    merges = list(selectors.merges_for(user=request.user).order_by("-id")[:PAGE])
    return render(request, "dedup/merge_list.html", {"merges": merges})


@require_POST
def merge_undo(request: AuthenticatedRequest, merge_id: int) -> HttpResponse:
    try:
        services.merge_undo(user=request.user, merge_id=merge_id, ip_address=client_ip(request))
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("The merge was undone."))
    return redirect("dedup:merges")
