"""Reads of surveys: the list, one survey for a user, results (rates, distributions, NPS,
CSAT), cross-tabs of answers by the customers' grade, value tier or region."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_log_contact, can_read_survey_results, can_run_surveys
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_q
from kehu.surveys.models import Answer, Invitation, Question, Response, Survey


def surveys_for_user(user: User) -> QuerySet[Survey]:
    """Every survey for those who run or read them; published customer surveys for those who
    may interview customers by phone; none for anyone else."""
    surveys = Survey.objects.annotate(response_count=Count("responses", distinct=True))
    if can_run_surveys(user) or can_read_survey_results(user):
        return surveys
    if can_log_contact(user):
        return surveys.filter(status=Survey.Status.PUBLISHED).exclude(kind=Survey.Kind.MARKET)
    return surveys.none()


def survey_get_for_user(*, user: User, survey_id: int) -> Survey:
    survey = surveys_for_user(user).filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    return survey


def questions_of(survey: Survey) -> list[Question]:
    return list(survey.questions.order_by("position", "id"))


def responses_for_user(*, user: User, survey: Survey) -> QuerySet[Response]:
    """The responses of ``survey``: anonymous ones and those of customers the user sees."""
    responses = Response.objects.filter(survey=survey)
    scope = customers_visible_q(user, prefix="customer__")
    if scope:  # an empty Q (every customer) would swallow the OR
        responses = responses.filter(Q(customer__isnull=True) | scope)
    return responses.select_related("customer", "entered_by").order_by("-submitted_at", "-id")


# --- the arithmetic ---------------------------------------------------------------------------


def nps(scores: list[int]) -> float | None:
    """Net Promoter Score: % promoters (9–10) minus % detractors (0–6), one decimal."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return round(100.0 * (promoters - detractors) / len(scores), 1)


def csat(scores: list[int], *, top: int = 5) -> float | None:
    """Customer satisfaction: the share (%) of the two best answers on a scale to ``top``."""
    if not scores:
        return None
    return round(100.0 * sum(1 for s in scores if s >= top - 1) / len(scores), 1)


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    distribution: list[tuple[str, int]] = field(default_factory=list)
    mean: float | None = None
    nps: float | None = None
    csat: float | None = None
    nps_groups: dict[str, int] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)

    def chart(self) -> dict[str, Any]:
        return {
            "labels": [label for label, _n in self.distribution],
            "values": [n for _label, n in self.distribution],
        }


@dataclass
class SurveyResults:
    invited: int
    answered_invitations: int
    responses: int
    response_rate: float | None
    questions: list[QuestionResult]


def _labels(question: Question) -> list[tuple[str, str]]:
    if question.choices:
        return [(c["value"], question.choice_label(c["value"])) for c in question.choices]
    if question.kind == Question.Kind.SCALE5:
        return [(str(i), str(i)) for i in range(1, 6)]
    if question.kind == Question.Kind.SCALE10:
        return [(str(i), str(i)) for i in range(1, 11)]
    if question.kind == Question.Kind.NPS:
        return [(str(i), str(i)) for i in range(11)]
    return []


def question_result(question: Question, values: list[Any]) -> QuestionResult:
    result = QuestionResult(question=question, answered=len(values))
    labels = _labels(question)
    if labels:
        counts: Counter[str] = Counter()
        for value in values:
            for v in value if isinstance(value, list) else [value]:
                counts[str(v)] += 1
        result.distribution = [(label, counts.get(code, 0)) for code, label in labels]
    numbers = [int(v) for v in values if isinstance(v, int)]
    if question.kind == Question.Kind.NUMBER:
        decimals = [Decimal(str(v)) for v in values]
        if decimals:
            result.mean = round(float(sum(decimals) / len(decimals)), 2)
    elif numbers:
        result.mean = round(sum(numbers) / len(numbers), 2)
    if question.kind == Question.Kind.NPS:
        result.nps = nps(numbers)
        result.nps_groups = {
            "promoters": sum(1 for s in numbers if s >= 9),
            "passives": sum(1 for s in numbers if 7 <= s <= 8),
            "detractors": sum(1 for s in numbers if s <= 6),
        }
    elif question.kind == Question.Kind.SCALE5:
        result.csat = csat(numbers, top=5)
    elif question.kind == Question.Kind.SCALE10:
        result.csat = csat(numbers, top=10)
    if question.kind == Question.Kind.TEXT:
        result.texts = [str(v) for v in values if v]
    return result


def survey_results(*, user: User, survey: Survey) -> SurveyResults:
    """The results of ``survey`` over the responses ``user`` may see."""
    responses = responses_for_user(user=user, survey=survey)
    by_question: dict[int, list[Any]] = defaultdict(list)
    for question_id, value in Answer.objects.filter(response__in=responses).values_list(
        "question_id", "value"
    ):
        by_question[question_id].append(value)
    invitations = Invitation.objects.filter(survey=survey)
    invited = invitations.count()
    answered = invitations.filter(answered_at__isnull=False).count()
    return SurveyResults(
        invited=invited,
        answered_invitations=answered,
        responses=responses.count(),
        response_rate=round(100.0 * answered / invited, 1) if invited else None,
        questions=[question_result(q, by_question.get(q.pk, [])) for q in questions_of(survey)],
    )


# --- NPS and CSAT over time -------------------------------------------------------------------

PERIODS = ("month", "week")
TREND_KINDS = {Question.Kind.NPS, Question.Kind.SCALE5, Question.Kind.SCALE10}


def period_labels() -> dict[str, str]:
    return {"month": _("by month"), "week": _("by week")}


def _period_of(moment: datetime, period: str) -> str:
    day = timezone.localtime(moment).date()
    if period == "week":
        year, week, _weekday = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


@dataclass
class Trend:
    """One question's score (NPS, or CSAT for a scale) per period, with the answers counted."""

    measure: str  # "NPS" or "CSAT"
    periods: list[str]
    scores: list[float | None]
    answers: list[int]

    def chart(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "labels": self.periods,
            "values": self.scores,
            "answers": self.answers,
        }


def score_trends(*, user: User, survey: Survey, period: str = "month") -> dict[int, Trend]:
    """NPS and CSAT per month (or ISO week, in local time) of the responses ``user`` may see,
    by question id; a period without answers between two with answers is listed empty."""
    if period not in PERIODS:
        raise ValueError(period)
    questions = {q.pk: q for q in questions_of(survey) if q.kind in TREND_KINDS}
    if not questions:
        return {}
    responses = responses_for_user(user=user, survey=survey)
    scores: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    rows = Answer.objects.filter(
        response__in=responses.order_by(), question_id__in=questions, number__isnull=False
    ).values_list("question_id", "response__submitted_at", "number")
    for question_id, submitted_at, number in rows:
        if number is not None:
            scores[question_id][_period_of(submitted_at, period)].append(int(number))
    trends: dict[int, Trend] = {}
    for question_id, by_period in scores.items():
        question = questions[question_id]
        periods = _periods_between(min(by_period), max(by_period), period)
        if question.kind == Question.Kind.NPS:
            measure, score = "NPS", nps
        else:
            top = 5 if question.kind == Question.Kind.SCALE5 else 10
            measure, score = "CSAT", partial(csat, top=top)
        trends[question_id] = Trend(
            measure=measure,
            periods=periods,
            scores=[score(by_period.get(p, [])) for p in periods],
            answers=[len(by_period.get(p, [])) for p in periods],
        )
    return trends


def _periods_between(first: str, last: str, period: str) -> list[str]:
    """Every period label from ``first`` to ``last``, both included."""
    if period == "week":
        day = date.fromisocalendar(int(first[:4]), int(first[6:]), 1)
        end = date.fromisocalendar(int(last[:4]), int(last[6:]), 1)
        step = timedelta(days=7)
    else:
        day = date(int(first[:4]), int(first[5:]), 1)
        end = date(int(last[:4]), int(last[5:]), 1)
        step = timedelta(days=32)
    labels = []
    while day <= end:
        labels.append(
            f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}"
            if period == "week"
            else f"{day.year}-{day.month:02d}"
        )
        day = day + step if period == "week" else (day + step).replace(day=1)
    return labels


# --- answers by a dimension of the archive ----------------------------------------------------

DIMENSIONS = {
    "grade": ("customer__grade", dict(Customer.Grade.choices)),
    "tier": ("customer__value__tier", None),
    "province": ("customer__province", None),
    "stage": ("customer__lifecycle_stage", dict(Customer.Stage.choices)),
}


def dimension_labels() -> dict[str, str]:
    return {
        "grade": _("grade"),
        "tier": _("value tier"),
        "province": _("province"),
        "stage": _("lifecycle stage"),
    }


@dataclass
class CrossTab:
    rows: list[str]  # the dimension's values
    columns: list[str]  # the question's answers
    cells: list[list[int]]
    totals: list[int]

    @property
    def lines(self) -> list[tuple[str, list[int], int]]:
        return list(zip(self.rows, self.cells, self.totals, strict=True))


def answers_crosstab(*, user: User, survey: Survey, question: Question, dimension: str) -> CrossTab:
    """How customers answered ``question``, by ``dimension`` of their archive (counts)."""
    if dimension not in DIMENSIONS:
        raise Http404
    path, names = DIMENSIONS[dimension]
    responses = responses_for_user(user=user, survey=survey).filter(customer__isnull=False)
    answers = Answer.objects.filter(question=question, response__in=responses).values_list(
        path.replace("customer__", "response__customer__"), "value"
    )
    labels = _labels(question)
    codes = [code for code, _label in labels]
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for key, value in answers:
        row = str((names or {}).get(key, key) or _("unknown"))
        for v in value if isinstance(value, list) else [value]:
            table[row][str(v)] += 1
            if not labels and str(v) not in codes:
                codes.append(str(v))
    columns = [label for _code, label in labels] or codes
    rows = sorted(table)
    cells = [[table[r].get(code, 0) for code in codes] for r in rows]
    return CrossTab(rows=rows, columns=columns, cells=cells, totals=[sum(c) for c in cells])


def phone_invitation_for_case(case_id: int) -> Invitation | None:
    """The satisfaction survey after this case that waits for an agent's phone interview (the
    customer agreed to calls only), if any and still open."""
    return (
        Invitation.objects.select_related("survey")
        .filter(
            case_id=case_id,
            sent_at=None,
            answered_at=None,
            survey__status=Survey.Status.PUBLISHED,
        )
        .first()
    )
