"""Answers: validated, stored, mapped into the archive with provenance and consent."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_log_contact, require
from kehu.core.exceptions import Conflict
from kehu.customers import services as customer_services
from kehu.customers.fields import Type
from kehu.customers.models import Customer
from kehu.customers.selectors import field_specs_for
from kehu.interactions import services as interaction_services
from kehu.interactions.models import Interaction
from kehu.surveys.links import LinkProblem
from kehu.surveys.models import Answer, Invitation, Question, Response, Survey
from kehu.surveys.services.common import RANGES, logger, survey_channel
from kehu.surveys.services.invitations import _require_open, invitation_for_token


def shown(question: Question, values: dict[int, Any]) -> bool:
    """Is ``question`` asked, given the answers so far (its skip rule)?"""
    rule = question.show_if or {}
    if not rule:
        return True
    answer = values.get(int(rule.get("question") or 0))
    wanted = set(rule.get("values") or [])
    if isinstance(answer, list):
        return bool(wanted & set(answer))
    return answer in wanted


def _clean_answer(question: Question, raw: Any) -> tuple[Any, Decimal | None]:
    """The stored value and its number, or raises ValidationError (a message)."""
    kind = question.kind
    values = {c["value"] for c in question.choices}
    if kind == Question.Kind.SINGLE:
        if str(raw) not in values:
            raise ValidationError(_("Choose one of the answers."))
        return str(raw), None
    if kind == Question.Kind.MULTIPLE:
        chosen = [str(v) for v in (raw if isinstance(raw, list) else [raw])]
        if not chosen or not set(chosen) <= values:
            raise ValidationError(_("Choose among the answers."))
        return sorted(set(chosen), key=chosen.index), None
    if kind in RANGES:
        low, high = RANGES[kind]
        try:
            number = int(str(raw))
        except ValueError:
            raise ValidationError(_("Choose a number.")) from None
        if not low <= number <= high:
            raise ValidationError(
                _("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}
            )
        return number, Decimal(number)
    if kind == Question.Kind.NUMBER:
        try:
            number_d = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValidationError(_("Enter a number.")) from None
        if not number_d.is_finite() or abs(number_d) >= Decimal("1e12"):
            raise ValidationError(_("Enter a number."))
        return str(number_d), number_d
    if kind == Question.Kind.DATE:
        try:
            day = date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
        return day.isoformat(), None
    text = str(raw).strip()
    if len(text) > 2000:
        raise ValidationError(_("At most %(n)s characters.") % {"n": 2000})
    return text, None


def _empty(raw: Any) -> bool:
    return raw is None or raw == "" or raw == []


def answers_clean(survey: Survey, raw: dict[str, Any]) -> dict[Question, Any]:
    """Each asked question's clean answer (skipped ones dropped); raises one ValidationError
    naming each question (``q<id>``) that is missing or wrong."""
    errors: dict[str, list[str]] = {}
    given: dict[int, Any] = {}
    cleaned: dict[Question, Any] = {}
    for question in survey.questions.order_by("position", "id"):
        if not shown(question, given):
            continue
        value = raw.get(str(question.pk), raw.get(f"q{question.pk}"))
        if _empty(value):
            if question.required:
                errors[f"q{question.pk}"] = [_("Please answer this question.")]
            continue
        try:
            cleaned[question] = _clean_answer(question, value)
        except ValidationError as exc:
            errors[f"q{question.pk}"] = list(exc.messages)
            continue
        given[question.pk] = cleaned[question][0]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _archive_value(question: Question, value: Any, field_type: str) -> Any:
    def label(code: str) -> str:
        for choice in question.choices:
            if choice["value"] == code:
                return str(choice.get("archive") or choice.get("zh") or choice.get("en"))
        return code

    if question.kind == Question.Kind.SINGLE:
        return label(value)
    if question.kind == Question.Kind.MULTIPLE:
        labels = [label(v) for v in value]
        return labels if field_type == Type.MULTI_CHOICE else "、".join(labels)
    return value


@transaction.atomic
def response_submit(
    *,
    survey: Survey,
    answers: dict[str, Any],
    invitation: Invitation | None = None,
    token: str | None = None,
    user: User | None = None,
    customer: Customer | None = None,
    consent: bool = False,
    language: str = "zh-hans",
) -> Response:
    """Record one filled-in questionnaire.

    With ``token`` (the customer's personal link) the invitation is read and spent; with
    ``user`` and ``customer`` a rep types the answers in a phone interview (the caller fetched
    the customer through a scoped selector); with neither, an anonymous market survey.
    """
    mode = Response.Mode.ANONYMOUS
    if token is not None:
        invitation = invitation_for_token(token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.answered_at is not None:
            raise LinkProblem("used")
        customer, mode = invitation.customer, Response.Mode.LINK
    elif user is not None:
        if customer is None:
            raise ValidationError({"customer_id": [_("Choose the customer interviewed.")]})
        require(user, can_log_contact, _("Your role may not log interactions."))
        invitation = Invitation.objects.filter(survey=survey, customer=customer).first()
        if invitation is not None and invitation.answered_at is not None:
            raise Conflict(_("This customer has answered this survey already."))
        mode = Response.Mode.PHONE
    elif survey.kind != Survey.Kind.MARKET:
        raise PermissionDenied(_("This survey is answered through a personal link."))
    if survey.kind == Survey.Kind.MARKET and mode != Response.Mode.ANONYMOUS:
        raise Conflict(_("A market survey is answered anonymously through its public link."))
    _require_open(survey)
    cleaned = answers_clean(survey, answers)
    specs = field_specs_for(customer.kind) if customer is not None else {}
    now = timezone.now()
    response = Response.objects.create(
        survey=survey,
        invitation=invitation,
        customer=customer,
        mode=mode,
        language=language[:10],
        submitted_at=now,
        sensitive_consent=consent,
        entered_by=user,
    )
    facts: dict[str, Any] = {}
    rows = []
    for question, (value, number) in cleaned.items():
        spec = specs.get(question.archive_field) if question.archive_field else None
        if spec is not None and spec.sensitive is not None and not consent:
            continue  # a sensitive answer is neither kept nor filed without consent
        rows.append(Answer(response=response, question=question, value=value, number=number))
        if spec is not None:
            facts[spec.code] = _archive_value(question, value, spec.type)
    Answer.objects.bulk_create(rows)
    if customer is not None:
        _file_answers(response=response, customer=customer, facts=facts, user=user)
    if invitation is not None:
        Invitation.objects.filter(pk=invitation.pk).update(answered_at=now)
    return response


def _file_answers(
    *, response: Response, customer: Customer, facts: dict[str, Any], user: User | None
) -> None:
    """The answers on the timeline, their facts in the archive, the consent in the register."""
    survey = response.survey
    channel = survey_channel()
    if response.sensitive_consent:
        from kehu.privacy.models import ConsentMethod, Purpose
        from kehu.privacy.services import consent_record

        phone = response.mode == Response.Mode.PHONE
        consent_record(
            user=None,
            customer=customer,
            purpose=Purpose.SENSITIVE_DATA,
            granted=True,
            method=ConsentMethod.CALL_RECORDING if phone else ConsentMethod.WEB_FORM,
            reference=(
                f"survey {survey.pk} v{survey.version} response {response.pk}"
                + (f" by {user.get_username()}" if user else "")
            ),
            at=response.submitted_at,
        )
    if facts:
        # The respondent is the source: the archive takes the facts as told (user None for the
        # customer's own link), through its provenance, with the channel "survey".
        try:
            with transaction.atomic():
                customer_services.customer_update(
                    user=None,
                    customer=customer,
                    data=facts,
                    channel=channel,
                    note=(_("survey answer: %(title)s") % {"title": survey.title_zh})[:150],
                )
        except ValidationError as exc:
            logger.warning("survey %s response %s: facts refused: %s", survey.pk, response.pk, exc)
    count = response.answers.count()
    interaction, _created = interaction_services.interaction_log(
        user=user,
        customer=customer,
        type=Interaction.Type.SURVEY,
        direction=Interaction.Direction.INBOUND,
        channel=channel,
        summary=_("Answered the survey “%(title)s” (%(count)s answers).")
        % {"title": survey.title, "count": count},
        source=Interaction.Source.MANUAL if user else Interaction.Source.SYSTEM,
        external_id=None if user else f"survey-response-{response.pk}",
        details={"survey": survey.pk, "response": response.pk},
    )
    Response.objects.filter(pk=response.pk).update(interaction=interaction)
    response.interaction = interaction
