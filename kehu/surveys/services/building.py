"""Building questionnaires: questions, sections, skip rules, versions, publishing."""

import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.exceptions import Conflict
from kehu.customers.fields import Type
from kehu.customers.models import Customer
from kehu.customers.selectors import field_specs_for
from kehu.surveys.models import Question, Survey
from kehu.surveys.services.common import CHOICE_KINDS, FILLS, _require_draft, _require_runner


def _text(data: dict[str, Any], key: str, limit: int, errors: dict[str, list[str]]) -> str:
    value = str(data.get(key) or "").strip()
    if len(value) > limit:
        errors[key] = [_("At most %(n)s characters.") % {"n": limit}]
    return value


@transaction.atomic
def survey_save(*, user: User, data: dict[str, Any], survey: Survey | None = None) -> Survey:
    """Create a draft survey, or change a draft's title, introduction, kind and deadline."""
    _require_runner(user)
    if survey is not None:
        _require_draft(survey)
    errors: dict[str, list[str]] = {}
    title_zh = _text(data, "title_zh", 200, errors)
    title_en = _text(data, "title_en", 200, errors)
    if not title_zh and not title_en:
        errors["title_zh"] = [_("Give the survey a title.")]
    kind = str(data.get("kind") or Survey.Kind.CUSTOMER)
    if kind not in Survey.Kind.values:
        errors["kind"] = [_("Choose a kind of survey.")]
    deadline = data.get("deadline")
    if deadline is not None and not isinstance(deadline, datetime):
        errors["deadline"] = [_("Enter a date and time.")]
    if errors:
        raise ValidationError(errors)
    survey = survey or Survey(created_by=user)
    survey.title_zh, survey.title_en = title_zh, title_en
    survey.intro_zh = str(data.get("intro_zh") or "").strip()
    survey.intro_en = str(data.get("intro_en") or "").strip()
    survey.kind = kind
    survey.deadline = deadline
    survey.save()
    return survey


def _clean_choices(raw: Any, errors: dict[str, list[str]]) -> list[dict[str, str]]:
    choices: list[dict[str, str]] = []
    if not isinstance(raw, list):
        errors["choices"] = [_("Give the choices as a list.")]
        return choices
    seen = set()
    for position, item in enumerate(raw, start=1):
        if isinstance(item, str):  # "value|中文|English|archive value"
            parts = [p.strip() for p in item.split("|")]
            item = dict(zip(("zh", "en", "archive"), parts, strict=False))
            item["value"] = str(position)
        if not isinstance(item, dict) or not (item.get("zh") or item.get("en")):
            errors["choices"] = [_("Every choice needs a label.")]
            continue
        value = str(item.get("value") or position)
        if value in seen:
            errors["choices"] = [_("Two choices have the same value.")]
        seen.add(value)
        choice = {"value": value, "zh": str(item.get("zh", "")), "en": str(item.get("en", ""))}
        if item.get("archive"):
            choice["archive"] = str(item["archive"])
        choices.append(choice)
    if len(choices) < 2 and "choices" not in errors:
        errors["choices"] = [_("Give at least two choices.")]
    return choices


@transaction.atomic
def question_save(
    *, user: User, survey: Survey, data: dict[str, Any], question: Question | None = None
) -> Question:
    """Add a question to a draft (or change one); checks the choices, the skip rule and that
    the archive field exists and can take this kind of answer."""
    _require_runner(user)
    _require_draft(survey)
    errors: dict[str, list[str]] = {}
    kind = str(data.get("kind") or "")
    if kind not in Question.Kind.values:
        errors["kind"] = [_("Choose a kind of question.")]
    text_zh = _text(data, "text_zh", 300, errors)
    text_en = _text(data, "text_en", 300, errors)
    if not text_zh and not text_en:
        errors["text_zh"] = [_("Write the question.")]
    choices = _clean_choices(data.get("choices") or [], errors) if kind in CHOICE_KINDS else []
    field = str(data.get("archive_field") or "").strip()
    if field:
        if survey.kind == Survey.Kind.MARKET:
            errors["archive_field"] = [_("Anonymous answers cannot fill the archive.")]
        else:
            spec = field_specs_for(Customer.Kind.PERSON).get(field)
            spec = spec or field_specs_for(Customer.Kind.ORGANIZATION).get(field)
            if spec is None:
                errors["archive_field"] = [_("Unknown archive field.")]
            elif spec.type not in FILLS.get(kind, set()) and not (
                kind == Question.Kind.SINGLE and spec.type == Type.CHOICE
            ):
                errors["archive_field"] = [
                    _("This kind of question cannot fill the field “%(field)s”.")
                    % {"field": spec.label}
                ]
            elif spec.type == Type.CHOICE and kind == Question.Kind.SINGLE:
                allowed = {value for value, _label in spec.choices}
                if any(c.get("archive", c["value"]) not in allowed for c in choices):
                    errors["archive_field"] = [
                        _("Give each choice the archive value it stands for (%(values)s).")
                        % {"values": ", ".join(sorted(allowed))}
                    ]
    show_if = data.get("show_if") or {}
    if show_if:
        earlier = survey.questions.all()
        if question is not None:
            earlier = earlier.exclude(pk=question.pk)
        target = earlier.filter(pk=int(show_if.get("question") or 0)).first()
        values = show_if.get("values")
        if target is None or target.kind not in CHOICE_KINDS:
            errors["show_if"] = [_("Skip rules depend on an earlier choice question.")]
        elif (
            not isinstance(values, list)
            or not values
            or not {str(v) for v in values} <= {c["value"] for c in target.choices}
        ):
            errors["show_if"] = [_("Name the choices of that question that show this one.")]
        else:
            show_if = {"question": target.pk, "values": [str(v) for v in values]}
    if errors:
        raise ValidationError(errors)
    if question is None:
        last = survey.questions.order_by("-position").values_list("position", flat=True).first()
        question = Question(survey=survey, position=(last or 0) + 1)
    question.kind = kind
    question.text_zh, question.text_en = text_zh, text_en
    question.section_zh = str(data.get("section_zh") or "").strip()[:100]
    question.section_en = str(data.get("section_en") or "").strip()[:100]
    question.required = bool(data.get("required"))
    question.choices = choices
    question.show_if = show_if
    question.archive_field = field
    question.save()
    return question


@transaction.atomic
def question_delete(*, user: User, question: Question) -> None:
    _require_runner(user)
    _require_draft(question.survey)
    Question.objects.filter(survey=question.survey, show_if__question=question.pk).update(
        show_if={}
    )
    question.delete()


@transaction.atomic
def survey_publish(*, user: User, survey: Survey) -> Survey:
    """Freeze the draft and open it for answers; a market survey gets its anonymous link."""
    _require_runner(user)
    _require_draft(survey)
    if not survey.questions.exists():
        raise ValidationError({"questions": [_("Add at least one question first.")]})
    if survey.deadline is not None and survey.deadline <= timezone.now():
        raise ValidationError({"deadline": [_("The deadline has passed already.")]})
    survey.status = Survey.Status.PUBLISHED
    survey.published_at = timezone.now()
    if survey.kind == Survey.Kind.MARKET:
        survey.public_key = secrets.token_urlsafe(12)
    survey.save()
    if survey.previous_id:
        Survey.objects.filter(pk=survey.previous_id, status=Survey.Status.PUBLISHED).update(
            status=Survey.Status.CLOSED
        )
    return survey


@transaction.atomic
def survey_close(*, user: User, survey: Survey) -> Survey:
    _require_runner(user)
    if survey.status != Survey.Status.PUBLISHED:
        raise Conflict(_("Only a published survey can be closed."))
    survey.status = Survey.Status.CLOSED
    survey.save(update_fields=["status", "updated_at"])
    return survey


@transaction.atomic
def survey_new_version(*, user: User, survey: Survey) -> Survey:
    """A draft copy of a published (or closed) survey, with its questions and skip rules."""
    _require_runner(user)
    if survey.status == Survey.Status.DRAFT:
        raise Conflict(_("A draft can be changed as it is."))
    copy = Survey.objects.create(
        title_zh=survey.title_zh,
        title_en=survey.title_en,
        intro_zh=survey.intro_zh,
        intro_en=survey.intro_en,
        kind=survey.kind,
        version=survey.version + 1,
        previous=survey,
        created_by=user,
    )
    new_ids: dict[int, int] = {}
    for question in survey.questions.order_by("position", "id"):
        old_id = question.pk
        question.pk = None
        question.survey = copy
        rule = question.show_if or {}
        if rule:
            question.show_if = {**rule, "question": new_ids.get(int(rule.get("question") or 0), 0)}
        question.save()
        new_ids[old_id] = question.pk
    return copy
