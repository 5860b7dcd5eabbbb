"""The loyalty pages: the programme overview, the ledger, the settings, care plans and the care
report; and the posts of the cards on other pages (enrol, redeem, care task done)."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.core.access import can_manage_loyalty, require
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest, flash_errors, next_url
from kehu.customers.selectors import customer_get_for_user
from kehu.loyalty import care, member_import, redemption, selectors, services
from kehu.loyalty.forms import (
    CarePlanForm,
    LedgerFilterForm,
    LevelFormSet,
    PeriodForm,
    ProgrammeForm,
)
from kehu.loyalty.models import CarePlan, Level
from kehu.sales.selectors import order_get_for_user

PAGE_SIZE = 50


def _errors(exc: ValidationError | Conflict | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(getattr(exc, "message", exc))


def overview_view(request: AuthenticatedRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    start = end = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    o = selectors.overview(user=request.user, today=timezone.localdate(), start=start, end=end)
    chart = {
        "levels": [lv.name for lv, _n in o.levels],
        "members": [n for _lv, n in o.levels],
        "months": o.months,
        "series": {
            "earned": {"name": _("Earned"), "data": o.earned},
            "redeemed": {"name": _("Redeemed"), "data": o.redeemed},
            "expired": {"name": _("Expired"), "data": o.expired},
        },
        "membersName": _("Members"),
    }
    context = {
        "o": o,
        "form": form,
        "chart": chart,
        "can_manage": can_manage_loyalty(request.user),
    }
    return render(request, "loyalty/overview.html", context)


def ledger_view(request: AuthenticatedRequest) -> HttpResponse:
    form = LedgerFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "kind": data["kind"] or "",
            "level_id": data["level"].pk if data["level"] else None,
            "since": data["since"],
            "until": data["until"],
            "customer_id": data["customer"],
        }
    rows = selectors.entries_visible_to(request.user, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "loyalty/ledger.html", {"form": form, "page": page})


@require_http_methods(["GET", "POST"])
def settings_view(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, can_manage_loyalty, services.MANAGE_REFUSED)
    programme = services.programme_get()
    form = ProgrammeForm(request.POST or None, instance=services.programme_get(), prefix="p")
    levels = LevelFormSet(request.POST or None, queryset=Level.objects.order_by("rank"), prefix="l")
    if request.method == "POST" and form.is_valid() and levels.is_valid():
        try:
            with transaction.atomic():
                services.programme_update(
                    user=request.user,
                    data={f: form.cleaned_data[f] for f in services.PROGRAMME_FIELDS},
                )
                for level_form in levels.forms:
                    if level_form.has_changed():
                        services.level_save(
                            user=request.user,
                            level=level_form.instance if level_form.instance.pk else None,
                            data={f: level_form.cleaned_data[f] for f in services.LEVEL_FIELDS},
                        )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("Programme saved."))
            return redirect("loyalty:settings")
    context = {"form": form, "levels": levels, "programme": programme}
    return render(request, "loyalty/settings.html", context)


@require_http_methods(["GET", "POST"])
def care_view(request: AuthenticatedRequest) -> HttpResponse:
    """Care plans (kept by the programme's managers) and the care report (every user, over the
    customers they see)."""
    can_manage = can_manage_loyalty(request.user)
    plan_form = CarePlanForm(request.POST or None, user=request.user) if can_manage else None
    if request.method == "POST":
        require(request.user, can_manage_loyalty, care.MANAGE_REFUSED)
        assert plan_form is not None  # noqa: S101 (a manager has the form)
        if plan_form.is_valid():
            try:
                care.care_plan_save(user=request.user, data=plan_form.cleaned_data)
            except ValidationError as exc:
                messages.error(request, _errors(exc))
            else:
                messages.success(request, _("Care plan saved."))
                return redirect("loyalty:care")
    period = PeriodForm(request.GET or None)
    end = timezone.localdate() + timedelta(days=60)
    start = end - timedelta(days=150)
    if period.is_valid():
        start = period.cleaned_data["start"] or start
        end = period.cleaned_data["end"] or end
    context = {
        "plans": CarePlan.objects.select_related("festival", "level", "segment"),
        "plan_form": plan_form,
        "period": period,
        "report": selectors.care_report(user=request.user, start=start, end=end),
        "start": start,
        "end": end,
    }
    return render(request, "loyalty/care.html", context)


@require_POST
def enrol_view(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    try:
        member = services.member_enrol(user=request.user, customer=customer)
    except Conflict as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Enrolled: card %(card)s.") % {"card": member.card_number})
    return redirect(customer.get_absolute_url() + "#member-card")


@require_POST
def redeem_view(request: AuthenticatedRequest, order_id: int) -> HttpResponse:
    order = order_get_for_user(user=request.user, order_id=order_id)
    try:
        points = int(request.POST.get("points", "0"))
        payment = redemption.order_points_redeem(user=request.user, order=order, points=points)
    except (ValueError, ValidationError, Conflict) as exc:
        messages.error(
            request,
            _errors(exc) if not isinstance(exc, ValueError) else _("Enter a number of points."),
        )
    else:
        messages.success(
            request,
            _("%(points)s points paid %(amount)s.") % {"points": points, "amount": payment.amount},
        )
    return redirect(reverse("sales:order_detail", args=[order.pk]))


@require_POST
def care_done_view(request: AuthenticatedRequest, task_id: int) -> HttpResponse:
    care_task = selectors.care_task_for_task(user=request.user, task_id=task_id)
    try:
        care.care_task_done(
            user=request.user,
            care_task=care_task,
            note=request.POST.get("note", "")[:2000],
            send=request.POST.get("send") == "on",
        )
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("Done, and logged on the customer's timeline."))
    return redirect(next_url(request, reverse("interactions:my_day")))


@require_http_methods(["GET", "POST"])
def member_import_view(request: AuthenticatedRequest) -> HttpResponse:
    """Import memberships from a file: upload and the dry run, then the import of the same
    file (``token``). Programme managers only."""
    require(request.user, can_manage_loyalty, services.MANAGE_REFUSED)
    report: member_import.Report | None = None
    errors: list[str] = []
    if request.method == "POST":
        token, name = request.POST.get("token", ""), request.POST.get("name", "")[:255]
        upload = request.FILES.get("file")
        try:
            if upload is not None:
                report = member_import.members_import_upload(
                    user=request.user, upload=upload, name=upload.name or ""
                )
            elif not token:
                raise ValidationError({"file": [_("Choose a file.")]})
            elif request.POST.get("action") == "import":
                report = member_import.members_import_run(user=request.user, token=token, name=name)
            else:
                report = member_import.members_import_check(
                    user=request.user, token=token, name=name
                )
        except ValidationError as exc:
            errors = exc.messages
    context = {
        "report": report,
        "errors": errors,
        "fields": [member_import.field_label(code) for code in member_import.TEMPLATE_COLUMNS],
        "levels": Level.objects.order_by("rank"),
    }
    return render(request, "loyalty/member_import.html", context)
