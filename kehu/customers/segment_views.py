"""Segments in the browser: save the list's filters, list, count, open and delete segments."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest, flash_errors
from kehu.customers import segments
from kehu.customers.forms import CustomerFilterForm
from kehu.customers.models import Segment

# Stored filter names that the list form calls otherwise.
FORM_NAMES = {"owner_id": "owner", "team_id": "team"}


def segment_list_url(segment: Segment) -> str:
    """The customer list showing this segment's filters."""
    params: list[tuple[str, str]] = []
    for name, value in segment.filters.items():
        if name == "custom":
            params += [(f"{CustomerFilterForm.CUSTOM_PREFIX}{code}", v) for code, v in value]
        else:
            params.append((FORM_NAMES.get(name, name), str(value)))
    return f"{reverse('customers:list')}?{urlencode(params)}"


@require_GET
def segment_list(request: AuthenticatedRequest) -> HttpResponse:
    rows = [
        {"segment": s, "url": segment_list_url(s), "mine": s.owner_id == request.user.pk}
        for s in segments.segments_visible_to(request.user)
    ]
    return render(
        request,
        "customers/segment_list.html",
        {"rows": rows, "visibilities": Segment.Visibility.choices},
    )


@require_POST
def segment_create(request: AuthenticatedRequest) -> HttpResponse:
    form = CustomerFilterForm(QueryDict(request.POST.get("query", "")))
    try:
        segment = segments.segment_save(
            user=request.user,
            name=request.POST.get("name", ""),
            visibility=request.POST.get("visibility", Segment.Visibility.PRIVATE),
            filters=form.filters(),
        )
    except ValidationError as exc:
        flash_errors(request, exc)
        return redirect(f"{reverse('customers:list')}?{request.POST.get('query', '')}")
    messages.success(
        request,
        _("Segment “%(name)s” saved: %(n)s customers.")
        % {"name": segment.name, "n": segment.last_count},
    )
    return redirect("customers:segments")


@require_POST
def segment_refresh(request: AuthenticatedRequest, segment_id: int) -> HttpResponse:
    segment = segments.segment_get_for_user(user=request.user, segment_id=segment_id)
    if segment.owner_id == request.user.pk:
        segments.segment_refresh(segment=segment)
        count = segment.last_count or 0
    else:
        count = segments.segment_count(user=request.user, segment=segment)
    return render(
        request, "customers/partials/segment_count.html", {"segment": segment, "count": count}
    )


@require_POST
def segment_delete(request: AuthenticatedRequest, segment_id: int) -> HttpResponse:
    segment = segments.segment_get_for_user(user=request.user, segment_id=segment_id)
    try:
        segments.segment_delete(user=request.user, segment=segment)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("customers:segments")
