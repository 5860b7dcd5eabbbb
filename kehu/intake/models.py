"""Intake (客户信息采集): call-center events and public web forms that feed the archive.

Every call event and every form submission is kept as received (the receipt), and what it did
to the archive (which customer, which interaction, whether a lead was created) is recorded on
it, so a repeated delivery finds its first result instead of doing the work twice.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel, choices_check


class LeadAssignment(TimeStampedModel):
    """Who gets a lead that arrives by itself (unknown caller, new web-form visitor).

    One row (pk 1), edited by administrators on the intake settings page.
    """

    class Rule(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin within a team")
        FIXED_USER = "fixed_user", _("Always the same user")
        PUBLIC_POOL = "public_pool", _("Nobody: into the public pool")

    rule = models.CharField(
        _("rule"), max_length=12, choices=Rule.choices, default=Rule.PUBLIC_POOL
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who takes the lead when the rule finds nobody (an empty team, a disabled user); leads
    # reach the public pool only under the pool rule or with no fallback.
    fallback_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fallback owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The round robin's position: the member who got the last lead.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("lead assignment")
        verbose_name_plural = _("lead assignment")

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints = [choices_check("rule", Rule, "intake_leadassignment_rule_valid")]

    def __str__(self) -> str:
        return str(self.get_rule_display())


class LeadRoutingRule(TimeStampedModel):
    """A rule that sends a lead of one region or about one product to a user, to a team (round
    robin), or to the public pool; checked in order before the general lead assignment, the
    first that matches decides. Edited by administrators under lead assignment."""

    class Kind(models.TextChoices):
        REGION = "region", _("By region")
        PRODUCT = "product", _("By product")

    class Target(models.TextChoices):
        USER = "user", _("A user")
        TEAM = "team", _("Round robin within a team")
        POOL = "pool", _("The public pool")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # The province-level region's name as the archive stores it (广东省, 北京市).
    province = models.CharField(_("province"), max_length=20, blank=True)
    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    target = models.CharField(_("goes to"), max_length=4, choices=Target.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The round robin's position within the team: the member who got the last lead.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lead routing rule")
        verbose_name_plural = _("lead routing rules")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="region", product__isnull=True) & ~models.Q(province="")
                | models.Q(kind="product", product__isnull=False, province=""),
                name="intake_routingrule_kind_has_its_value",
            ),
            models.CheckConstraint(
                condition=models.Q(target__in=["user", "team", "pool"]),
                name="intake_routingrule_target_valid",
            ),
        ]

    def __str__(self) -> str:
        what = self.province if self.kind == self.Kind.REGION else str(self.product)
        return f"{self.get_kind_display()}: {what}"


class CallEvent(models.Model):
    """One call event from the call center, as received; unique by the call center's id."""

    class Match(models.TextChoices):
        CUSTOMER = "customer", _("Customer's phone")
        CONTACT = "contact", _("Contact's phone")
        NEW_LEAD = "new_lead", _("Unknown number: new lead")

    call_id = models.CharField(_("call id"), max_length=100, unique=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    number = models.CharField(_("customer's number"), max_length=20, db_index=True)
    payload = models.JSONField(_("payload"), default=dict)
    match = models.CharField(_("matched by"), max_length=10, choices=Match.choices, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    interaction = models.ForeignKey(
        "interactions.Interaction",
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return self.call_id


class WebForm(TimeStampedModel):
    """A public form (网站注册表单, 产品询价表单) whose submissions become leads."""

    slug = models.SlugField(_("address"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=120)
    intro = models.TextField(_("introduction"), blank=True)
    kind = models.CharField(
        _("kind of customer"),
        max_length=20,
        choices=[("person", _("Person")), ("organization", _("Organization"))],
        default="person",
    )
    # [{"code": "phones", "required": true}, …]: archive field codes, plus "message" (the
    # visitor's words, logged on the interaction rather than stored as a fact).
    fields = models.JSONField(_("fields"), default=list)
    consent_text = models.TextField(_("consent text"), blank=True)
    consent_version = models.PositiveIntegerField(_("consent version"), default=0)
    # The purposes (kehu.privacy.models.Purpose) the consent text asks agreement to; each
    # consenting submission adds a grant per purpose to the consent register.
    consent_purposes = models.JSONField(_("consent covers"), default=list, blank=True)
    thank_you_message = models.TextField(_("thank-you message"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner of new leads"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the lead assignment rule decides."),
    )
    # The product the form asks about (产品询价表单): lead routing rules by product read it.
    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("product asked about"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Sites allowed to embed the form in an iframe (CSP frame-ancestors); empty: any site.
    embed_origins = models.JSONField(_("sites that may embed it"), default=list, blank=True)

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("public_forms:form", args=[self.slug])


class ConsentVersion(models.Model):
    """The exact consent text of a form at one version: what a visitor agreed to (PIPL)."""

    form = models.ForeignKey(WebForm, on_delete=models.CASCADE, related_name="consent_versions")
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent version")
        verbose_name_plural = _("consent versions")
        ordering = ["form", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["form", "version"], name="intake_consent_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.form_id} v{self.version}"


class WebFormSubmission(models.Model):
    """One accepted submission of a web form, with its consent record."""

    form = models.ForeignKey(WebForm, on_delete=models.PROTECT, related_name="submissions")
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True, db_index=True)
    data = models.JSONField(_("submitted values"), default=dict)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="web_form_submissions",
    )
    created_lead = models.BooleanField(_("new lead"), default=False)
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consent = models.ForeignKey(
        ConsentVersion,
        verbose_name=_("consent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="submissions",
    )
    consented_at = models.DateTimeField(_("consented at"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    via_api = models.BooleanField(_("through the API"), default=False)
    # The marketing campaign whose link brought the visitor (?campaign=CODE in the form's
    # address); marketing counts its leads by it.
    campaign_code = models.SlugField(_("campaign code"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("web form submission")
        verbose_name_plural = _("web form submissions")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["form", "-submitted_at"]),
            models.Index(fields=["campaign_code", "submitted_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consent__isnull=True) | models.Q(consented_at__isnull=False),
                name="intake_submission_consent_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.form_id} @ {self.submitted_at:%Y-%m-%d %H:%M}"


class LeadHandover(TimeStampedModel):
    """A lead handed to a sales owner by the lead-assignment rule (found by marketing or
    service), waiting for them to accept it or decline it with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for acceptance")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="handovers",
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over to"),
        on_delete=models.CASCADE,
        related_name="lead_handovers",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lead hand-over")
        verbose_name_plural = _("lead hand-overs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["to_user", "status"]),
            models.Index(fields=["customer", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="declined") | ~models.Q(reason=""),
                name="intake_handover_decline_has_reason",
            ),
        ]

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints += [
        choices_check("status", Status, "intake_handover_status_valid"),
    ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.to_user_id}: {self.status}"
