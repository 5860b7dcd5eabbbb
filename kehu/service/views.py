# Over 500 lines: waits for issue #16's access and HTTP-edge changes (branch refa) in this
# app; then a views/ package by screen (cases, ratings and feedback, settings).
"""Service in the browser: the agent's queue, cases, feedback, the product report, the SLA
settings, and the customer's public satisfaction page. Cases and customers come through scoped
selectors (404 outside the user's scope); writes go through ``kehu.service.services``."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import (
    can_manage_accounts,
    can_record_feedback,
    can_work_cases,
    require,
    require_account_admin,
    require_case_worker,
)
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest, client_ip
from kehu.core.pagination import CappedPaginator
from kehu.customers.forms import apply_service_errors
from kehu.customers.selectors import customer_get_for_user
from kehu.intake.ratelimit import rate_limit_hit
from kehu.service import selectors, services
from kehu.service.forms import (
    AssignForm,
    CaseFilterForm,
    CaseForm,
    EscalateForm,
    FeedbackFilterForm,
    FeedbackForm,
    PriorityForm,
    RatingForm,
    ReplyForm,
    ServiceSettingsForm,
    SlaForm,
    SpecialDayForm,
    TransitionForm,
)
from kehu.service.models import Case
from kehu.service.ratinglink import RatingLinkProblem, rating_token

PAGE_SIZE = 50
# The public rating page: at most this many submissions per client address per window.
RATING_LIMIT = 20
RATING_WINDOW = 600


# --- the queue and the case list --------------------------------------------------------------


@require_GET
def case_queue(request: AuthenticatedRequest) -> HttpResponse:
    scope = request.GET.get("scope", "mine")
    if scope not in selectors.QUEUE_SCOPES:
        scope = "mine"
    queue = selectors.case_queue(user=request.user, scope=scope)
    context = {
        "queue": queue,
        "scope": scope,
        "now": timezone.now(),
        "can_work": can_work_cases(request.user),
        "can_edit_settings": can_manage_accounts(request.user),
    }
    return render(request, "service/case_queue.html", context)


@require_GET
def case_list(request: AuthenticatedRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    filters = selectors.CaseFilters(
        q=values.get("q", ""),
        status=values.get("status", ""),
        type=values.get("type", ""),
        priority=values.get("priority", ""),
    )
    cases = selectors.case_list(user=request.user, filters=filters)
    page = CappedPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_edit_settings": can_manage_accounts(request.user),
    }
    return render(request, "service/case_list.html", context)


# --- one case ---------------------------------------------------------------------------------


def _case_context(request: AuthenticatedRequest, case: Case, **extra: Any) -> dict[str, Any]:
    rating = selectors.case_rating_of(case)
    can_work = can_work_cases(request.user)
    hours = selectors.service_settings_get()
    now = timezone.now()
    rating_url = ""
    if can_work and rating is None and case.rating_nonce and case.status in services.RATEABLE:
        token = rating_token(case_id=case.pk, nonce=case.rating_nonce)
        rating_url = request.build_absolute_uri(reverse("public_rating:rate", args=[token]))
    context: dict[str, Any] = {
        "case": case,
        "events": list(selectors.case_events(case)),
        "rating": rating,
        "rating_url": rating_url,
        "can_work": can_work,
        "moves": [
            (status, Case.Status(status).label) for status in services.TRANSITIONS[case.status]
        ],
        "sla_state": selectors.sla_state(
            case,
            now=now,
            warn_before=timedelta(minutes=hours.warn_before_minutes),
        ),
        "transition_form": TransitionForm(
            initial={"resolution": case.resolution, "customer_summary": case.customer_summary}
        ),
        "reply_form": ReplyForm(addresses=services.case_customer_addresses(case)),
        "escalate_form": EscalateForm(),
        "priority_form": PriorityForm(initial={"priority": case.priority}),
        "emails": list(case.emails.select_related("by")),
        "now": now,
        "assign_form": AssignForm(initial={"assigned_to": case.assigned_to_id or ""}),
        "rating_form": RatingForm(),
    }
    context.update(extra)
    return context


@require_GET
def case_detail(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    return render(request, "service/case_detail.html", _case_context(request, case))


def _case_again(
    request: AuthenticatedRequest, case: Case, status: int = 400, **forms: Any
) -> HttpResponse:
    return render(
        request, "service/case_detail.html", _case_context(request, case, **forms), status=status
    )


@require_POST
def case_transition(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _case_again(request, case, transition_form=form)
    try:
        moved = services.case_transition(
            user=request.user,
            case=case,
            to_status=form.cleaned_data["status"],
            resolution=form.cleaned_data["resolution"],
            note=form.cleaned_data["note"],
            customer_summary=form.cleaned_data["customer_summary"],
        )
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(case)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _case_again(request, case, transition_form=form, show_transition=True)
    messages.success(
        request, _("The case is now “%(status)s”.") % {"status": moved.get_status_display()}
    )
    return redirect(moved)


@require_POST
def case_assign(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _case_again(request, case, assign_form=form)
    try:
        services.case_assign(user=request.user, case=case, assignee=form.assignee())
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _case_again(request, case, assign_form=form)
    else:
        messages.success(request, _("Assignment saved."))
    return redirect(case)


def _desk_action(
    request: AuthenticatedRequest, case: Case, form: Any, name: str, action: Any, done: str
) -> HttpResponse:
    """Run a desk action (reply, escalate, priority) from its form on the case page."""
    require_case_worker(request.user)
    if not form.is_valid():
        return _case_again(request, case, status=422, **{name: form})
    try:
        action(form.cleaned_data)
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _case_again(request, case, status=422, **{name: form})
    else:
        messages.success(request, done)
    return redirect(case)


@require_POST
def case_reply(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    form = ReplyForm(request.POST, addresses=services.case_customer_addresses(case))
    return _desk_action(
        request,
        case,
        form,
        "reply_form",
        lambda data: services.case_reply(
            user=request.user, case=case, body=data["body"], to=data["to"]
        ),
        _("The reply was sent to the customer."),
    )


@require_POST
def case_escalate(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    return _desk_action(
        request,
        case,
        EscalateForm(request.POST),
        "escalate_form",
        lambda data: services.case_escalate_by_hand(
            user=request.user, case=case, reason=data["reason"]
        ),
        _("The case was escalated."),
    )


@require_POST
def case_priority(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    return _desk_action(
        request,
        case,
        PriorityForm(request.POST),
        "priority_form",
        lambda data: services.case_priority_change(
            user=request.user, case=case, priority=data["priority"], reason=data["reason"]
        ),
        _("Priority changed."),
    )


@require_POST
def case_rate(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_for_user(user=request.user, case_id=case_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _case_again(request, case, rating_form=form)
    try:
        services.case_rate(
            user=request.user,
            case=case,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
        )
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _case_again(request, case, rating_form=form)
    else:
        messages.success(request, _("Satisfaction recorded."))
    return redirect(case)


@require_http_methods(["GET", "POST"])
def case_create(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    require_case_worker(request.user)
    form = CaseForm(request.POST or None, customer=customer, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = services.case_open(
                    user=request.user, customer=customer, **form.service_values()
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
                return redirect(case)
        status = 400
    return render(
        request, "service/case_form.html", {"form": form, "customer": customer}, status=status
    )


# --- feedback ---------------------------------------------------------------------------------


@require_GET
def feedback_list(request: AuthenticatedRequest) -> HttpResponse:
    form = FeedbackFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    filters = selectors.FeedbackFilters(
        q=values.get("q", ""),
        kind=values.get("kind", ""),
        question_type=values.get("question_type", ""),
        product=values.get("product", ""),
    )
    rows = selectors.feedback_list(user=request.user, filters=filters)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_edit_settings": can_manage_accounts(request.user),
    }
    return render(request, "service/feedback_list.html", context)


@require_http_methods(["GET", "POST"])
def feedback_create(request: AuthenticatedRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    require(request.user, can_record_feedback)
    form = FeedbackForm(request.POST or None, initial={"kind": request.GET.get("kind", "")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.feedback_record(
                    user=request.user, customer=customer, **form.service_values()
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Feedback recorded."))
                return redirect(f"{customer.get_absolute_url()}#service-feedback")
        status = 400
    return render(
        request,
        "service/feedback_form.html",
        {"form": form, "customer": customer},
        status=status,
    )


@require_GET
def product_report(request: AuthenticatedRequest) -> HttpResponse:
    rows = selectors.product_report(user=request.user)
    context = {"rows": rows, "can_edit_settings": can_manage_accounts(request.user)}
    return render(request, "service/product_report.html", context)


# --- settings ---------------------------------------------------------------------------------


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


# --- the customer's public satisfaction page --------------------------------------------------

LINK_PROBLEMS = {
    "used": gettext_lazy("This link has been used already. Thank you, we have your answer."),
    "expired": gettext_lazy("This link has expired."),
    "invalid": gettext_lazy("This link is not valid."),
}


@login_not_required
@require_http_methods(["GET", "POST"])
def rating_public(request: HttpRequest, token: str) -> HttpResponse:
    """``/r/<token>/``: the customer rates a resolved case, once, without signing in."""
    if not rate_limit_hit(
        scope="case-rating", key=client_ip(request), limit=RATING_LIMIT, window=RATING_WINDOW
    ):
        return render(
            request,
            "service/rating_public.html",
            {"problem": _("Too many requests from your network. Please try again later.")},
            status=429,
        )
    try:
        case = services.case_for_rating_token(token)
    except RatingLinkProblem as problem:
        status = 410 if problem.reason in ("used", "expired") else 404
        return render(
            request,
            "service/rating_public.html",
            {"problem": str(LINK_PROBLEMS[problem.reason])},
            status=status,
        )
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_rate_by_token(
                token=token,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except RatingLinkProblem as problem:
            return render(
                request,
                "service/rating_public.html",
                {"problem": str(LINK_PROBLEMS[problem.reason])},
                status=410,
            )
        except (ValidationError, Conflict):
            form.add_error(None, _("Your answer could not be saved. Please try again."))
        else:
            return render(request, "service/rating_public.html", {"thanks": True})
    return render(
        request,
        "service/rating_public.html",
        {"case": case, "form": form},
        status=400 if request.method == "POST" else 200,
    )
