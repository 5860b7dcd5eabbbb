"""Key accounts and oversight (重点客户与风险): risk rules and each customer's risk with its
reasons, risk alerts, periodic reviews (定期审查) with their cycles and checklist, sales targets
and the watch list of growing or declining customers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.kept import KeptDecoder, KeptEncoder
from kehu.core.models import TimeStampedModel, choices_check


class RiskLevel(models.IntegerChoices):
    NONE = 0, _("No risk")
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")


class RiskRule(TimeStampedModel):
    """One risk rule, on or off, with its thresholds (which of them a rule reads: ``RULES``)."""

    class Code(models.TextChoices):
        OVERDUE = "overdue", _("Receivables overdue")
        CREDIT = "credit", _("Credit limit used")
        DECLINE = "decline", _("Orders falling")
        COMPLAINTS = "complaints", _("Complaints or low ratings")
        SLIPPING = "slipping", _("High-value customer slipping away")
        ORG_CHANGE = "org_change", _("Organization facts changed")
        SILENCE = "silence", _("Key customer silent")

    code = models.CharField(_("rule"), max_length=20, choices=Code.choices, unique=True)
    enabled = models.BooleanField(_("on"), default=True)
    level = models.PositiveSmallIntegerField(
        _("risk level of a hit"), choices=RiskLevel.choices, default=RiskLevel.MEDIUM
    )
    days = models.PositiveIntegerField(_("days"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    percent = models.DecimalField(
        _("percent"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    count = models.PositiveIntegerField(_("count"), null=True, blank=True)

    class Meta:
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")
        ordering = ["id"]

    Meta.constraints = [
        choices_check("code", Code, "oversight_rule_code_valid"),
        models.CheckConstraint(
            condition=Q(level__gte=1, level__lte=3), name="oversight_rule_level"
        ),
    ]

    def __str__(self) -> str:
        return str(self.get_code_display())


class CustomerRisk(models.Model):
    """A customer's risk as of the last computation: its level and the reasons (one per rule
    hit: ``{"rule", "level", "figures", "on"}``). Only customers at risk have a row."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="risk",
    )
    level = models.PositiveSmallIntegerField(_("risk level"), choices=RiskLevel.choices)
    reasons = models.JSONField(_("reasons"), default=list)
    rules = models.CharField(_("rules hit"), max_length=200, default="")  # ",overdue,credit,"
    since = models.DateTimeField(_("at this level since"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("customer risk")
        verbose_name_plural = _("customer risks")
        indexes = [
            models.Index(fields=["level", "customer"], name="oversight_risk_level"),
            # The dashboards' data version reads the newest computation (kpis.data_version):
            # without it, a scan of every risk (335,926 at 1,000,000 customers: ~50 ms).
            models.Index(fields=["computed_at"], name="oversight_risk_computed"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.level}"


class RiskAlert(models.Model):
    """A customer entered a higher risk level: sent once to the owner and their managers, to be
    acknowledged with a note ("handled: agreed a payment plan") that shows on the timeline."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="risk_alerts"
    )
    level = models.PositiveSmallIntegerField(_("risk level"), choices=RiskLevel.choices)
    previous_level = models.PositiveSmallIntegerField(
        _("previous level"), choices=RiskLevel.choices
    )
    reasons = models.JSONField(_("reasons"), default=list)
    raised_at = models.DateTimeField(_("raised at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("risk alert")
        verbose_name_plural = _("risk alerts")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-raised_at"], name="oversight_alert_customer"),
            models.Index(
                fields=["-raised_at"],
                condition=Q(acknowledged_at__isnull=True),
                name="oversight_alert_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.level}"


class RiskRun(models.Model):
    """One computation of the risks: whole archive (nightly) or the customers whose facts
    changed since the last one (``marks``: the last row id seen per source table)."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    full = models.BooleanField(_("whole archive"), default=True)
    customers = models.PositiveIntegerField(_("customers at risk"), default=0)
    alerts = models.PositiveIntegerField(_("alerts"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)
    marks = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("risk computation")
        verbose_name_plural = _("risk computations")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.started_at:%Y-%m-%d %H:%M}"


class OversightSettings(TimeStampedModel):
    """The one row of settings: whether review changes need approval."""

    review_approval = models.BooleanField(
        _("changes proposed by a review need a manager's approval"), default=True
    )

    class Meta:
        verbose_name = _("oversight settings")
        verbose_name_plural = _("oversight settings")

    def __str__(self) -> str:
        return "oversight settings"


class ReviewCycle(TimeStampedModel):
    """How often customers of a grade are reviewed (重要 every 2 months, 一般 yearly…)."""

    grade = models.CharField(_("grade"), max_length=10, unique=True)
    months = models.PositiveSmallIntegerField(_("every (months)"))

    class Meta:
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        ordering = ["months"]
        constraints = [models.CheckConstraint(condition=Q(months__gte=1), name="oversight_cycle")]

    def __str__(self) -> str:
        return f"{self.grade}: {self.months}"


class ReviewCheck(TimeStampedModel):
    """One item of the review checklist (contact details verified, credit checked…)."""

    label = models.CharField(_("Chinese label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        verbose_name = _("review checklist item")
        verbose_name_plural = _("review checklist items")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.label


class Review(TimeStampedModel):
    """A periodic review (定期审查) of one customer: the checklist, proposed changes with their
    reason, the outcome and the next review date. Changes are applied through the archive's
    history (provenance), at once or after a manager's approval."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        PENDING = "pending", _("Waiting for approval")
        REJECTED = "rejected", _("Changes rejected")

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checklist = models.JSONField(_("checklist"), default=list)  # [[label, done], …]
    changes = models.JSONField(_("proposed changes"), default=dict)  # field → [old, new]
    reason = models.CharField(_("reason for the changes"), max_length=300, blank=True)
    outcome = models.TextField(_("outcome"))
    next_review_on = models.DateField(_("next review"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="oversight_review_customer"),
            models.Index(fields=["status", "-created_at"], name="oversight_review_status"),
        ]

    Meta.constraints = [choices_check("status", Status, "oversight_review_status_valid")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.created_at:%Y-%m-%d}"


class ReviewSchedule(models.Model):
    """When a customer is next due for review, as the last review set it."""

    customer = models.OneToOneField(
        "customers.Customer", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    due_on = models.DateField(_("next review"))

    class Meta:
        verbose_name = _("review schedule")
        verbose_name_plural = _("review schedules")
        indexes = [models.Index(fields=["due_on"], name="oversight_schedule_due")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.due_on}"


class SalesTarget(TimeStampedModel):
    """A sales target for a rep or a team for one month or quarter."""

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    class Metric(models.TextChoices):
        REVENUE = "revenue", _("Revenue")
        COLLECTED = "collected", _("Collections")
        NEW_CUSTOMERS = "new_customers", _("New customers")

    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    starts_on = models.DateField(_("starts on"))  # the first day of the month or quarter
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales rep"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    metric = models.CharField(_("measure"), max_length=14, choices=Metric.choices)
    amount = models.DecimalField(_("target"), max_digits=16, decimal_places=2)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        ordering = ["-starts_on", "id"]
        indexes = [models.Index(fields=["starts_on", "period"], name="oversight_target_period")]

    Meta.constraints = [
        choices_check("period", Period, "oversight_target_period_valid"),
        choices_check("metric", Metric, "oversight_target_metric_valid"),
        models.CheckConstraint(
            condition=(Q(owner__isnull=True) & Q(team__isnull=False))
            | (Q(owner__isnull=False) & Q(team__isnull=True)),
            name="oversight_target_rep_or_team",
        ),
        models.CheckConstraint(condition=Q(amount__gte=0), name="oversight_target_positive"),
        models.UniqueConstraint(
            fields=["period", "starts_on", "owner", "metric"],
            condition=Q(owner__isnull=False),
            name="oversight_target_once_rep",
        ),
        models.UniqueConstraint(
            fields=["period", "starts_on", "team", "metric"],
            condition=Q(team__isnull=False),
            name="oversight_target_once_team",
        ),
    ]

    def __str__(self) -> str:
        return f"{self.period} {self.starts_on} {self.metric}"


class Watch(models.Model):
    """A customer on the watch list (growth or decline noticed), with the reason."""

    customer = models.OneToOneField(
        "customers.Customer", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    watched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    watched_at = models.DateTimeField(_("watched since"))

    class Meta:
        verbose_name = _("watched customer")
        verbose_name_plural = _("watched customers")

    def __str__(self) -> str:
        return f"{self.customer_id}"


class KeptDashboard(models.Model):
    """A dashboard's figures as last computed, off the request (``kpis.dashboard_keep``), for
    one scope and choice of filters: the pages and the API read them and never compute on a
    request, except the first time that scope asks for those filters."""

    key = models.CharField(max_length=200, unique=True)  # scope, period, day chosen, team
    user = models.ForeignKey(  # whose scope: computed again as them
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    on = models.DateField(_("for the day"))  # "today" when computed
    version = models.CharField(_("data version"), max_length=300)  # kpis.data_version()
    computed_at = models.DateTimeField(_("computed at"))
    figures = models.JSONField(_("figures"), encoder=KeptEncoder, decoder=KeptDecoder)

    class Meta:
        verbose_name = _("kept dashboard")
        verbose_name_plural = _("kept dashboards")

    def __str__(self) -> str:
        return f"{self.key} {self.computed_at:%Y-%m-%d %H:%M}"
