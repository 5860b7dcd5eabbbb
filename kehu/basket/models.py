"""Market-basket analysis (购物篮分析): mining runs with their frequent itemsets and
association rules, at product or category level. Rules are mined in the background and read
from here; a request never computes them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel


class Level(models.TextChoices):
    PRODUCT = "product", _("Product")
    CATEGORY = "category", _("Category")


class MiningRun(TimeStampedModel):
    """One mining of the order baskets; the latest finished run per level is the one shown."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class BasketMode(models.TextChoices):
        ORDER = "order", _("One order")
        WINDOW = "window", _("A customer's orders within N days")

    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    basket_mode = models.CharField(
        _("basket"), max_length=10, choices=BasketMode.choices, default=BasketMode.ORDER
    )
    window_days = models.PositiveSmallIntegerField(_("window (days)"), default=30)
    min_support = models.FloatField(_("minimum support"))
    min_confidence = models.FloatField(_("minimum confidence"))
    max_len = models.PositiveSmallIntegerField(_("largest itemset"), default=3)
    # On a small archive a tiny support is one or two baskets: chance, not a pattern.
    min_baskets = models.PositiveIntegerField(_("minimum baskets"), default=3)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    baskets = models.PositiveIntegerField(_("baskets"), default=0)
    itemset_count = models.PositiveIntegerField(_("frequent itemsets"), default=0)
    rule_count = models.PositiveIntegerField(_("rules"), default=0)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("mining run")
        verbose_name_plural = _("mining runs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["level", "status", "-id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_support__gt=0) & Q(min_support__lte=1),
                name="basket_run_support_range",
            ),
            models.CheckConstraint(
                condition=Q(min_confidence__gte=0) & Q(min_confidence__lte=1),
                name="basket_run_confidence_range",
            ),
            models.CheckConstraint(
                condition=Q(level__in=Level.values), name="basket_run_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} #{self.pk}"


class FrequentItemset(models.Model):
    """Items are product ids (product level) or category names (category level)."""

    run = models.ForeignKey(MiningRun, on_delete=models.CASCADE, related_name="itemsets")
    items = models.JSONField(_("items"))
    size = models.PositiveSmallIntegerField(_("size"))
    count = models.PositiveIntegerField(_("baskets"))
    support = models.FloatField(_("support"))

    class Meta:
        verbose_name = _("frequent itemset")
        verbose_name_plural = _("frequent itemsets")
        ordering = ["-support"]

    def __str__(self) -> str:
        return f"{self.items} {self.support:.4f}"


class AssociationRule(models.Model):
    """antecedent → consequent. ``*_keys`` hold the items as ``|a|b|`` so that "rules with
    this product on the left" is one indexed-free LIKE on SQLite and PostgreSQL alike."""

    run = models.ForeignKey(MiningRun, on_delete=models.CASCADE, related_name="rules")
    antecedent = models.JSONField(_("if bought"))
    consequent = models.JSONField(_("then also"))
    antecedent_keys = models.CharField(max_length=400)
    consequent_keys = models.CharField(max_length=400)
    size = models.PositiveSmallIntegerField(_("size"))
    count = models.PositiveIntegerField(_("baskets"))
    support = models.FloatField(_("support"))
    antecedent_support = models.FloatField(_("antecedent support"))
    consequent_support = models.FloatField(_("consequent support"))
    confidence = models.FloatField(_("confidence"))
    lift = models.FloatField(_("lift"))
    leverage = models.FloatField(_("leverage"))
    # None when the confidence is 1 (infinite conviction).
    conviction = models.FloatField(_("conviction"), null=True)

    class Meta:
        verbose_name = _("association rule")
        verbose_name_plural = _("association rules")
        ordering = ["-lift", "-confidence", "id"]
        indexes = [models.Index(fields=["run", "-lift"])]

    def __str__(self) -> str:
        return f"{self.antecedent} → {self.consequent}"
