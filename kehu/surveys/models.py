"""Questionnaires (问卷调查): surveys, their questions, personal invitations and responses."""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel, choices_check


def _pick(zh: str, en: str) -> str:
    """The text in the current language, the other one when it is missing."""
    if (get_language() or "").startswith("zh"):
        return zh or en
    return en or zh


class SurveyKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer survey")
    SATISFACTION = "satisfaction", _("Satisfaction survey")
    MARKET = "market", _("Market survey (anonymous)")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class Survey(TimeStampedModel):
    """One version of a questionnaire. A published version is frozen: a change is a new version
    (``previous`` names the one it replaces)."""

    Kind = SurveyKind

    Status = SurveyStatus

    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    intro_zh = models.TextField(_("introduction (Chinese)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CUSTOMER)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deadline = models.DateTimeField(_("answer by"), null=True, blank=True)
    # The anonymous public link of a market survey: /s/a/<public_key>/.
    public_key = models.CharField(_("public key"), max_length=40, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        constraints = [
            choices_check("kind", SurveyKind, "surveys_survey_kind_valid"),
            choices_check("status", SurveyStatus, "surveys_survey_status_valid"),
            models.UniqueConstraint(
                fields=["public_key"],
                condition=~models.Q(public_key=""),
                name="surveys_survey_public_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def title(self) -> str:
        return _pick(self.title_zh, self.title_en)

    @property
    def intro(self) -> str:
        return _pick(self.intro_zh, self.intro_en)


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    SCALE5 = "scale5", _("Scale 1–5")
    SCALE10 = "scale10", _("Scale 1–10")
    NPS = "nps", _("Recommendation 0–10 (NPS)")
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")


class Question(TimeStampedModel):
    """One question; ``choices`` is a list of ``{"value", "zh", "en"}`` (an optional
    ``"archive"``: the value written to the archive field), ``show_if`` a simple skip rule
    ``{"question": <id>, "values": [...]}``: asked only when that earlier answer is one of the
    values."""

    Kind = QuestionKind

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    section_zh = models.CharField(_("section (Chinese)"), max_length=100, blank=True)
    section_en = models.CharField(_("section (English)"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text_zh = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    show_if = models.JSONField(_("ask only if"), default=dict, blank=True)
    # A field code of kehu.customers.fields (e.g. person.children): the answer updates it.
    archive_field = models.CharField(_("archive field"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "position", "id"]
        constraints = [choices_check("kind", QuestionKind, "surveys_question_kind_valid")]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return _pick(self.text_zh, self.text_en)

    @property
    def section(self) -> str:
        return _pick(self.section_zh, self.section_en)

    def choice_label(self, value: str) -> str:
        for choice in self.choices:
            if choice.get("value") == value:
                return _pick(str(choice.get("zh", "")), str(choice.get("en", ""))) or value
        return value


class Invitation(TimeStampedModel):
    """A personal one-time link for one customer (or a rep's phone interview of them)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="survey_invitations",
    )
    nonce = models.CharField(max_length=40)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # A satisfaction survey sent after this case closed, or this order was delivered.
    case = models.ForeignKey(
        "service.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "sales.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        # Once per customer, except satisfaction surveys: once per case or order.
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "customer"],
                condition=models.Q(case__isnull=True, order__isnull=True),
                name="surveys_invitation_once_per_customer",
            ),
            models.UniqueConstraint(
                fields=["survey", "case"],
                condition=models.Q(case__isnull=False),
                name="surveys_invitation_once_per_case",
            ),
            models.UniqueConstraint(
                fields=["survey", "order"],
                condition=models.Q(order__isnull=False),
                name="surveys_invitation_once_per_order",
            ),
        ]
        indexes = [models.Index(fields=["customer", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.customer_id}"


class TriggerEvent(models.TextChoices):
    CASE_CLOSED = "case_closed", _("A service case is closed")
    ORDER_DELIVERED = "order_delivered", _("An order is delivered")


class SatisfactionTrigger(TimeStampedModel):
    """Which satisfaction survey goes to the customer after an event, at most once per
    ``every_days`` days per customer (any satisfaction survey counts)."""

    Event = TriggerEvent

    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    survey = models.ForeignKey(
        Survey,
        verbose_name=_("questionnaire"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": SurveyKind.SATISFACTION},
    )
    every_days = models.PositiveSmallIntegerField(_("at most once every (days)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("satisfaction survey trigger")
        verbose_name_plural = _("satisfaction survey triggers")
        constraints = [
            models.UniqueConstraint(fields=["event"], name="surveys_trigger_one_per_event"),
            choices_check("event", TriggerEvent, "surveys_trigger_event_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.survey_id}"


class ResponseMode(models.TextChoices):
    LINK = "link", _("Personal link")
    PHONE = "phone", _("Phone interview")
    ANONYMOUS = "anonymous", _("Anonymous link")


class Response(TimeStampedModel):
    """One filled-in questionnaire: by the customer through a link, by a rep on the phone, or
    anonymously through the public link."""

    Mode = ResponseMode

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey_responses",
    )
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mode = models.CharField(_("how"), max_length=12, choices=Mode.choices)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    submitted_at = models.DateTimeField(_("submitted at"))
    sensitive_consent = models.BooleanField(_("consent to sensitive data"), default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["survey", "-submitted_at"])]
        constraints = [choices_check("mode", ResponseMode, "surveys_response_mode_valid")]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.pk}"


class Answer(models.Model):
    """One answer: ``value`` is a string, a list of choice values, or a number."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField(_("answer"))
    # Numeric answers (scales, NPS, numbers) again, for the averages.
    number = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="surveys_answer_once")
        ]
        indexes = [models.Index(fields=["question", "response"])]

    def __str__(self) -> str:
        return f"{self.question_id}={self.value}"
