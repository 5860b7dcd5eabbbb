"""Pages of privacy rights: the request register, one request and its steps, a customer's
consents, retention rules and review. Archive administrators and admins (others: 404)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import can_handle_privacy_requests
from kehu.core.encryption import decrypted_chunks
from kehu.core.http import AuthenticatedRequest, client_ip_or_none, download_response
from kehu.customers.forms import apply_service_errors
from kehu.customers.selectors import field_specs_for
from kehu.privacy import selectors, services
from kehu.privacy.forms import (
    ConsentForm,
    CorrectionForm,
    RequestFilterForm,
    RequestForm,
    RequestUpdateForm,
    RuleForm,
    WithdrawForm,
)
from kehu.privacy.models import RequestKind, RetentionFlag
from kehu.search.selectors import customer_search


def _require(request: AuthenticatedRequest) -> None:
    if not can_handle_privacy_requests(request.user):
        raise Http404


@require_GET
def request_list(request: AuthenticatedRequest) -> HttpResponse:
    _require(request)
    form = RequestFilterForm(request.GET or None)
    values = form.values() if form.is_bound else {}
    rows = selectors.privacy_requests(
        user=request.user,
        status=values.get("status") or "",
        kind=values.get("kind") or "",
        overdue=bool(values.get("overdue")),
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "today": timezone.localdate(),
        "days": settings.KEHU_PRIVACY_REQUEST_DAYS,
    }
    return render(request, "privacy/request_list.html", context)


@require_http_methods(["GET", "POST"])
def request_new(request: AuthenticatedRequest) -> HttpResponse:
    """Find the person (name, phone, ID number — the archive's search), then record."""
    _require(request)
    q = request.GET.get("q", "").strip()
    customer = None
    customer_id = request.GET.get("customer") or request.POST.get("customer")
    if customer_id and str(customer_id).isdigit():
        customer = selectors.customer_for_privacy(user=request.user, customer_id=int(customer_id))
    result = customer_search(user=request.user, q=q) if q and customer is None else None
    initial = {"received_on": timezone.localdate(), "language": "zh-hans"}
    form = RequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and customer is not None and form.is_valid():
        try:
            dsr = services.privacy_request_create(
                user=request.user,
                customer=customer,
                ip_address=client_ip_or_none(request),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The request is recorded."))
            return redirect("privacy:detail", dsr.pk)
    context = {"form": form, "q": q, "result": result, "customer": customer}
    return render(request, "privacy/request_new.html", context)


def _field_choices(kind: str) -> list[tuple[str, str]]:
    return [(code, str(spec.label)) for code, spec in field_specs_for(kind).items()]


@require_GET
def request_detail(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    _require(request)
    dsr = selectors.privacy_request_get(user=request.user, request_id=request_id)
    return _detail(request, dsr)


def _detail(request: AuthenticatedRequest, dsr: Any, **forms: Any) -> HttpResponse:
    update_form = forms.get("update_form") or RequestUpdateForm(
        initial={"status": dsr.status, "handler": dsr.handler_id, "outcome": dsr.outcome}
    )
    context = {
        "dsr": dsr,
        "update_form": update_form,
        "correction_form": forms.get("correction_form")
        or CorrectionForm(field_choices=_field_choices(dsr.customer.kind)),
        "withdraw_form": forms.get("withdraw_form") or WithdrawForm(),
        "erasure": selectors.erasure_of(dsr.customer),
        "consents": selectors.consent_states(dsr.customer),
        "Kind": RequestKind,
        "today": timezone.localdate(),
    }
    return render(request, "privacy/request_detail.html", context)


@require_POST
def request_update(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    _require(request)
    dsr = selectors.privacy_request_get(user=request.user, request_id=request_id)
    form = RequestUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.privacy_request_update(
                user=request.user,
                dsr=dsr,
                status=form.cleaned_data["status"],
                handler=form.cleaned_data["handler"],
                outcome=form.cleaned_data["outcome"],
                ip_address=client_ip_or_none(request),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("privacy:detail", dsr.pk)
    return _detail(request, dsr, update_form=form)


def _step(request: AuthenticatedRequest, request_id: int, action: Any, done: str) -> HttpResponse:
    _require(request)
    dsr = selectors.privacy_request_get(user=request.user, request_id=request_id)
    try:
        action(user=request.user, dsr=dsr, ip_address=client_ip_or_none(request))
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, done)
    return redirect("privacy:detail", dsr.pk)


@require_POST
def request_copy(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    return _step(request, request_id, services.privacy_copy_make, _("The copy is ready."))


@require_POST
def request_handed_over(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    return _step(request, request_id, services.privacy_copy_handed_over, _("The request is done."))


@require_POST
def request_erase(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    if request.POST.get("confirm") != "erase":
        messages.error(request, _("Tick the box to confirm the erasure."))
        return redirect("privacy:detail", request_id)
    return _step(
        request, request_id, services.privacy_erase, _("The person's data has been erased.")
    )


@require_GET
def request_copy_download(request: AuthenticatedRequest, request_id: int) -> FileResponse:
    _require(request)
    dsr = selectors.privacy_request_get(user=request.user, request_id=request_id)
    try:
        path = services.privacy_copy_open(
            user=request.user, dsr=dsr, ip_address=client_ip_or_none(request)
        )
    except ValidationError:
        raise Http404 from None
    return download_response(
        decrypted_chunks(path),
        filename=f"personal-data-{dsr.pk}.zip",
        content_type="application/zip",
    )


@require_POST
def request_correct(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    _require(request)
    dsr = selectors.privacy_request_get(user=request.user, request_id=request_id)
    form = CorrectionForm(request.POST, field_choices=_field_choices(dsr.customer.kind))
    if form.is_valid():
        try:
            services.privacy_correct(
                user=request.user,
                dsr=dsr,
                data=form.data_for_service(),
                forget_old_values=form.cleaned_data["forget_old_values"],
                ip_address=client_ip_or_none(request),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Corrected."))
            return redirect("privacy:detail", dsr.pk)
    return _detail(request, dsr, correction_form=form)


@require_POST
def request_withdraw(request: AuthenticatedRequest, request_id: int) -> HttpResponse:
    _require(request)
    dsr = selectors.privacy_request_get(user=request.user, request_id=request_id)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.privacy_withdraw(
                user=request.user,
                dsr=dsr,
                purposes=form.cleaned_data["purposes"],
                ip_address=client_ip_or_none(request),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Consent withdrawn."))
            return redirect("privacy:detail", dsr.pk)
    return _detail(request, dsr, withdraw_form=form)


@require_http_methods(["GET", "POST"])
def customer_consents(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    _require(request)
    customer = selectors.customer_for_privacy(user=request.user, customer_id=customer_id)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_record(
                user=request.user,
                customer=customer,
                ip_address=client_ip_or_none(request),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("privacy:consents", customer.pk)
    context = {
        "customer": customer,
        "form": form,
        "states": selectors.consent_states(customer),
        "history": selectors.consent_history(customer)[:200],
    }
    return render(request, "privacy/customer_consents.html", context)


@require_http_methods(["GET", "POST"])
def retention(request: AuthenticatedRequest) -> HttpResponse:
    _require(request)
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.retention_rule_save(
                user=request.user, ip_address=client_ip_or_none(request), **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The rule is saved."))
            return redirect("privacy:retention")
    context = {
        "form": form,
        "rules": selectors.retention_rules(user=request.user),
        "flags": selectors.retention_flags(user=request.user)[:500],
        "approved": selectors.retention_flags(
            user=request.user, status=RetentionFlag.Status.APPROVED
        ).count(),
        "runs": selectors.retention_runs(user=request.user),
    }
    return render(request, "privacy/retention.html", context)


@require_POST
def retention_rule_toggle(request: AuthenticatedRequest, rule_id: int) -> HttpResponse:
    _require(request)
    rule = selectors.retention_rule_get(user=request.user, rule_id=rule_id)
    services.retention_rule_save(
        user=request.user,
        rule=rule,
        name=rule.name,
        kind=rule.kind,
        months=rule.months,
        is_active=not rule.is_active,
        ip_address=client_ip_or_none(request),
    )
    return redirect("privacy:retention")


@require_POST
def retention_decide(request: AuthenticatedRequest) -> HttpResponse:
    _require(request)
    ids = [int(i) for i in request.POST.getlist("flag") if i.isdigit()]
    try:
        count = services.retention_decide(
            user=request.user,
            flag_ids=ids,
            approve=request.POST.get("decision") == "approve",
            ip_address=client_ip_or_none(request),
        )
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("%(n)s customers reviewed.") % {"n": count})
    return redirect("privacy:retention")


@require_POST
def retention_run(request: AuthenticatedRequest) -> HttpResponse:
    _require(request)
    run = services.retention_run(user=request.user, ip_address=client_ip_or_none(request))
    messages.success(
        request,
        _("Retention run: %(a)s anonymised, %(f)s flagged for review.")
        % {"a": run.anonymised, "f": run.flagged},
    )
    return redirect("privacy:retention")
