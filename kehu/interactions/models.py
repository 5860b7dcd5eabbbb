"""Contact history (跟进记录): every contact with a customer, reminders and notifications."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel


class Interaction(TimeStampedModel):
    """One contact with a customer through any channel, logged by a person or an integration."""

    class Type(models.TextChoices):
        PHONE_CALL = "phone_call", _("Phone call")
        VISIT = "visit", _("Visit")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("E-mail")
        IM = "im", _("WeChat / IM")
        SMS = "sms", _("SMS")
        SURVEY = "survey", _("Survey")
        MARKETING_EVENT = "marketing_event", _("Marketing event")
        EXHIBITION = "exhibition", _("Exhibition")
        AFTER_SALES = "after_sales", _("After-sales service")
        COMPLAINT = "complaint", _("Complaint")
        WEB_FORM = "web_form", _("Web form")
        OTHER = "other", _("Other")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Logged by a user")
        CALL_CENTER = "call_center", _("Call center")
        WEB_FORM = "web_form", _("Web form")
        SYSTEM = "system", _("System")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="interactions",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        verbose_name=_("contact"),
    )
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    channel = models.ForeignKey(
        "customers.Channel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("channel"),
    )
    occurred_at = models.DateTimeField(_("time"))
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        verbose_name=_("by"),
    )
    summary = models.TextField(_("summary"))
    outcome = models.TextField(_("outcome"), blank=True)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    next_follow_up_note = models.CharField(_("follow-up note"), max_length=200, blank=True)
    follow_up_done_at = models.DateTimeField(_("follow-up done"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.MANUAL
    )
    # The integration's own id (call id, form submission id): repeated deliveries are ignored.
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # Everyone's newest first (the API's list without a filter): without it SQLite
            # walked every customer to find their interactions, then sorted (0.1 s at 100,000).
            models.Index(fields=["-occurred_at", "-id"], name="interactions_newest_first"),
            models.Index(fields=["customer", "-occurred_at", "-id"]),
            models.Index(fields=["user", "-occurred_at"]),
            models.Index(fields=["type", "-occurred_at"]),
            models.Index(fields=["next_follow_up_on", "follow_up_done_at"]),
            # A user's open follow-ups by date: my work, the home card, the team's overdue.
            models.Index(
                fields=["user", "next_follow_up_on"],
                condition=models.Q(follow_up_done_at__isnull=True, next_follow_up_on__isnull=False),
                name="interactions_open_follow_up",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="interactions_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.occurred_at:%Y-%m-%d}"


class Attachment(TimeStampedModel):
    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=100)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class Reminder(TimeStampedModel):
    """Something a user should do on a day: a follow-up, a birthday, a pool warning."""

    class Kind(models.TextChoices):
        FOLLOW_UP = "follow_up", _("Follow-up")
        BIRTHDAY = "birthday", _("Birthday")
        POOL_WARNING = "pool_warning", _("Returns to the public pool soon")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="reminders"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    due_on = models.DateField(_("due on"))
    text = models.CharField(_("text"), max_length=200, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # What the reminder is about, e.g. "birthday:contact:42:2026-12-01": the nightly job may
    # run twice, and a reminder must exist once.
    key = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["user", "done_at", "due_on"])]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="interactions_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_on}"


class Notification(TimeStampedModel):
    """A message to one user, e.g. "your customer 张伟 just called"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.text


class ReminderRun(models.Model):
    """A day's reminders were computed: for everyone (``user`` empty, by the scheduled job) or
    for one user on demand, so "my day" computes only when the job has not run yet."""

    day = models.DateField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day"], condition=models.Q(user=None), name="interactions_run_daily_once"
            ),
            models.UniqueConstraint(fields=["day", "user"], name="interactions_run_user_once"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.user_id or 'all'}"
