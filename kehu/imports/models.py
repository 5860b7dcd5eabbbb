"""Imports of customers from CSV and XLSX files (导入): one ``ImportBatch`` per uploaded file,
reusable column mappings (``ImportMapping``) and the per-row report (``ImportRow``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.models import TimeStampedModel


class ImportBatch(TimeStampedModel):
    """One uploaded file, its column mapping, its dry run and its import.

    Every fact an import writes carries the batch (``CustomerChange.import_batch``) and the
    channel chosen for it, so the archive can say a phone number came from "exhibition list,
    import #12", and the administrator can undo the whole import.

    ``processed_rows`` is the checkpoint: the data rows whose outcome is written. It advances in
    the same transaction as the rows of each chunk, so an interrupted import continues there.
    Undoing works the same way: ``undone_rows`` counts the imported rows (created, then
    updated) already undone, advanced with each chunk's deletions and restorations.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATING = "validating", _("Checking")
        VALIDATED = "validated", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        UNDOING = "undoing", _("Undoing")
        UNDONE = "undone", _("Undone")

    class Duplicates(models.TextChoices):
        SKIP = "skip", _("Skip the row")
        FILL = "fill", _("Fill empty fields")
        OVERWRITE = "overwrite", _("Overwrite fields")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    original_name = models.CharField(_("file"), max_length=255)
    kind = models.CharField(_("kind"), max_length=20, default="person")
    channel = models.ForeignKey(
        "customers.Channel",
        verbose_name=_("channel"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UPLOADED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    duplicates = models.CharField(
        _("existing customers"), max_length=10, choices=Duplicates.choices, default=Duplicates.SKIP
    )
    # Order-history imports (kind "orders"): create products the catalogue does not have yet,
    # or refuse their rows.
    create_products = models.BooleanField(_("create unknown products"), default=True)
    # Relative to the data directory.
    file_path = models.CharField(_("stored file"), max_length=200, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True, db_index=True)
    file_size = models.PositiveBigIntegerField(_("size"), default=0)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    # column header -> field code ("" or absent: ignored)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    checked_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows imported"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid"), default=0)
    invalid_rows = models.PositiveIntegerField(_("invalid"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("existing customers"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)
    # The file's hash when its dry run passed with the current mapping: an import starts only
    # over the file that was checked.
    checked_hash = models.CharField(_("checked file hash"), max_length=64, blank=True)
    # What the reader noticed about the whole file (lines that are not rows of their own).
    reading_note = models.CharField(_("reading note"), max_length=300, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Rows to undo (created and updated ones) and the checkpoint: how many of them are undone.
    undo_rows = models.PositiveIntegerField(_("rows to undo"), default=0)
    undone_rows = models.PositiveIntegerField(_("rows undone"), default=0)
    deleted_count = models.PositiveIntegerField(_("deleted"), default=0)
    archived_count = models.PositiveIntegerField(_("archived"), default=0)
    restored_count = models.PositiveIntegerField(_("fields restored"), default=0)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    @property
    def is_running(self) -> bool:
        return self.status in {
            self.Status.VALIDATING,
            self.Status.IMPORTING,
            self.Status.UNDOING,
        }

    @property
    def is_stalled(self) -> bool:
        """Running by its status, but no chunk written for 5 minutes: the process doing it
        was stopped (a chunk takes seconds). It may be continued."""
        from datetime import timedelta

        from django.utils import timezone

        stale = timezone.now() - timedelta(minutes=5)
        return self.is_running and self.updated_at is not None and self.updated_at < stale

    @property
    def can_continue(self) -> bool:
        """An import that stopped part-way (failed or stalled) and can go on from its checkpoint."""
        stopped = self.status == self.Status.FAILED or (
            self.is_stalled and self.status != self.Status.UNDOING
        )
        return stopped and self.processed_rows > 0

    @property
    def can_undo(self) -> bool:
        """A finished import, or one that stopped part-way: what it wrote can be undone."""
        return self.status == self.Status.DONE or self.can_continue

    @property
    def can_continue_undo(self) -> bool:
        """An undo that stopped part-way (with an error, or stalled): it may be continued."""
        return self.status == self.Status.UNDOING and (bool(self.error) or self.is_stalled)

    @property
    def is_polled(self) -> bool:
        """Running and moving: the page asks for its progress every second."""
        return self.is_running and not self.is_stalled and not self.error

    @property
    def progress_percent(self) -> int:
        if self.status in {self.Status.DONE, self.Status.UNDONE}:
            return 100
        if self.status == self.Status.UNDOING:
            total, done = self.undo_rows, self.undone_rows
        else:
            total = self.total_rows or 0
            done = (
                self.processed_rows if self.status == self.Status.IMPORTING else self.checked_rows
            )
        return min(100, int(done * 100 / total)) if total else 0


class ImportMapping(TimeStampedModel):
    """A saved column mapping (column header -> field code), reusable for similar files."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, default="person")
    columns = models.JSONField(_("mapping"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportRow(models.Model):
    """The outcome of one data row: after the dry run its problems (invalid rows) or the
    customer it matches; after the import what happened to it and which customer it went to."""

    class Outcome(models.TextChoices):
        VALID = "valid", _("Valid")
        INVALID = "invalid", _("Invalid")
        EXISTING = "existing", _("Matches an existing customer")
        CREATED = "created", pgettext_lazy("import outcome", "Created")
        UPDATED = "updated", pgettext_lazy("import outcome", "Updated")
        SKIPPED = "skipped", _("Skipped")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("row"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    # [{"field": code, "message": text, "value": masked text}]
    problems = models.JSONField(_("problems"), default=list, blank=True)

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="imports_row_unique"),
        ]
        indexes = [models.Index(fields=["batch", "outcome", "row_number"])]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number} {self.outcome}"
