"""Every write to surveys: building, publishing, versions, invitations, reminders and answers.

An answer to a question mapped to an archive field updates the customer through
``customer_update`` with the channel "survey" (so the archive's history names it); a sensitive
field only when the respondent gave explicit consent, which goes into the consent register.
Every response of a known customer is an interaction of type "survey" on their timeline.
"""

import logging
import secrets
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_log_contact, can_run_surveys, require
from kehu.core.exceptions import Conflict
from kehu.customers import services as customer_services
from kehu.customers.fields import Type
from kehu.customers.models import Channel, Customer
from kehu.customers.selectors import field_specs_for
from kehu.interactions import services as interaction_services
from kehu.interactions.models import Interaction
from kehu.surveys.links import LinkProblem, invitation_token, invitation_token_read, new_nonce
from kehu.surveys.models import Answer, Invitation, Question, Response, Survey

logger = logging.getLogger(__name__)

SURVEY_CHANNEL = "survey"
RUN_REFUSED = _("Only marketers, archive administrators and admins run surveys.")
CHOICE_KINDS = {Question.Kind.SINGLE, Question.Kind.MULTIPLE}
RANGES: dict[str, tuple[int, int]] = {
    Question.Kind.SCALE5: (1, 5),
    Question.Kind.SCALE10: (1, 10),
    Question.Kind.NPS: (0, 10),
}
# Archive field types a question kind may fill.
FILLS: dict[str, set[str]] = {
    Question.Kind.SINGLE: {Type.TEXT, Type.CHOICE, Type.LONG_TEXT},
    Question.Kind.MULTIPLE: {Type.TEXT, Type.LONG_TEXT, Type.MULTI_CHOICE},
    Question.Kind.TEXT: {Type.TEXT, Type.LONG_TEXT},
    Question.Kind.NUMBER: {Type.INTEGER, Type.DECIMAL, Type.TEXT},
    Question.Kind.DATE: {Type.DATE},
}


def _require_runner(user: User) -> None:
    require(user, can_run_surveys, RUN_REFUSED)


def _require_draft(survey: Survey) -> None:
    if survey.status != Survey.Status.DRAFT:
        raise Conflict(_("A published survey is frozen: make a new version to change it."))


def survey_channel() -> Channel | None:
    return Channel.objects.filter(code=SURVEY_CHANNEL).first()


# --- building ---------------------------------------------------------------------------------


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


# --- invitations and reminders ----------------------------------------------------------------


def invitation_url(invitation: Invitation, *, base_url: str = "") -> str:
    """The personal link; ``base_url`` is the site's address (``https://crm.example.com``)."""
    token = invitation_token(invitation_id=invitation.pk, nonce=invitation.nonce)
    return f"{base_url.rstrip('/')}{reverse('survey_public:answer', args=[token])}"


def _require_open(survey: Survey) -> None:
    if survey.status != Survey.Status.PUBLISHED:
        raise Conflict(_("This survey is not open for answers."))
    if survey.deadline is not None and survey.deadline <= timezone.now():
        raise Conflict(_("The deadline of this survey has passed."))


@transaction.atomic
def invitations_create(
    *, user: User, survey: Survey, customers: list[Customer], language: str = "zh-hans"
) -> list[Invitation]:
    """One personal link per customer (who has none yet for this survey); returns the new ones."""
    _require_runner(user)
    _require_open(survey)
    if survey.kind == Survey.Kind.MARKET:
        raise Conflict(_("A market survey is answered anonymously through its public link."))
    have = set(
        Invitation.objects.filter(survey=survey, customer__in=customers).values_list(
            "customer_id", flat=True
        )
    )
    return Invitation.objects.bulk_create(
        Invitation(survey=survey, customer=c, nonce=new_nonce(), language=language, created_by=user)
        for c in customers
        if c.pk not in have
    )


def _mail(invitation: Invitation, *, reminder: bool, base_url: str) -> bool:
    address = invitation.customer.emails.values_list("address", flat=True).first()
    if not address:
        return False
    with translation.override(invitation.language):
        survey = invitation.survey
        subject = _("Reminder: %(title)s") % {"title": survey.title} if reminder else survey.title
        lines = [
            _("Dear %(name)s,") % {"name": invitation.customer.name},
            "",
            survey.intro or _("We would like to hear your opinion."),
            "",
            _("Answer here (the link works once): %(url)s")
            % {"url": invitation_url(invitation, base_url=base_url)},
        ]
        if survey.deadline:
            lines.append(
                _("Please answer by %(date)s.")
                % {"date": timezone.localtime(survey.deadline).strftime("%Y-%m-%d %H:%M")}
            )
        send_mail(subject, "\n".join(lines), None, [address])
    return True


def invitations_send(*, user: User | None, survey: Survey, base_url: str = "") -> int:
    """E-mail every invitation not sent yet; returns how many went out (customers without an
    e-mail address wait for a phone interview)."""
    if user is not None:
        _require_runner(user)
    _require_open(survey)
    sent = 0
    pending = Invitation.objects.filter(survey=survey, sent_at=None, answered_at=None)
    for invitation in pending.select_related("customer", "survey"):
        if _mail(invitation, reminder=False, base_url=base_url):
            Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
            sent += 1
    return sent


def survey_remind(*, user: User | None, survey: Survey, base_url: str = "") -> int:
    """Remind, once, everyone who was sent the link and has not answered; returns the count."""
    if user is not None:
        _require_runner(user)
    _require_open(survey)
    reminded = 0
    waiting = Invitation.objects.filter(
        survey=survey, answered_at=None, reminded_at=None, sent_at__isnull=False
    )
    for invitation in waiting.select_related("customer", "survey"):
        if _mail(invitation, reminder=True, base_url=base_url):
            Invitation.objects.filter(pk=invitation.pk).update(reminded_at=timezone.now())
            reminded += 1
    return reminded


def invitation_for_token(token: str) -> Invitation:
    """The open invitation a link names; raises ``LinkProblem`` (invalid, expired, used, closed)."""
    invitation_id, nonce = invitation_token_read(token)
    invitation = (
        Invitation.objects.select_related("survey", "customer").filter(pk=invitation_id).first()
    )
    if invitation is None or not secrets.compare_digest(invitation.nonce, nonce):
        raise LinkProblem("invalid")
    if invitation.answered_at is not None:
        raise LinkProblem("used")
    survey = invitation.survey
    if survey.deadline is not None and survey.deadline <= timezone.now():
        raise LinkProblem("expired")
    if survey.status != Survey.Status.PUBLISHED:
        raise LinkProblem("closed")
    return invitation


# --- answers ----------------------------------------------------------------------------------


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
