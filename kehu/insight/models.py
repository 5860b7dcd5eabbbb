"""Profile insight (客户洞察): saved cross-tab views, propensity models and their scores."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel


class CrossTabView(TimeStampedModel):
    """A saved cross-tab: two archive dimensions and a measure, the owner's own."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="crosstab_views"
    )
    name = models.CharField(_("name"), max_length=100)
    rows = models.CharField(_("rows"), max_length=60)
    columns = models.CharField(_("columns"), max_length=60)
    measure = models.CharField(_("measure"), max_length=20)

    class Meta:
        verbose_name = _("cross-tab view")
        verbose_name_plural = _("cross-tab views")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PropensityModel(TimeStampedModel):
    """A model of who buys a product category within ``horizon_days`` (购买倾向模型)."""

    class Algorithm(models.TextChoices):
        LOGISTIC = "logistic", _("Regularised logistic regression")
        BOOSTING = "boosting", _("Gradient boosting")

    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("product category"), max_length=100)
    horizon_days = models.PositiveSmallIntegerField(_("days ahead"), default=90)
    algorithm = models.CharField(
        _("algorithm"), max_length=10, choices=Algorithm.choices, default=Algorithm.LOGISTIC
    )
    use_sensitive = models.BooleanField(_("uses sensitive fields"), default=False)
    trained_at = models.DateTimeField(_("trained at"), null=True, blank=True)
    # AUC, top-decile lift, calibration bins, the influential features (JSON).
    evaluation = models.JSONField(_("evaluation"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("propensity model")
        verbose_name_plural = _("propensity models")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PropensityScore(models.Model):
    """One customer's score under one model: probability and percentile (0–100)."""

    model = models.ForeignKey(PropensityModel, on_delete=models.CASCADE, related_name="scores")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="propensity_scores"
    )
    probability = models.FloatField(_("probability"))
    percentile = models.PositiveSmallIntegerField(_("percentile"))

    class Meta:
        verbose_name = _("propensity score")
        verbose_name_plural = _("propensity scores")
        constraints = [
            models.UniqueConstraint(fields=["model", "customer"], name="insight_score_once")
        ]
        indexes = [
            models.Index(fields=["model", "-percentile"]),
            models.Index(fields=["customer", "model"]),
        ]

    def __str__(self) -> str:
        return f"{self.model_id}:{self.customer_id}={self.probability:.3f}"


class CrossTabCell(models.Model):
    """One cell of the archive-wide cross-tab, counted in the background (交叉分析预汇总).

    Every ordered pair of dimensions is kept, so a large archive's table is read in one small
    query instead of a grouped scan of every customer; ``built_at`` is shown beside it."""

    rows = models.CharField(_("rows"), max_length=60)
    columns = models.CharField(_("columns"), max_length=60)
    row_key = models.CharField(max_length=200, blank=True)
    column_key = models.CharField(max_length=200, blank=True)
    customers = models.PositiveIntegerField(_("customers"))
    revenue = models.DecimalField(_("revenue"), max_digits=20, decimal_places=2, null=True)
    orders = models.PositiveIntegerField(_("orders"), null=True)
    clv_sum = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    clv_count = models.PositiveIntegerField(default=0)
    churn = models.PositiveIntegerField(default=0)
    built_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("cross-tab cell")
        verbose_name_plural = _("cross-tab cells")
        indexes = [models.Index(fields=["rows", "columns"])]

    def __str__(self) -> str:
        return f"{self.rows}×{self.columns}[{self.row_key},{self.column_key}]={self.customers}"
