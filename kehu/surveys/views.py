"""Survey pages: the list, the builder, invitations, results, the rep's phone interview and the
respondent's public page (no sign-in)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kehu.core.access import (
    can_export,
    can_log_contact,
    can_manage_accounts,
    can_read_survey_results,
    can_run_surveys,
    require,
)
from kehu.core.exceptions import Conflict
from kehu.core.http import AuthenticatedRequest, client_ip
from kehu.customers.fields import Group
from kehu.customers.models import Customer
from kehu.customers.segments import segment_customers, segment_get_for_user, segments_visible_to
from kehu.customers.selectors import customer_get_for_user, customers_visible_to, field_specs_for
from kehu.exports.models import ExportJob
from kehu.exports.services import export_responses_request
from kehu.intake.ratelimit import rate_limit_hit
from kehu.surveys import selectors, services
from kehu.surveys.links import LinkProblem
from kehu.surveys.models import Question, SatisfactionTrigger, Survey, TriggerEvent

ANSWER_LIMIT = 30
ANSWER_WINDOW = 600
MAX_INVITES = 5000

LINK_PROBLEMS = {
    "used": gettext_lazy("This link has been used already. Thank you, we have your answers."),
    "expired": gettext_lazy("This survey has ended; the link no longer works."),
    "closed": gettext_lazy("This survey is closed."),
    "invalid": gettext_lazy("This link is not valid."),
}


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"": list(exc.messages)}


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    for field, problems in _errors(exc).items():
        for problem in problems:
            messages.error(
                request, f"{field}: {problem}" if field and field != "__all__" else problem
            )


# --- the list and the builder -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def survey_list(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        try:
            survey = services.survey_save(
                user=user,
                data={
                    "title_zh": request.POST.get("title_zh", ""),
                    "title_en": request.POST.get("title_en", ""),
                    "intro_zh": request.POST.get("intro_zh", ""),
                    "intro_en": request.POST.get("intro_en", ""),
                    "kind": request.POST.get("kind", ""),
                },
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
            return redirect("surveys:list")
        return redirect("surveys:detail", survey.pk)
    surveys = selectors.surveys_for_user(user)
    if not (can_read_survey_results(user) or can_log_contact(user)):
        raise PermissionDenied
    return render(
        request,
        "surveys/survey_list.html",
        {
            "surveys": surveys[:200],
            "can_run": can_run_surveys(user),
            "can_choose_satisfaction": can_manage_accounts(user),
            "kinds": Survey.Kind.choices,
        },
    )


def _archive_fields() -> list[tuple[str, str]]:
    specs = field_specs_for(Customer.Kind.PERSON)
    return [
        (code, f"{spec.label}{' 🔒' if spec.sensitive else ''}")
        for code, spec in specs.items()
        if spec.group != Group.ARCHIVE and spec.type in set().union(*services.FILLS.values())
    ]


def _question_data(post: Any) -> dict[str, Any]:
    choices = [line for line in post.get("choices", "").splitlines() if line.strip()]
    data: dict[str, Any] = {
        "kind": post.get("kind", ""),
        "text_zh": post.get("text_zh", ""),
        "text_en": post.get("text_en", ""),
        "section_zh": post.get("section_zh", ""),
        "section_en": post.get("section_en", ""),
        "required": post.get("required") == "on",
        "choices": choices,
        "archive_field": post.get("archive_field", ""),
    }
    if post.get("show_if_question"):
        values = [v.strip() for v in post.get("show_if_values", "").split(",") if v.strip()]
        data["show_if"] = {"question": int(post["show_if_question"]), "values": values}
    return data


@require_http_methods(["GET", "POST"])
def survey_detail(request: AuthenticatedRequest, survey_id: int) -> HttpResponse:
    user = request.user
    survey = selectors.survey_get_for_user(user=user, survey_id=survey_id)
    if not can_read_survey_results(user):
        return redirect("surveys:interview_pick", survey.pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            _act(request, survey, action)
        except ValidationError as exc:
            _flash_errors(request, exc)
        except (Conflict, PermissionDenied) as exc:
            messages.error(request, str(exc) or _("You may not do this."))
        return redirect("surveys:detail", survey.pk)
    questions = selectors.questions_of(survey)
    public_url = ""
    if survey.public_key and survey.status == Survey.Status.PUBLISHED:
        public_url = request.build_absolute_uri(f"/s/a/{survey.public_key}/")
    return render(
        request,
        "surveys/survey_detail.html",
        {
            "survey": survey,
            "questions": questions,
            "choice_questions": [q for q in questions if q.kind in services.CHOICE_KINDS],
            "can_run": can_run_surveys(user),
            "kinds": Question.Kind.choices,
            "archive_fields": _archive_fields(),
            "segments": segments_visible_to(user) if can_run_surveys(user) else [],
            "invitations": survey.invitations.count(),
            "links": [
                (i, services.invitation_url(i, base_url=request.build_absolute_uri("/")))
                for i in survey.invitations.select_related("customer")[:50]
            ]
            if can_run_surveys(user)
            else [],
            "public_url": public_url,
        },
    )


def _act(request: AuthenticatedRequest, survey: Survey, action: str) -> None:
    user = request.user
    base_url = request.build_absolute_uri("/")
    if action == "question":
        services.question_save(user=user, survey=survey, data=_question_data(request.POST))
        messages.success(request, _("Question added."))
    elif action == "delete_question":
        question = survey.questions.filter(pk=request.POST.get("question") or 0).first()
        if question is None:
            raise Http404
        services.question_delete(user=user, question=question)
    elif action == "publish":
        services.survey_publish(user=user, survey=survey)
        messages.success(request, _("Published: the survey is open for answers."))
    elif action == "close":
        services.survey_close(user=user, survey=survey)
    elif action == "new_version":
        copy = services.survey_new_version(user=user, survey=survey)
        messages.success(request, _("Version %(n)s is a draft.") % {"n": copy.version})
    elif action == "invite":
        require(user, can_run_surveys, services.RUN_REFUSED)
        customers: list[Customer] = []
        if request.POST.get("segment"):
            segment = segment_get_for_user(user=user, segment_id=int(request.POST["segment"]))
            customers = list(segment_customers(user=user, segment=segment)[:MAX_INVITES])
        ids = [
            int(i)
            for i in request.POST.get("customer_ids", "").replace(",", " ").split()
            if i.isdigit()
        ]
        if ids:
            customers += list(customers_visible_to(user).filter(pk__in=ids[:MAX_INVITES]))
        made = services.invitations_create(
            user=user,
            survey=survey,
            customers=customers,
            language=request.POST.get("language", "zh-hans"),
        )
        messages.success(request, _("%(n)s customers invited.") % {"n": len(made)})
    elif action == "send":
        sent = services.invitations_send(user=user, survey=survey, base_url=base_url)
        messages.success(request, _("%(n)s invitations sent by e-mail.") % {"n": sent})
    elif action == "remind":
        sent = services.survey_remind(user=user, survey=survey, base_url=base_url)
        messages.success(request, _("%(n)s reminders sent.") % {"n": sent})
    else:
        raise ValidationError(_("Unknown action."))


@require_GET
def survey_results(request: AuthenticatedRequest, survey_id: int) -> HttpResponse:
    user = request.user
    require(user, can_read_survey_results)
    survey = selectors.survey_get_for_user(user=user, survey_id=survey_id)
    results = selectors.survey_results(user=user, survey=survey)
    questions = [r.question for r in results.questions]
    crosstab = None
    dimension = request.GET.get("by", "grade")
    asked = request.GET.get("question")
    chosen = next((q for q in questions if str(q.pk) == asked), None)
    if chosen is None:
        chosen = next((q for q in questions if q.kind != Question.Kind.TEXT), None)
    if (
        chosen is not None
        and dimension in selectors.DIMENSIONS
        and survey.kind != Survey.Kind.MARKET
    ):
        crosstab = selectors.answers_crosstab(
            user=user, survey=survey, question=chosen, dimension=dimension
        )
    charts = {str(r.question.pk): r.chart() for r in results.questions if r.distribution}
    period = request.GET.get("period", "month")
    if period not in selectors.PERIODS:
        period = "month"
    trends = selectors.score_trends(user=user, survey=survey, period=period)
    return render(
        request,
        "surveys/survey_results.html",
        {
            "survey": survey,
            "results": results,
            "charts": charts,
            "trends": {str(pk): trend.chart() for pk, trend in trends.items()},
            "period": period,
            "periods": selectors.period_labels(),
            "crosstab": crosstab,
            "chosen": chosen,
            "dimension": dimension,
            "dimensions": selectors.dimension_labels(),
            "responses": selectors.responses_for_user(user=user, survey=survey)[:50],
            "can_export": can_export(user),
            "formats": ExportJob.Format.choices,
        },
    )


@require_POST
def survey_export(request: AuthenticatedRequest, survey_id: int) -> HttpResponse:
    """The survey's responses to a CSV or XLSX file, through the exports (masking, audit)."""
    user = request.user
    require(user, can_read_survey_results)
    survey = selectors.survey_get_for_user(user=user, survey_id=survey_id)
    try:
        job = export_responses_request(
            user=user,
            survey=survey,
            format=request.POST.get("format", ""),
            ip_address=client_ip(request),
        )
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect("surveys:results", survey.pk)
    if job.status == ExportJob.Status.FAILED:
        messages.error(request, job.error)
    elif job.status == ExportJob.Status.DONE:
        messages.success(request, _("Your export is ready."))
    else:
        messages.info(request, _("Your export is large; it is being written in the background."))
    return redirect("exports:list")


# --- satisfaction surveys after an event ------------------------------------------------------


@require_http_methods(["GET", "POST"])
def satisfaction_triggers(request: AuthenticatedRequest) -> HttpResponse:
    """Administrators choose the satisfaction survey sent after each event, and how often."""
    user = request.user
    require(user, can_manage_accounts)
    if request.method == "POST":
        survey_id = request.POST.get("survey", "")
        every_days = request.POST.get("every_days", "")
        try:
            if not every_days.isdigit():
                raise ValidationError({"every_days": [_("Enter a whole number of days.")]})
            services.satisfaction_trigger_save(
                user=user,
                event=request.POST.get("event", ""),
                survey_id=int(survey_id) if survey_id.isdigit() else None,
                every_days=int(every_days),
                is_active=request.POST.get("is_active") == "on",
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("Saved."))
        return redirect("surveys:satisfaction")
    triggers = {t.event: t for t in SatisfactionTrigger.objects.select_related("survey")}
    return render(
        request,
        "surveys/satisfaction_triggers.html",
        {
            "events": [(code, label, triggers.get(code)) for code, label in TriggerEvent.choices],
            "surveys": Survey.objects.filter(kind=Survey.Kind.SATISFACTION).exclude(
                status=Survey.Status.CLOSED
            ),
        },
    )


# --- the rep's phone interview ----------------------------------------------------------------


@require_GET
def interview_pick(request: AuthenticatedRequest, survey_id: int) -> HttpResponse:
    user = request.user
    require(user, can_log_contact)
    survey = selectors.survey_get_for_user(user=user, survey_id=survey_id)
    q = request.GET.get("q", "").strip()
    customers = customers_visible_to(user).filter(status__in=Customer.LIVE_STATUSES)
    if q:
        customers = customers.filter(name__icontains=q)
    return render(
        request,
        "surveys/interview_pick.html",
        {"survey": survey, "customers": customers.order_by("name")[:50], "q": q},
    )


@require_http_methods(["GET", "POST"])
def interview(request: AuthenticatedRequest, survey_id: int, customer_id: int) -> HttpResponse:
    """A rep reads the questions on the phone and types the customer's answers."""
    user = request.user
    require(user, can_log_contact)
    survey = selectors.survey_get_for_user(user=user, survey_id=survey_id)
    customer = customer_get_for_user(user=user, customer_id=customer_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.response_submit(
                survey=survey,
                user=user,
                customer=customer,
                answers=_answers_from(request.POST, survey),
                consent=request.POST.get("consent") == "on",
                language=translation.get_language() or "zh-hans",
            )
        except ValidationError as exc:
            errors = _errors(exc)
        except Conflict as exc:
            messages.error(request, str(exc))
            return redirect("customers:detail", customer.pk)
        else:
            messages.success(request, _("The answers are saved on the customer's timeline."))
            return redirect("customers:detail", customer.pk)
    return render(
        request,
        "surveys/interview.html",
        _form_context(survey, request.POST if request.method == "POST" else None, errors)
        | {"customer": customer},
        status=400 if errors else 200,
    )


# --- the respondent's page --------------------------------------------------------------------


def _answers_from(post: Any, survey: Survey) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in survey.questions.all():
        name = f"q{question.pk}"
        if question.kind == Question.Kind.MULTIPLE:
            answers[str(question.pk)] = post.getlist(name)
        else:
            answers[str(question.pk)] = post.get(name, "")
    return answers


def _form_context(survey: Survey, post: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    questions = selectors.questions_of(survey)
    sensitive = {
        code for code, spec in field_specs_for(Customer.Kind.PERSON).items() if spec.sensitive
    }
    rows = []
    section = None
    for question in questions:
        name = f"q{question.pk}"
        given = post.getlist(name) if post is not None else []
        rows.append(
            {
                "q": question,
                "name": name,
                "new_section": question.section if question.section != section else "",
                "given": given,
                "errors": errors.get(name, []),
                "options": _options(question),
            }
        )
        section = question.section
    return {
        "survey": survey,
        "rows": rows,
        "asks_sensitive": any(q.archive_field in sensitive for q in questions),
        "has_errors": bool(errors),
    }


def _options(question: Question) -> list[tuple[str, str]]:
    if question.choices:
        return [(c["value"], question.choice_label(c["value"])) for c in question.choices]
    low_high = services.RANGES.get(question.kind)
    if low_high:
        return [(str(i), str(i)) for i in range(low_high[0], low_high[1] + 1)]
    return []


def _public(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "surveys/public_answer.html", context, status=status)


def _limited(request: HttpRequest) -> bool:
    return not rate_limit_hit(
        scope="survey-answer", key=client_ip(request), limit=ANSWER_LIMIT, window=ANSWER_WINDOW
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def answer_public(request: HttpRequest, token: str) -> HttpResponse:
    """``/s/<token>/``: the customer answers their personal survey, once, without signing in."""
    if _limited(request):
        return _public(
            request,
            {"problem": _("Too many requests from your network. Please try again later.")},
            429,
        )
    try:
        invitation = services.invitation_for_token(token)
    except LinkProblem as problem:
        status = 404 if problem.reason == "invalid" else 410
        return _public(request, {"problem": str(LINK_PROBLEMS[problem.reason])}, status)
    with translation.override(invitation.language):
        return _answer_page(request, invitation.survey, token=token)


@login_not_required
@require_http_methods(["GET", "POST"])
def answer_anonymous(request: HttpRequest, public_key: str) -> HttpResponse:
    """``/s/a/<key>/``: anyone answers a market survey, anonymously."""
    if _limited(request):
        return _public(
            request,
            {"problem": _("Too many requests from your network. Please try again later.")},
            429,
        )
    survey = (
        Survey.objects.filter(public_key=public_key, kind=Survey.Kind.MARKET)
        .exclude(public_key="")
        .first()
    )
    if survey is None:
        return _public(request, {"problem": str(LINK_PROBLEMS["invalid"])}, 404)
    if survey.status != Survey.Status.PUBLISHED:
        return _public(request, {"problem": str(LINK_PROBLEMS["closed"])}, 410)
    return _answer_page(request, survey, token=None)


def _answer_page(request: HttpRequest, survey: Survey, *, token: str | None) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.response_submit(
                survey=survey,
                token=token,
                answers=_answers_from(request.POST, survey),
                consent=request.POST.get("consent") == "on",
                language=translation.get_language() or "zh-hans",
            )
        except LinkProblem as problem:
            return _public(request, {"problem": str(LINK_PROBLEMS[problem.reason])}, 410)
        except Conflict:
            return _public(request, {"problem": str(LINK_PROBLEMS["expired"])}, 410)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            return _public(request, {"thanks": True, "survey": survey})
    context = _form_context(survey, request.POST if request.method == "POST" else None, errors)
    return _public(request, context, 400 if errors else 200)
