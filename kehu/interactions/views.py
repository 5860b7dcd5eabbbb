"""The contact history in the browser: the timeline on the 360° page, the log form, "my day",
attachments. Customers come through scoped selectors (404 outside the user's scope); writes go
through ``kehu.interactions.services``."""

import json
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import can_log_contact, require
from kehu.core.http import AuthenticatedRequest
from kehu.customers.forms import apply_service_errors
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_can_change, customer_get_for_user
from kehu.customers.views import INVALID, is_htmx
from kehu.interactions import selectors, services
from kehu.interactions.forms import (
    InteractionForm,
    default_time,
    parse_timeline_filter,
    timeline_filter_choices,
)
from kehu.interactions.models import Interaction
from kehu.interactions.timeline import customer_timeline_page

TIMELINE_PAGE_SIZE = 20


def _customer(request: AuthenticatedRequest, customer_id: int) -> Customer:
    return customer_get_for_user(user=request.user, customer_id=customer_id)


def timeline_context(
    request: AuthenticatedRequest, customer: Customer, *, kind: str = "", before: Any = None
) -> dict[str, Any]:
    """What the timeline card needs; the 360° page includes it too."""
    kinds, subtypes = parse_timeline_filter(kind)
    page = customer_timeline_page(
        user=request.user,
        customer=customer,
        kinds=kinds,
        subtypes=subtypes,
        before=before,
        limit=TIMELINE_PAGE_SIZE,
    )
    base = reverse("interactions:timeline", args=[customer.pk])
    more_url = ""
    if page.next_before is not None:
        params = {"before": page.next_before.isoformat()}
        if kind:
            params["kind"] = kind
        more_url = f"{base}?{urlencode(params)}"
    return {
        "customer": customer,
        "items": page.items,
        "more_url": more_url,
        "timeline_kind": kind,
        "timeline_choices": timeline_filter_choices(),
        "can_log": can_log_contact(request.user),
        "grace_start": timezone.now() - services.DELETE_GRACE,
    }


@require_GET
def customer_timeline(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    """The timeline card (htmx: filter), or with ``before`` the next items (infinite scroll)."""
    customer = _customer(request, customer_id)
    before: datetime | None = None
    raw = request.GET.get("before", "")
    if raw:
        before = parse_datetime(raw)
        if before is None:
            before = timezone.now()
    context = timeline_context(request, customer, kind=request.GET.get("kind", ""), before=before)
    if before is not None and is_htmx(request):
        return render(request, "interactions/partials/timeline_items.html", context)
    if is_htmx(request):
        return render(request, "interactions/partials/timeline_card.html", context)
    return render(request, "interactions/customer_timeline.html", context)


@require_http_methods(["GET", "POST"])
def interaction_create(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    require(request.user, can_log_contact)
    can_change_facts = customer_can_change(user=request.user, customer=customer)
    reminder_id = request.POST.get("reminder") or request.GET.get("reminder") or ""
    if not reminder_id.isdigit():
        reminder_id = ""
    # "quick": the dialog opened from a header, a list row or search results (log a call…)
    quick = (request.POST.get("quick") or request.GET.get("quick")) == "1"
    initial = {"occurred_at": default_time(), "direction": "outbound"}
    if request.GET.get("type") in Interaction.Type.values:
        initial["type"] = request.GET["type"]
    form = InteractionForm(
        request.POST or None,
        request.FILES or None,
        customer=customer,
        can_change_facts=can_change_facts,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.interaction_log(
                    user=request.user, customer=customer, **form.service_kwargs()
                )
            except ValidationError as exc:
                _service_errors(form, exc)
            else:
                if reminder_id:
                    # logged from "my day": the reminder that asked for it is done
                    reminder = selectors.reminder_get_for_user(
                        user=request.user, reminder_id=int(reminder_id)
                    )
                    services.reminder_done(user=request.user, reminder=reminder)
                if quick and is_htmx(request):
                    response = HttpResponse(status=204)
                    response["HX-Trigger"] = json.dumps(
                        {"kehu:saved": {"message": _("Interaction logged.")}}
                    )
                    return response
                if is_htmx(request) and form.facts():
                    # the profile cards changed too: reload the whole page
                    messages.success(request, _("Interaction logged."))
                    response = HttpResponse(status=204)
                    response["HX-Refresh"] = "true"
                    return response
                if is_htmx(request):
                    context = timeline_context(request, _customer(request, customer_id))
                    context["logged"] = True
                    response = render(request, "interactions/partials/timeline_card.html", context)
                    response["HX-Retarget"] = "#timeline"
                    response["HX-Reswap"] = "outerHTML"
                    return response
                messages.success(request, _("Interaction logged."))
                return redirect(f"{customer.get_absolute_url()}#timeline")
        status = INVALID if is_htmx(request) else 200
    context = {"customer": customer, "form": form, "reminder_id": reminder_id, "quick": quick}
    if is_htmx(request):
        template = (
            "interactions/partials/quick_form.html"
            if quick
            else "interactions/partials/interaction_form.html"
        )
    else:
        template = "interactions/interaction_form.html"
    return render(request, template, context, status=status)


def _service_errors(form: InteractionForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        renamed = {
            InteractionForm.SERVICE_FIELD_NAMES.get(key, key): value
            for key, value in exc.error_dict.items()
        }
        exc = ValidationError(renamed)
    apply_service_errors(form, exc)


@require_POST
def interaction_delete(request: AuthenticatedRequest, interaction_id: int) -> HttpResponse:
    interaction = selectors.interaction_get_for_user(
        user=request.user, interaction_id=interaction_id
    )
    customer = interaction.customer
    services.interaction_delete(user=request.user, interaction=interaction)
    if is_htmx(request):
        return render(
            request,
            "interactions/partials/timeline_card.html",
            timeline_context(request, customer),
        )
    messages.success(request, _("Interaction deleted."))
    return redirect(f"{customer.get_absolute_url()}#timeline")


@require_GET
def attachment_download(request: AuthenticatedRequest, attachment_id: int) -> FileResponse:
    """An attachment, for users who may see its customer; never served as a static file."""
    attachment = selectors.attachment_get_for_user(user=request.user, attachment_id=attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- my day -----------------------------------------------------------------------------------


@require_GET
def my_day(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    services.reminders_ensure(user=request.user, today=today)
    day = selectors.my_day(user=request.user, today=today)
    return render(
        request,
        "interactions/my_day.html",
        {"day": day, "can_log": can_log_contact(request.user)},
    )


@require_POST
def reminder_done(request: AuthenticatedRequest, reminder_id: int) -> HttpResponse:
    reminder = selectors.reminder_get_for_user(user=request.user, reminder_id=reminder_id)
    services.reminder_done(user=request.user, reminder=reminder)
    if is_htmx(request):
        return HttpResponse("")
    messages.success(request, _("Done."))
    return redirect("interactions:my_day")


@require_POST
def notifications_read(request: AuthenticatedRequest) -> HttpResponse:
    services.notifications_mark_read(user=request.user)
    return redirect("interactions:my_day")
