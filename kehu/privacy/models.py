"""Privacy rights (个人信息权利, PIPL Arts. 44–47): data-subject requests, the consent register,
retention rules and their runs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel, choices_check


class RequestKind(models.TextChoices):
    COPY = "copy", _("Access / copy")
    CORRECTION = "correction", _("Correction")
    DELETION = "deletion", _("Deletion")
    WITHDRAW_CONSENT = "withdraw_consent", _("Withdrawal of consent")
    OBJECT_MARKETING = "object_marketing", _("Objection to marketing")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


class Verification(models.TextChoices):
    IN_PERSON = "in_person", _("ID document shown in person")
    DOCUMENT_COPY = "document_copy", _("Copy of ID document")
    PHONE_CALLBACK = "phone_callback", _("Call back to the number on file")
    EMAIL = "email", _("Reply from the e-mail on file")
    OTHER = "other", _("Other")


class DataSubjectRequest(TimeStampedModel):
    """A person's request to see, copy, correct or delete their data, or to withdraw consent
    (个人信息权利请求), handled by an archive administrator within the deadline."""

    kind = models.CharField(_("type"), max_length=20, choices=RequestKind.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="privacy_requests",
    )
    verification = models.CharField(
        _("identity verified by"), max_length=20, choices=Verification.choices
    )
    verification_note = models.CharField(_("verification note"), max_length=300, blank=True)
    received_on = models.DateField(_("date received"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The language of the copy: the person's (zh-hans or en).
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    details = models.TextField(_("what the person asks"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # The copy (a zip of HTML and JSON), encrypted at rest like exports; removed on deletion.
    copy_path = models.CharField(_("copy file"), max_length=200, blank=True)
    copy_made_at = models.DateTimeField(_("copy made at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["kind", "-id"]),
        ]
        constraints = [
            choices_check("kind", RequestKind, "privacy_request_kind_valid"),
            choices_check("status", RequestStatus, "privacy_request_status_valid"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in {RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS}


class Purpose(models.TextChoices):
    """What a person may agree to (同意的用途)."""

    MARKETING_EMAIL = "marketing_email", _("Marketing e-mail")
    MARKETING_SMS = "marketing_sms", _("Marketing SMS")
    MARKETING_PHONE = "marketing_phone", _("Marketing calls")
    DATA_SHARING = "data_sharing", _("Sharing with third parties")
    SENSITIVE_DATA = "sensitive_data", _("Processing of sensitive data")


MARKETING_PURPOSES = (Purpose.MARKETING_EMAIL, Purpose.MARKETING_SMS, Purpose.MARKETING_PHONE)


class ConsentMethod(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    PAPER = "paper", _("Signed paper form")
    CALL_RECORDING = "call_recording", _("Call recording")
    IMPORT = "import", _("Import (legal basis)")
    REQUEST = "request", _("Data-subject request")
    RETENTION = "retention", _("Anonymised by retention")


class ConsentRecord(models.Model):
    """One grant or withdrawal of consent for one purpose (同意记录); the newest per customer and
    purpose is in force. Append-only: a change of mind is a new row."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="consents",
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    at = models.DateTimeField(_("when"))
    method = models.CharField(_("how"), max_length=20, choices=ConsentMethod.choices)
    # Form and version, recording reference, legal basis of an import, paper reference.
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    submission = models.ForeignKey(
        "intake.WebFormSubmission",
        verbose_name=_("web-form submission"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    request = models.ForeignKey(
        DataSubjectRequest,
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consents",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["purpose", "customer", "-at", "-id"])]
        constraints = [
            choices_check("purpose", Purpose, "privacy_consent_purpose_valid"),
            models.UniqueConstraint(
                fields=["submission", "purpose"],
                condition=models.Q(submission__isnull=False),
                name="privacy_consent_submission_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.purpose} {'+' if self.granted else '-'}"


class RetentionRule(TimeStampedModel):
    """How long the archive keeps a kind of customer before it is anonymised (保存期限)."""

    class Kind(models.TextChoices):
        INACTIVE_LEADS = "inactive_leads", _("Leads with no activity for N months")
        LOST_CUSTOMERS = "lost_customers", _("Lost customers after N months")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    months = models.PositiveSmallIntegerField(_("months"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(months__gte=1), name="privacy_rule_months"),
        ]

    def __str__(self) -> str:
        return self.name


class RetentionFlag(models.Model):
    """A customer a retention rule found, waiting for review; approved ones are anonymised by
    the nightly job."""

    class Status(models.TextChoices):
        FLAGGED = "flagged", _("Waiting for review")
        APPROVED = "approved", _("Approved for anonymisation")
        KEPT = "kept", _("Kept")
        ANONYMISED = "anonymised", _("Anonymised")

    rule = models.ForeignKey(RetentionRule, on_delete=models.CASCADE, related_name="flags")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.FLAGGED
    )
    flagged_at = models.DateTimeField(_("flagged at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("retention flag")
        verbose_name_plural = _("retention flags")
        ordering = ["-flagged_at", "-id"]
        indexes = [models.Index(fields=["status", "-id"])]
        constraints = [
            models.UniqueConstraint(fields=["rule", "customer"], name="privacy_flag_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.customer_id} {self.status}"


class RetentionRun(models.Model):
    """One run of the retention job: what it flagged and anonymised."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    flagged = models.PositiveIntegerField(_("flagged"), default=0)
    anonymised = models.PositiveIntegerField(_("anonymised"), default=0)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class Erasure(models.Model):
    """That a customer's personal data was erased (the shell stays for orders and cases), why
    and by whom; holds no personal data itself."""

    class Reason(models.TextChoices):
        REQUEST = "request", _("Data-subject request")
        RETENTION = "retention", _("Retention rule")

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="erasure",
    )
    at = models.DateTimeField(_("erased at"))
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    request = models.ForeignKey(
        DataSubjectRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    counts = models.JSONField(_("what was erased"), default=dict, blank=True)

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.at:%Y-%m-%d}"
