from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel, choices_check
from kehu.exports.models import RecordKind


class BulkAction(TimeStampedModel):
    """One change to many records of a list at once (批量操作): who, what, to which records, how
    far it got, and what each record held before, so assigning and tagging can be undone."""

    Kind = RecordKind

    class Action(models.TextChoices):
        ASSIGN = "assign", _("Assign to")
        TAG = "tag", _("Add tag")
        UNTAG = "untag", _("Remove tag")
        GRADE = "grade", _("Change grade")
        STAGE = "stage", _("Change stage")
        STATUS = "status", _("Change status")
        PRIORITY = "priority", _("Change priority")
        SHARE = "share", _("Share with")
        SEGMENT = "segment", _("Add to a list segment")
        CAMPAIGN = "campaign", _("Add to a campaign")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        UNDOING = "undoing", _("Undoing")
        UNDONE = "undone", _("Undone")

    UNDOABLE = (Action.ASSIGN, Action.TAG, Action.UNTAG, Action.SHARE, Action.SEGMENT)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="bulk_actions",
        verbose_name=_("user"),
    )
    kind = models.CharField(
        _("kind of records"), max_length=13, choices=Kind.choices, default=Kind.CUSTOMERS
    )
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    # The new owner's id, the tag, the grade, the stage, the status, the priority, the id of
    # the colleague shared with, the list segment's name or the campaign's id.
    value = models.CharField(_("value"), max_length=100, blank=True)
    # Why, kept on each record's history where its single change keeps one (a correction's
    # reason, a case's priority change).
    note = models.CharField(_("reason"), max_length=300, blank=True)
    record_ids = models.JSONField(_("selected records"), default=list)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    done = models.PositiveIntegerField(_("done"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    # Records that refused the change (a closed case, an owner who may not have it…).
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    # Record id (as text) → what it held before: its owner's id ("" for none) for an
    # assignment, whether it had the tag ("1"/"0") for tagging, "0" for a share or a list
    # segment it was not in, the old value otherwise.
    before = models.JSONField(_("held before"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "-id"])]

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints = [
        choices_check("kind", RecordKind, "bulk_action_kind_valid"),
        choices_check("action", Action, "bulk_action_action_valid"),
        choices_check("status", Status, "bulk_action_status_valid"),
    ]

    def __str__(self) -> str:
        return f"{self.kind} {self.action} × {len(self.record_ids)}"

    @property
    def total(self) -> int:
        return len(self.record_ids)

    @property
    def undoable(self) -> bool:
        return self.action in self.UNDOABLE and self.status == self.Status.DONE
