"""Archive settings for administrators: the channels facts are learned through, custom fields."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.access import require_account_admin
from kehu.core.http import AuthenticatedRequest
from kehu.customers import services
from kehu.customers.forms import ChannelForm, CustomFieldForm, apply_service_errors
from kehu.customers.models import Channel, CustomField


@require_GET
def channel_list(request: AuthenticatedRequest) -> HttpResponse:
    require_account_admin(request.user)
    context = {"channels": Channel.objects.all(), "tab": "channels"}
    return render(request, "customers/channel_list.html", context)


@require_http_methods(["GET", "POST"])
def channel_edit(request: AuthenticatedRequest, channel_id: int | None = None) -> HttpResponse:
    require_account_admin(request.user)
    channel = get_object_or_404(Channel, pk=channel_id) if channel_id else None
    initial = ChannelForm.initial_for(channel) if channel else None
    form = ChannelForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_save(
                user=request.user,
                channel=channel,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Channel saved."))
            return redirect("archive_admin:channels")
    context = {"form": form, "channel": channel, "tab": "channels"}
    return render(request, "customers/channel_form.html", context)


@require_GET
def custom_field_list(request: AuthenticatedRequest) -> HttpResponse:
    require_account_admin(request.user)
    context = {"custom_fields": CustomField.objects.all(), "tab": "fields"}
    return render(request, "customers/custom_field_list.html", context)


@require_http_methods(["GET", "POST"])
def custom_field_edit(request: AuthenticatedRequest, field_id: int | None = None) -> HttpResponse:
    require_account_admin(request.user)
    custom = get_object_or_404(CustomField, pk=field_id) if field_id else None
    initial = CustomFieldForm.initial_for(custom) if custom else None
    form = CustomFieldForm(request.POST or None, initial=initial, editing=custom is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.custom_field_save(
                user=request.user,
                custom_field=custom,
                code=data["code"],
                label=data["label"],
                label_en=data["label_en"],
                field_type=data["field_type"],
                applies_to=data["applies_to"],
                choices=form.choice_list(),
                required=data["required"],
                searchable=data["searchable"],
                sensitive=data["sensitive"],
                is_active=data["is_active"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Custom field saved."))
            return redirect("archive_admin:custom_fields")
    context = {"form": form, "custom_field": custom, "tab": "fields"}
    return render(request, "customers/custom_field_form.html", context)
