"""Customer value analytics (客户价值分析): each customer's latest value figures, a monthly
snapshot of them for trends, and the refresh runs that compute them (with the archive's
summaries). Pages read these rows; nothing is recomputed on a request."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel, choices_check


class Segment(models.TextChoices):
    """The eight classical RFM segments: high or low on R, F and M against the averages."""

    IMPORTANT_VALUE = "important_value", _("Important value customer")  # 重要价值客户
    IMPORTANT_RETAIN = "important_retain", _("Important retention customer")  # 重要保持客户
    IMPORTANT_DEVELOP = "important_develop", _("Important development customer")  # 重要发展客户
    IMPORTANT_WIN_BACK = "important_win_back", _("Important win-back customer")  # 重要挽留客户
    GENERAL_VALUE = "general_value", _("General value customer")  # 一般价值客户
    GENERAL_RETAIN = "general_retain", _("General retention customer")  # 一般保持客户
    GENERAL_DEVELOP = "general_develop", _("General development customer")  # 一般发展客户
    GENERAL_WIN_BACK = "general_win_back", _("General win-back customer")  # 一般挽留客户


class Tier(models.TextChoices):
    A = "A", _("A: top revenue")
    B = "B", _("B: middle revenue")
    C = "C", _("C: long tail")


class SuggestedGrade(models.TextChoices):
    IMPORTANT = "important", _("Important")
    GENERAL = "general", _("General")


class CustomerValue(models.Model):
    """One customer's value figures as of the last refresh (customers with purchases only)."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="value",
    )
    first_purchase_on = models.DateField(_("first purchase"))
    last_purchase_on = models.DateField(_("last purchase"))
    purchase_days = models.PositiveIntegerField(_("purchase days"))
    orders = models.PositiveIntegerField(_("orders"))
    revenue = models.DecimalField(_("revenue"), max_digits=16, decimal_places=2)
    average_order_value = models.DecimalField(
        _("average order value"), max_digits=16, decimal_places=2
    )
    mean_interval_days = models.FloatField(_("mean days between purchases"), null=True)
    recency_days = models.PositiveIntegerField(_("days since last purchase"))
    r_score = models.PositiveSmallIntegerField(_("R score"))
    f_score = models.PositiveSmallIntegerField(_("F score"))
    m_score = models.PositiveSmallIntegerField(_("M score"))
    segment = models.CharField(_("RFM segment"), max_length=20, choices=Segment.choices)
    revenue_rank = models.PositiveIntegerField(_("revenue rank"))
    cumulative_share = models.FloatField(_("cumulative revenue share"))
    tier = models.CharField(_("value tier"), max_length=1, choices=Tier.choices)
    suggested_grade = models.CharField(
        _("suggested grade"), max_length=10, choices=SuggestedGrade.choices
    )
    p_alive = models.FloatField(_("probability active"), null=True)
    expected_30 = models.FloatField(_("expected purchases, 30 days"), null=True)
    expected_90 = models.FloatField(_("expected purchases, 90 days"), null=True)
    expected_365 = models.FloatField(_("expected purchases, 365 days"), null=True)
    next_purchase_on = models.DateField(_("expected next purchase"), null=True)
    expected_order_value = models.DecimalField(
        _("expected order value"), max_digits=16, decimal_places=2, null=True
    )
    clv_12 = models.DecimalField(_("CLV 12 months"), max_digits=16, decimal_places=2, null=True)
    clv_36 = models.DecimalField(_("CLV 36 months"), max_digits=16, decimal_places=2, null=True)
    churn_risk = models.BooleanField(_("churn risk"), default=False)
    spend_90 = models.DecimalField(_("spend, last 90 days"), max_digits=16, decimal_places=2)
    spend_prev_90 = models.DecimalField(_("spend, 90 days before"), max_digits=16, decimal_places=2)
    change_90 = models.FloatField(_("change over 90 days (%)"), null=True)
    spend_365 = models.DecimalField(_("spend, last 365 days"), max_digits=16, decimal_places=2)
    spend_prev_365 = models.DecimalField(
        _("spend, 365 days before"), max_digits=16, decimal_places=2
    )
    change_365 = models.FloatField(_("change over 365 days (%)"), null=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("customer value")
        verbose_name_plural = _("customer values")
        indexes = [
            # A tier's or segment's customers in revenue order: a drill-down stops after a page.
            models.Index(
                fields=["tier", "revenue_rank", "customer"], name="analytics_value_tier_rank"
            ),
            models.Index(
                fields=["segment", "revenue_rank", "customer"], name="analytics_value_segment_rank"
            ),
            models.Index(fields=["revenue_rank"], name="analytics_value_rank"),
            models.Index(fields=["p_alive"], name="analytics_value_p_alive"),
            models.Index(fields=["clv_12"], name="analytics_value_clv"),
            models.Index(fields=["last_purchase_on"], name="analytics_value_last"),
            models.Index(fields=["churn_risk", "revenue_rank"], name="analytics_value_churn"),
            models.Index(fields=["change_365"], name="analytics_value_change"),
            models.Index(fields=["suggested_grade", "customer"], name="analytics_value_grade"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tier__in=Tier.values), name="analytics_value_tier_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(segment__in=Segment.values),
                name="analytics_value_segment_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.tier} {self.segment}"


class ValueSnapshot(models.Model):
    """A customer's headline figures for one month (the last refresh of that month)."""

    month = models.DateField(_("month"))  # the first day of the month
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    tier = models.CharField(_("value tier"), max_length=1)
    segment = models.CharField(_("RFM segment"), max_length=20)
    revenue = models.DecimalField(_("revenue"), max_digits=16, decimal_places=2)
    p_alive = models.FloatField(_("probability active"), null=True)
    clv_12 = models.DecimalField(_("CLV 12 months"), max_digits=16, decimal_places=2, null=True)

    class Meta:
        verbose_name = _("monthly value snapshot")
        verbose_name_plural = _("monthly value snapshots")
        constraints = [
            models.UniqueConstraint(fields=["customer", "month"], name="analytics_snapshot_once")
        ]
        indexes = [models.Index(fields=["month"], name="analytics_snapshot_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.customer_id}"


class AnalyticsRun(TimeStampedModel):
    """One refresh of every customer's figures, with its progress and the archive's summary."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    as_of = models.DateField(_("as of"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    stage = models.CharField(_("stage"), max_length=20, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    purchase_days = models.PositiveIntegerField(_("purchase days"), default=0)
    # See kehu.analytics.engine.compute: repeat rate, cohorts, Pareto, CLV histogram, models…
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    timings = models.JSONField(_("seconds per stage"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("analytics refresh")
        verbose_name_plural = _("analytics refreshes")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "-id"], name="analytics_run_status")]

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints = [
        choices_check("status", Status, "analytics_run_status_valid"),
    ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


class KeptScope(models.Model):
    """The overview's figures for one viewer who sees part of the archive (a rep, a team
    manager), as last computed from the latest refresh: read by the overview instead of
    reading the viewer's whole scope on every view (``selectors.scope_figures``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    run = models.ForeignKey(AnalyticsRun, on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField(_("computed at"))
    figures = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("kept analytics overview")
        verbose_name_plural = _("kept analytics overviews")

    def __str__(self) -> str:
        return f"{self.user_id} {self.computed_at:%Y-%m-%d %H:%M}"
