"""Data-quality snapshots (数据质量): the archive's completeness, validity, consistency,
freshness and pending duplicates as measured on one day, kept for trends."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel


class QualitySnapshot(TimeStampedModel):
    """One day's measurement; recomputing on the same day replaces it."""

    taken_on = models.DateField(_("date"), unique=True)
    computed_at = models.DateTimeField(_("computed at"))
    stale_months = models.PositiveSmallIntegerField(_("stale after (months)"), default=6)
    # {"total": …, "completeness": …, "validity": …, "consistency": …, "freshness": …,
    #  "duplicates_pending": …, "timings": …}; see kehu.quality.metrics.
    metrics = models.JSONField(_("metrics"), default=dict)
    # Customer ids behind the rules that are checked in Python (not expressible in SQL),
    # capped per rule; the drill-down lists these.
    issue_ids = models.JSONField(_("customers with issues"), default=dict)

    class Meta:
        verbose_name = _("data-quality snapshot")
        verbose_name_plural = _("data-quality snapshots")
        ordering = ["-taken_on"]

    def __str__(self) -> str:
        return self.taken_on.isoformat()
