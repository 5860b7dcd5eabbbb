"""Duplicates and merge (查重与合并): finder runs, the review queue of candidate pairs, merges.

A finder run (``DuplicateRun``) scores pairs of live customers with splink and keeps the likely
ones as ``DuplicateCandidate`` rows, the archive administrator's review queue. A ``Merge``
records exactly what one merge moved and overwrote, so it can be undone.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.encryption import EncryptedTextField
from kehu.core.models import TimeStampedModel, choices_check


class DuplicateRun(TimeStampedModel):
    """One search of the whole archive for duplicates, with its progress and figures."""

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
    threshold = models.FloatField(_("threshold"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    pairs_compared = models.BigIntegerField(_("pairs compared"), default=0)
    candidates = models.PositiveIntegerField(_("candidates"), default=0)
    new_candidates = models.PositiveIntegerField(_("new candidates"), default=0)
    timings = models.JSONField(_("seconds per stage"), default=dict, blank=True)
    # The m, u probabilities the run estimated, by comparison and level (empty: the priors);
    # the checks at entry score with the latest.
    parameters = models.JSONField(_("model parameters"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("duplicate search")
        verbose_name_plural = _("duplicate searches")
        ordering = ["-id"]

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints = [
        choices_check("status", Status, "dedup_run_status_valid"),
    ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}


class DuplicateCandidate(models.Model):
    """Two customers the finder thinks are one (疑似重复): the review queue's entries.

    The pair is stored in id order (``customer_a`` < ``customer_b``), so it exists once;
    a dismissed pair stays dismissed when the finder runs again.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("To review")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Not a duplicate")
        # One side was merged with a third customer; the survivor is compared anew next run.
        SUPERSEDED = "superseded", _("Superseded by a merge")

    customer_a = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    customer_b = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("possible duplicate"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20)
    match_probability = models.FloatField(_("match probability"))
    match_weight = models.FloatField(_("match weight"), default=0)
    # Field groups that agreed (name, name_pinyin, phone, email, id_number…), for people.
    agreed = models.JSONField(_("agreeing fields"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    found_at = models.DateTimeField(_("found at"))
    run = models.ForeignKey(
        DuplicateRun,
        verbose_name=_("found by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
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
        verbose_name = _("duplicate candidate")
        verbose_name_plural = _("duplicate candidates")
        ordering = ["-match_probability", "-id"]
        indexes = [
            models.Index(fields=["status", "-match_probability", "-id"], name="dedup_cand_queue"),
            models.Index(
                fields=["status", "kind", "-match_probability", "-id"], name="dedup_cand_kind"
            ),
            models.Index(fields=["customer_b"], name="dedup_cand_b"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer_a", "customer_b"], name="dedup_pair_unique"),
            models.CheckConstraint(
                condition=models.Q(customer_a__lt=models.F("customer_b")),
                name="dedup_pair_ordered",
            ),
        ]

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints += [
        choices_check("status", Status, "dedup_candidate_status_valid"),
    ]

    def __str__(self) -> str:
        return f"{self.customer_a_id} ~ {self.customer_b_id} ({self.match_probability:.3f})"


class Merge(TimeStampedModel):
    """One merge of customers into a survivor, with what it moved and overwrote (to undo it).

    ``detail`` holds what is not sensitive: per loser the rows moved (model label, field, ids),
    many-to-many links added, its status before, the fields chosen and the candidates closed.
    ``secrets`` (encrypted) holds values that may be: the survivor's field values before and
    after the merge, and each loser's cleared ID-number hash / credit code.
    """

    class Status(models.TextChoices):
        DONE = "done", _("Merged")
        UNDONE = "undone", _("Undone")

    survivor = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("surviving customer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    others = models.ManyToManyField(
        "customers.Customer", verbose_name=_("merged customers"), related_name="+"
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default="done")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    secrets = EncryptedTextField(_("overwritten values"), blank=True, default="")

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-id"]
        indexes = [models.Index(fields=["survivor", "-id"], name="dedup_merge_survivor")]

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints = [
        choices_check("status", Status, "dedup_merge_status_valid"),
    ]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.survivor_id}"
