"""The service settings page."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kehu.core.access import (
    require_account_admin,
)
from kehu.core.http import AuthenticatedRequest
from kehu.customers.forms import apply_service_errors
from kehu.service import selectors, services
from kehu.service.forms import (
    ServiceSettingsForm,
    SlaForm,
    SpecialDayForm,
)


def _settings_page(request: AuthenticatedRequest, status: int = 200, **forms: Any) -> HttpResponse:
    row = selectors.service_settings_get()
    policies = selectors.sla_policies_get()
    minutes = {k: (p.response_minutes, p.resolution_minutes) for k, p in policies.items()}
    context = {
        "hours_form": forms.get("hours_form")
        or ServiceSettingsForm(
            initial={
                "work_weekdays": row.work_weekdays,
                "day_starts_at": row.day_starts_at,
                "day_ends_at": row.day_ends_at,
                "warn_before_minutes": row.warn_before_minutes,
                "default_supervisor": row.default_supervisor_id or "",
            }
        ),
        "sla_form": forms.get("sla_form") or SlaForm(minutes=minutes),
        "day_form": forms.get("day_form") or SpecialDayForm(),
        "days": selectors.special_days_upcoming(since=timezone.localdate()),
    }
    return render(request, "service/service_settings.html", context, status=status)


@require_GET
def service_settings(request: AuthenticatedRequest) -> HttpResponse:
    require_account_admin(request.user)
    return _settings_page(request)


@require_POST
def service_settings_hours(request: AuthenticatedRequest) -> HttpResponse:
    require_account_admin(request.user)
    form = ServiceSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.service_settings_save(
                user=request.user,
                work_weekdays=form.cleaned_data["work_weekdays"],
                day_starts_at=form.cleaned_data["day_starts_at"],
                day_ends_at=form.cleaned_data["day_ends_at"],
                warn_before_minutes=form.cleaned_data["warn_before_minutes"],
                default_supervisor=form.supervisor(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Business hours saved."))
            return redirect("service:settings")
    return _settings_page(request, status=400, hours_form=form)


@require_POST
def service_settings_sla(request: AuthenticatedRequest) -> HttpResponse:
    require_account_admin(request.user)
    policies = selectors.sla_policies_get()
    minutes = {k: (p.response_minutes, p.resolution_minutes) for k, p in policies.items()}
    form = SlaForm(request.POST, minutes=minutes)
    if form.is_valid():
        try:
            services.sla_policies_save(user=request.user, minutes=form.minutes())
        except ValidationError as exc:
            for key, problems in exc.message_dict.items():
                form.add_error(f"{key}_resolution", problems)
        else:
            messages.success(request, _("SLA saved. Cases opened from now on use it."))
            return redirect("service:settings")
    return _settings_page(request, status=400, sla_form=form)


@require_POST
def special_day_add(request: AuthenticatedRequest) -> HttpResponse:
    require_account_admin(request.user)
    form = SpecialDayForm(request.POST)
    if form.is_valid():
        services.special_day_save(
            user=request.user,
            day=form.cleaned_data["date"],
            kind=form.cleaned_data["kind"],
            name=form.cleaned_data["name"],
        )
        messages.success(request, _("Calendar saved."))
        return redirect("service:settings")
    return _settings_page(request, status=400, day_form=form)


@require_POST
def special_day_delete(request: AuthenticatedRequest, day_id: int) -> HttpResponse:
    require_account_admin(request.user)
    services.special_day_delete(user=request.user, day_id=day_id)
    return redirect("service:settings")
