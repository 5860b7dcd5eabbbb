"""One case: its page, transitions, replies, rating, assignment, priority, escalation."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import (
    can_log_contact,
    can_work_cases,
    require_case_worker,
)
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest
from kehu.customers.forms import apply_service_errors
from kehu.customers.selectors import customer_get_for_user
from kehu.service import selectors, services
from kehu.service.forms import (
    AssignForm,
    CaseForm,
    EscalateForm,
    PriorityForm,
    RatingForm,
    ReplyForm,
    TransitionForm,
)
from kehu.service.models import Case
from kehu.service.ratinglink import rating_token
from kehu.surveys.selectors import phone_invitation_for_case


def _case_context(request: AuthenticatedRequest, case: Case, **extra: Any) -> dict[str, Any]:
    rating = selectors.case_rating_of(case)
    can_work = can_work_cases(request.user)
    hours = selectors.service_settings_get()
    now = timezone.now()
    rating_url = ""
    if can_work and rating is None and case.rating_nonce and case.status in services.RATEABLE:
        token = rating_token(case_id=case.pk, nonce=case.rating_nonce)
        rating_url = request.build_absolute_uri(reverse("public_rating:rate", args=[token]))
    phone_survey = None
    if case.status in services.RATEABLE and can_log_contact(request.user):
        phone_survey = phone_invitation_for_case(case.pk)
    context: dict[str, Any] = {
        "case": case,
        "phone_survey": phone_survey,
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
