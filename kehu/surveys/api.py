"""``/api/v1/surveys``: questionnaires, their questions, invitations, phone-interview responses,
results and cross-tabs. Marketers, archive administrators and admins build and send; leaders
read results; a rep enters a phone interview for a customer they see."""

from datetime import datetime
from typing import Any, Literal

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.core.access import (
    can_log_contact,
    can_manage_accounts,
    can_read_survey_results,
    can_run_surveys,
    require,
)
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest, client_ip
from kehu.core.pagination import KeysetPagination
from kehu.customers.selectors import customer_get_for_user, customers_visible_to
from kehu.exports.api import ExportOut
from kehu.exports.services import export_responses_request
from kehu.surveys import selectors, services
from kehu.surveys.models import (
    QuestionKind,
    SatisfactionTrigger,
    SurveyKind,
    SurveyStatus,
    TriggerEvent,
)

router = Router(tags=["surveys"])


class SurveyQuestionOut(Schema):
    id: int
    position: int
    kind: QuestionKind
    text_zh: str
    text_en: str
    section_zh: str
    section_en: str
    required: bool
    choices: list[dict[str, str]]
    show_if: dict[str, Any]
    archive_field: str


class SurveyOut(Schema):
    id: int
    title_zh: str
    title_en: str
    intro_zh: str
    intro_en: str
    kind: SurveyKind
    status: SurveyStatus
    version: int
    previous_id: int | None
    deadline: datetime | None
    published_at: datetime | None
    public_path: str | None
    questions: list[SurveyQuestionOut]

    @staticmethod
    def resolve_public_path(obj: Any) -> str | None:
        return f"/s/a/{obj.public_key}/" if obj.public_key else None

    @staticmethod
    def resolve_questions(obj: Any) -> list[Any]:
        return selectors.questions_of(obj)


ONE = {200: SurveyOut, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES}


class SurveyIn(Schema):
    title_zh: str = Field("", max_length=200)
    title_en: str = Field("", max_length=200)
    intro_zh: str = Field("", max_length=5000)
    intro_en: str = Field("", max_length=5000)
    kind: SurveyKind = SurveyKind.CUSTOMER
    deadline: datetime | None = None


class SurveyQuestionIn(Schema):
    kind: QuestionKind
    text_zh: str = Field("", max_length=300)
    text_en: str = Field("", max_length=300)
    section_zh: str = Field("", max_length=100)
    section_en: str = Field("", max_length=100)
    required: bool = False
    choices: list[Any] = Field(
        default_factory=list,
        description='`{"value", "zh", "en", "archive"}` objects or "中文|English|archive" lines.',
    )
    show_if: dict[str, Any] = Field(
        default_factory=dict, description='`{"question": <id>, "values": ["1"]}`'
    )
    archive_field: str = Field("", max_length=60, description="A field code, e.g. person.children")


class SurveyInvitationsIn(Schema):
    customer_ids: list[int] = Field(max_length=5000)
    language: str = Field("zh-hans", pattern="^(zh-hans|en)$")


class SurveyCountOut(Schema):
    count: int


class SurveyInterviewIn(Schema):
    customer_id: int
    answers: dict[str, Any] = Field(description="Question id → answer (a list for multiple).")
    consent: bool = Field(False, description="Consent to keep sensitive answers, given aloud.")


class SurveyResponseOut(Schema):
    id: int
    mode: str
    customer_id: int | None
    interaction_id: int | None
    submitted_at: datetime
    sensitive_consent: bool
    answers: dict[str, Any]

    @staticmethod
    def resolve_answers(obj: Any) -> dict[str, Any]:
        return {str(a.question_id): a.value for a in obj.answers.all()}


class SurveyQuestionResultOut(Schema):
    question_id: int
    answered: int
    distribution: list[tuple[str, int]]
    mean: float | None
    nps: float | None
    csat: float | None
    texts: list[str]


class SurveyResultsOut(Schema):
    invited: int
    answered_invitations: int
    responses: int
    response_rate: float | None
    questions: list[SurveyQuestionResultOut]


class SurveyCrossTabFilter(Schema):
    question: int | None = Field(None, description="Default: the first question with choices.")
    by: str = Field("grade", description="grade, tier, province or stage")


class SurveyCrossTabOut(Schema):
    rows: list[str]
    columns: list[str]
    cells: list[list[int]]
    totals: list[int]


def _runner(request: AuthenticatedRequest) -> Any:
    require(request.user, can_run_surveys, services.RUN_REFUSED)
    return request.user


def _survey(request: AuthenticatedRequest, survey_id: int) -> Any:
    return selectors.survey_get_for_user(user=request.user, survey_id=survey_id)


@router.get("/", response={200: list[SurveyOut], **ERROR_RESPONSES}, summary="Surveys")
@paginate(KeysetPagination)
def survey_list(request: AuthenticatedRequest) -> Any:
    return selectors.surveys_for_user(request.user).prefetch_related("questions").order_by("-id")


@router.post("/", response={201: SurveyOut, 422: ErrorBody, **ERROR_RESPONSES}, summary="Create")
def survey_create(request: AuthenticatedRequest, payload: SurveyIn) -> Status[Any]:
    survey = services.survey_save(user=_runner(request), data=payload.dict())
    return Status(201, survey)


@router.get("/{survey_id}", response=ONE, summary="A survey with its questions")
def survey_detail(request: AuthenticatedRequest, survey_id: int) -> Any:
    return _survey(request, survey_id)


@router.patch("/{survey_id}", response=ONE, summary="Change a draft")
def survey_update(request: AuthenticatedRequest, survey_id: int, payload: SurveyIn) -> Any:
    user = _runner(request)
    return services.survey_save(user=user, survey=_survey(request, survey_id), data=payload.dict())


@router.post("/{survey_id}/questions", response=ONE, summary="Add a question to a draft")
def question_add(request: AuthenticatedRequest, survey_id: int, payload: SurveyQuestionIn) -> Any:
    user = _runner(request)
    survey = _survey(request, survey_id)
    services.question_save(user=user, survey=survey, data=payload.dict())
    return survey


@router.post("/{survey_id}/publish", response=ONE, summary="Publish (freezes the version)")
def survey_publish(request: AuthenticatedRequest, survey_id: int) -> Any:
    user = _runner(request)
    return services.survey_publish(user=user, survey=_survey(request, survey_id))


@router.post("/{survey_id}/close", response=ONE, summary="Close for answers")
def survey_close(request: AuthenticatedRequest, survey_id: int) -> Any:
    user = _runner(request)
    return services.survey_close(user=user, survey=_survey(request, survey_id))


@router.post("/{survey_id}/versions", response=ONE, summary="A new draft version")
def survey_new_version(request: AuthenticatedRequest, survey_id: int) -> Any:
    user = _runner(request)
    return services.survey_new_version(user=user, survey=_survey(request, survey_id))


@router.post(
    "/{survey_id}/invitations",
    response={200: SurveyCountOut, 404: ErrorBody, 409: ErrorBody, **ERROR_RESPONSES},
    summary="Invite customers (one personal link each)",
)
def invitations_create(
    request: AuthenticatedRequest, survey_id: int, payload: SurveyInvitationsIn
) -> Any:
    user = _runner(request)
    survey = _survey(request, survey_id)
    customers = list(customers_visible_to(user).filter(pk__in=payload.customer_ids))
    made = services.invitations_create(
        user=user, survey=survey, customers=customers, language=payload.language
    )
    return {"count": len(made)}


@router.post(
    "/{survey_id}/send",
    response={200: SurveyCountOut, 404: ErrorBody, 409: ErrorBody, **ERROR_RESPONSES},
    summary="E-mail the links not sent yet",
)
def invitations_send(request: AuthenticatedRequest, survey_id: int) -> Any:
    user = _runner(request)
    base = request.build_absolute_uri("/")
    return {
        "count": services.invitations_send(
            user=user, survey=_survey(request, survey_id), base_url=base
        )
    }


@router.post(
    "/{survey_id}/remind",
    response={200: SurveyCountOut, 404: ErrorBody, 409: ErrorBody, **ERROR_RESPONSES},
    summary="Remind those who have not answered",
)
def survey_remind(request: AuthenticatedRequest, survey_id: int) -> Any:
    user = _runner(request)
    base = request.build_absolute_uri("/")
    return {
        "count": services.survey_remind(
            user=user, survey=_survey(request, survey_id), base_url=base
        )
    }


@router.get(
    "/{survey_id}/responses/",
    response={200: list[SurveyResponseOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="Responses (of customers you see, and anonymous ones)",
)
@paginate(KeysetPagination)
def response_list(request: AuthenticatedRequest, survey_id: int) -> Any:
    require(request.user, can_read_survey_results)
    survey = _survey(request, survey_id)
    return (
        selectors.responses_for_user(user=request.user, survey=survey)
        .prefetch_related("answers")
        .order_by("-id")
    )


@router.post(
    "/{survey_id}/responses/",
    response={
        201: SurveyResponseOut,
        404: ErrorBody,
        409: ErrorBody,
        422: ErrorBody,
        **ERROR_RESPONSES,
    },
    summary="Enter a phone interview's answers",
)
def response_create(
    request: AuthenticatedRequest, survey_id: int, payload: SurveyInterviewIn
) -> Status[Any]:
    user = request.user
    require(user, can_log_contact)
    survey = _survey(request, survey_id)
    customer = customer_get_for_user(user=user, customer_id=payload.customer_id)
    response = services.response_submit(
        survey=survey,
        user=user,
        customer=customer,
        answers=payload.answers,
        consent=payload.consent,
    )
    return Status(201, response)


@router.get(
    "/{survey_id}/results",
    response={200: SurveyResultsOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Response rate, distributions, NPS, CSAT, free texts",
)
def survey_results(request: AuthenticatedRequest, survey_id: int) -> Any:
    require(request.user, can_read_survey_results)
    results = selectors.survey_results(user=request.user, survey=_survey(request, survey_id))
    return {
        "invited": results.invited,
        "answered_invitations": results.answered_invitations,
        "responses": results.responses,
        "response_rate": results.response_rate,
        "questions": [
            {
                "question_id": r.question.pk,
                "answered": r.answered,
                "distribution": r.distribution,
                "mean": r.mean,
                "nps": r.nps,
                "csat": r.csat,
                "texts": r.texts,
            }
            for r in results.questions
        ],
    }


class SurveyTrendFilter(Schema):
    period: Literal["month", "week"] = Field("month", description="`month` or `week` (ISO).")


class SurveyTrendOut(Schema):
    question_id: int
    measure: str = Field(description="`NPS` (−100…100) or `CSAT` (% of the two best answers).")
    periods: list[str] = Field(description="`2026-11` or `2026-W47`, in local time.")
    scores: list[float | None]
    answers: list[int]


@router.get(
    "/{survey_id}/trends",
    response={200: list[SurveyTrendOut], 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="NPS and CSAT per month or week",
)
def survey_trends(
    request: AuthenticatedRequest, survey_id: int, filters: Query[SurveyTrendFilter]
) -> Any:
    require(request.user, can_read_survey_results)
    trends = selectors.score_trends(
        user=request.user, survey=_survey(request, survey_id), period=filters.period
    )
    return [
        {
            "question_id": pk,
            "measure": t.measure,
            "periods": t.periods,
            "scores": t.scores,
            "answers": t.answers,
        }
        for pk, t in trends.items()
    ]


@router.get(
    "/{survey_id}/crosstab",
    response={200: SurveyCrossTabOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="One question's answers by the customers' grade, tier, province or stage",
)
def survey_crosstab(
    request: AuthenticatedRequest, survey_id: int, filters: Query[SurveyCrossTabFilter]
) -> Any:
    require(request.user, can_read_survey_results)
    survey = _survey(request, survey_id)
    questions = survey.questions.exclude(kind=QuestionKind.TEXT).order_by("position", "id")
    if filters.question is not None:
        questions = questions.filter(pk=filters.question)
    question = questions.first()
    if question is None:
        raise Http404
    table = selectors.answers_crosstab(
        user=request.user, survey=survey, question=question, dimension=filters.by
    )
    return {
        "rows": table.rows,
        "columns": table.columns,
        "cells": table.cells,
        "totals": table.totals,
    }


class SurveyExportIn(Schema):
    format: str = Field(description="`xlsx` or `csv` (UTF-8 with BOM).")


@router.post(
    "/{survey_id}/export",
    response={201: ExportOut, 202: ExportOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Export the responses (one row each, a column per question)",
)
def survey_export(
    request: AuthenticatedRequest, survey_id: int, payload: SurveyExportIn
) -> Status[Any]:
    """Through the exports: poll and download under `/exports/{id}`; answers to sensitive
    questions masked unless your role may reveal them, and audited when it may."""
    require(request.user, can_read_survey_results)
    job = export_responses_request(
        user=request.user,
        survey=_survey(request, survey_id),
        format=payload.format,
        ip_address=client_ip(request),
    )
    return Status(201 if job.is_finished else 202, job)


class SatisfactionTriggerIn(Schema):
    survey_id: int | None = Field(
        description="A satisfaction survey; null removes the trigger of this event."
    )
    every_days: int = Field(
        30, description="At most one satisfaction survey per customer in so many days."
    )
    is_active: bool = True


class SatisfactionTriggerOut(Schema):
    event: TriggerEvent
    survey_id: int
    every_days: int
    is_active: bool


@router.get(
    "/satisfaction-triggers/",
    response={200: list[SatisfactionTriggerOut], **ERROR_RESPONSES},
    summary="Satisfaction surveys sent after events (administrators)",
)
def satisfaction_trigger_list(request: AuthenticatedRequest) -> Any:
    require(request.user, can_manage_accounts)
    return list(SatisfactionTrigger.objects.order_by("event"))


@router.put(
    "/satisfaction-triggers/{event}",
    response={200: SatisfactionTriggerOut, 204: None, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Choose the satisfaction survey sent after an event (`case_closed`, `order_delivered`)",
)
def satisfaction_trigger_put(
    request: AuthenticatedRequest, event: str, payload: SatisfactionTriggerIn
) -> Status[Any]:
    """Answers 204 when ``survey_id`` is null and the trigger is removed."""
    trigger = services.satisfaction_trigger_save(
        user=request.user,
        event=event,
        survey_id=payload.survey_id,
        every_days=payload.every_days,
        is_active=payload.is_active,
    )
    return Status(200, trigger) if trigger is not None else Status(204, None)
