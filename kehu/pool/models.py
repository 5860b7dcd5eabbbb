"""The public pool (公海): customers nobody follows up return to it, and reps claim them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel


class PoolPolicy(TimeStampedModel):
    """The rules of the public pool, one row, edited by an administrator.

    A customer whose owner has logged no interaction for the grade's number of days (counted
    from the last interaction, or from when the owner got the customer) returns to the pool;
    the owner is warned ``warning_days`` before. 0 days: that grade never returns.
    """

    enabled = models.BooleanField(
        _("return neglected customers to the pool"),
        default=False,
        help_text=_("Off: customers stay with their owners however long they wait."),
    )
    days_important = models.PositiveSmallIntegerField(_("days for important customers"), default=90)
    days_special = models.PositiveSmallIntegerField(_("days for special customers"), default=60)
    days_general = models.PositiveSmallIntegerField(_("days for general customers"), default=30)
    warning_days = models.PositiveSmallIntegerField(_("warn the owner days before"), default=7)
    claim_limit = models.PositiveSmallIntegerField(
        _("claims per rep per day"),
        default=10,
        help_text=_("How many customers one person may take from the pool in a day."),
    )

    class Meta:
        verbose_name = _("public pool policy")
        verbose_name_plural = _("public pool policies")

    def __str__(self) -> str:
        return str(_("Public pool policy"))

    def days_for(self, grade: str) -> int:
        return {
            "important": self.days_important,
            "special": self.days_special,
            "general": self.days_general,
        }.get(grade, self.days_general)


class PoolClaim(models.Model):
    """A user took a customer from the public pool; counted against the daily claim limit."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pool_claims"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="pool_claims"
    )
    claimed_at = models.DateTimeField(_("claimed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pool claim")
        verbose_name_plural = _("pool claims")
        indexes = [models.Index(fields=["user", "claimed_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} ← {self.customer_id}"
