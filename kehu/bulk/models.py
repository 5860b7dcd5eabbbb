from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel


class BulkAction(TimeStampedModel):
    """One change to many customers at once (批量操作): who, what, to which customers, how far
    it got, and what each customer held before, so assigning and tagging can be undone."""

    class Action(models.TextChoices):
        ASSIGN = "assign", _("Assign to")
        TAG = "tag", _("Add tag")
        UNTAG = "untag", _("Remove tag")
        GRADE = "grade", _("Change grade")
        STAGE = "stage", _("Change lifecycle stage")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        UNDOING = "undoing", _("Undoing")
        UNDONE = "undone", _("Undone")

    UNDOABLE = (Action.ASSIGN, Action.TAG, Action.UNTAG)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="bulk_actions",
        verbose_name=_("user"),
    )
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    # The new owner's id, the tag, the grade or the stage.
    value = models.CharField(_("value"), max_length=100, blank=True)
    customer_ids = models.JSONField(_("customers"), default=list)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    done = models.PositiveIntegerField(_("done"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    # Customer id (as text) → what it held before: its owner's id ("" for none) for an
    # assignment, whether it had the tag ("1"/"0") for tagging.
    before = models.JSONField(_("before"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "-id"])]

    def __str__(self) -> str:
        return f"{self.action} × {len(self.customer_ids)}"

    @property
    def total(self) -> int:
        return len(self.customer_ids)

    @property
    def undoable(self) -> bool:
        return self.action in self.UNDOABLE and self.status == self.Status.DONE
