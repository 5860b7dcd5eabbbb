"""Service management (服务管理): cases with SLA, satisfaction, and customer feedback (客户知识).

Cases and feedback point to the sales catalogue's product when there is one, and keep the
product's code and name as they were: reports group by those, so they survive a product's
renaming or removal, and products not (yet) in the catalogue can be named too.
"""

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel, choices_check


def default_work_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday


class ServiceSettings(TimeStampedModel):
    """Business hours (工作时间) that SLA clocks run in, and escalation; one row, for admins."""

    work_weekdays = models.JSONField(
        _("working days"),
        default=default_work_weekdays,
        help_text=_("Days of the week with business hours; 0 is Monday."),
    )
    day_starts_at = models.TimeField(_("business hours start"), default=time(9, 0))
    day_ends_at = models.TimeField(_("business hours end"), default=time(18, 0))
    warn_before_minutes = models.PositiveIntegerField(
        _("warn minutes before a deadline"),
        default=60,
        help_text=_("Cases this close to an SLA deadline show as at risk in the queue."),
    )
    default_supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default supervisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Gets breached cases whose agent has no team manager. Empty: the administrators."
        ),
    )

    class Meta:
        verbose_name = _("service settings")
        verbose_name_plural = _("service settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(day_ends_at__gt=models.F("day_starts_at")),
                name="service_settings_day_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return str(_("Service settings"))


class SpecialDay(TimeStampedModel):
    """A date that breaks the weekly pattern: a public holiday, or a make-up working day
    (调休上班) on a weekend."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOLIDAY)
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("holiday or working day")
        verbose_name_plural = _("holidays and working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class CaseType(models.TextChoices):
    AFTER_SALES = "after_sales", _("After-sales request")
    COMPLAINT = "complaint", _("Complaint")
    QUESTION = "question", _("Question")


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class SlaPolicy(TimeStampedModel):
    """How long, in business minutes, a case of a type and priority may wait for the first
    response and for its resolution."""

    case_type = models.CharField(_("type"), max_length=12, choices=CaseType.choices)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    response_minutes = models.PositiveIntegerField(_("response within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolve within (business minutes)"))

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(fields=["case_type", "priority"], name="service_sla_unique"),
            models.CheckConstraint(
                condition=Q(response_minutes__gt=0)
                & Q(resolution_minutes__gte=models.F("response_minutes")),
                name="service_sla_minutes_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_case_type_display()} / {self.get_priority_display()}"


class Case(TimeStampedModel):
    """A service case (服务工单): an after-sales request, a complaint (投诉) or a question."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting on customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="cases",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("contact"),
    )
    type = models.CharField(_("type"), max_length=12, choices=CaseType.choices)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.ForeignKey(
        "customers.Channel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("channel"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    product = models.ForeignKey(
        "sales.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("product"),
    )
    product_code = models.CharField(_("product code"), max_length=60, blank=True)
    product_name = models.CharField(_("product name"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
        verbose_name=_("assigned agent"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("opened by"),
    )
    resolution = models.TextField(_("resolution"), blank=True)  # internal: agents only
    # What the customer reads (the rating page, the reply e-mail); never the internal notes.
    customer_summary = models.TextField(
        _("resolution summary for the customer"), blank=True, db_default=""
    )
    # SLA clock: deadlines in business time; waiting on the customer stops the resolution clock
    # and moves its deadline on by the business time spent waiting.
    response_due_at = models.DateTimeField(_("respond by"))
    resolution_due_at = models.DateTimeField(_("resolve by"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # The one-time satisfaction link's secret part; a new link replaces the old one.
    rating_nonce = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["assigned_to", "status", "resolution_due_at"]),
            models.Index(fields=["status", "resolution_due_at"]),
            models.Index(fields=["status", "response_due_at"]),
            models.Index(fields=["type", "priority"]),
            models.Index(fields=["product_code"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=CaseType.values), name="service_case_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="service_case_priority_valid"
            ),
        ]

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints += [
        choices_check("status", Status, "service_case_status_valid"),
    ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("service:case", args=[self.pk])

    @property
    def number(self) -> str:
        return f"SR-{self.pk:06d}" if self.pk else "SR-"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.RESOLVED, self.Status.CLOSED)


class CaseEvent(models.Model):
    """Something that happened to a case: opened, moved, assigned, escalated, rated."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        STATUS = "status", _("Status changed")
        ASSIGNED = "assigned", _("Assigned")
        ESCALATED = "escalated", _("Escalated")
        RATED = "rated", _("Rated")
        PRIORITY = "priority", _("Priority changed")
        EMAIL_OUT = "email_out", _("E-mail to the customer")
        EMAIL_IN = "email_in", _("E-mail from the customer")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    # The case's customer, copied so the customer's timeline reads one index.
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)
    # For an escalation: which deadline was missed ("response" or "resolution"); the pair
    # (case, key) is unique so the scheduled job escalates each breach once.
    key = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"]),
            models.Index(fields=["customer", "-at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "key"], condition=~Q(key=""), name="service_case_event_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def to_status_label(self) -> str:
        return str(dict(Case.Status.choices).get(self.to_status, self.to_status))


class CaseRating(TimeStampedModel):
    """The customer's satisfaction (满意度) with a resolved case: 1 to 5 and a comment; once."""

    class Source(models.TextChoices):
        AGENT = "agent", _("Entered by the agent")
        CUSTOMER = "customer", _("Given by the customer")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="rating")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="case_ratings"
    )
    score = models.PositiveSmallIntegerField(_("satisfaction"))
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("entered by"),
    )

    class Meta:
        verbose_name = _("case rating")
        verbose_name_plural = _("case ratings")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="service_rating_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.score}/5"


class Feedback(TimeStampedModel):
    """Customer knowledge (客户知识): a product comment, a market comment or a question."""

    class Kind(models.TextChoices):
        PRODUCT_COMMENT = "product_comment", _("Product comment")
        MARKET_COMMENT = "market_comment", _("Market comment")
        QUESTION = "question", _("Question")

    class LifecycleOpinion(models.TextChoices):
        INTRODUCTION = "introduction", _("Introduction (new on the market)")
        GROWTH = "growth", _("Growth")
        MATURITY = "maturity", _("Maturity")
        DECLINE = "decline", _("Decline (outdated)")

    class QuestionType(models.TextChoices):
        PRODUCT_SERVICE = "product_service", _("Product and service")
        MARKET = "market", _("Market")
        COMPANY_AFFAIRS = "company_affairs", _("Company affairs")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="feedback",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        verbose_name=_("case"),
    )
    product = models.ForeignKey(
        "sales.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        verbose_name=_("product"),
    )
    product_code = models.CharField(_("product code"), max_length=60, blank=True)
    product_name = models.CharField(_("product name"), max_length=200, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    lifecycle_opinion = models.CharField(
        _("opinion on the product's life cycle"),
        max_length=14,
        choices=LifecycleOpinion.choices,
        blank=True,
    )
    understands_product = models.BooleanField(_("understands how it works"), null=True, blank=True)
    preferences = models.TextField(_("preferences"), blank=True)
    market_type = models.CharField(_("market type"), max_length=60, blank=True)
    question_type = models.CharField(
        _("question type"), max_length=16, choices=QuestionType.choices, blank=True
    )
    content = models.TextField(_("content"))
    solution = models.TextField(_("solution"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("customer feedback")
        verbose_name_plural = _("customer feedback")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["kind", "-created_at"]),
            models.Index(fields=["product_code"]),
            models.Index(fields=["product_name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="service_feedback_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(kind="product_comment") | ~Q(product_name=""),
                name="service_feedback_product_comment_names_product",
            ),
            models.CheckConstraint(
                condition=~Q(kind="question") | ~Q(question_type=""),
                name="service_feedback_question_has_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.content[:40]}"


class CaseEmail(models.Model):
    """An e-mail about a case: a reply sent to the customer or their answer received."""

    class Direction(models.TextChoices):
        OUT = "out", _("Sent")
        IN = "in", _("Received")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="emails")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    from_address = models.CharField(_("from"), max_length=254)
    to_address = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    message_id = models.CharField(_("message ID"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("case e-mail")
        verbose_name_plural = _("case e-mails")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints = [choices_check("direction", Direction, "service_case_email_direction")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.direction} {self.subject}"
