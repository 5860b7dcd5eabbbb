"""Exports of the lists (导出): one ``ExportJob`` per requested file."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel, choices_check

# A job still running after this long lost its worker (killed, restarted): no export takes it.
STUCK_AFTER = timedelta(hours=2)
INTERRUPTED = _("The export stopped before it finished (its worker was interrupted); export again.")


class RecordKind(models.TextChoices):
    """The lists whose records are exported, and changed in bulk (``kehu.bulk``: the first
    four; a survey's responses are only exported)."""

    CUSTOMERS = "customers", _("Customers")
    OPPORTUNITIES = "opportunities", _("Opportunities")
    ORDERS = "orders", _("Orders")
    CASES = "cases", _("Cases")
    RESPONSES = "responses", _("Survey responses")


class ExportJob(TimeStampedModel):
    """A file of records as one user's list showed them: customers by the list's filters, with
    the columns chosen; opportunities, orders or cases as selected on their list (``record_ids``),
    with their list's columns; a survey's responses (``filters``: ``{"survey": id}``), one column
    per question. Format kept."""

    Kind = RecordKind

    class Format(models.TextChoices):
        XLSX = "xlsx", _("Excel (XLSX)")
        CSV = "csv", _("CSV (UTF-8)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="export_jobs",
    )
    kind = models.CharField(
        _("kind of records"),
        max_length=13,
        choices=RecordKind.choices,
        default=RecordKind.CUSTOMERS,
    )
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    # The selected records (not customers: those are chosen by ``filters``).
    record_ids = models.JSONField(_("selected records"), default=list, blank=True)
    columns = models.JSONField(_("columns"), default=list)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    # What the people in the file will be contacted for (a kehu.privacy Purpose); only those who
    # agreed to it are exported. Empty: record keeping by the archive, no contact.
    purpose = models.CharField(_("purpose"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    # Relative to the data directory; only the requester may download it.
    file_path = models.CharField(_("file"), max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            models.Index(fields=["requester", "-id"], name="exports_requester_id"),
            models.Index(fields=["status", "expires_at"], name="exports_status_expires"),
        ]

    # A Meta body cannot see the model's choices classes: checks built from them here.
    Meta.constraints = [
        choices_check("kind", RecordKind, "exports_job_kind_valid"),
        choices_check("format", Format, "exports_job_format_valid"),
        choices_check("status", Status, "exports_job_status_valid"),
    ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} #{self.pk}"

    @property
    def is_interrupted(self) -> bool:
        """Running for longer than ``STUCK_AFTER``: its worker was lost. ``export_jobs_for``
        annotates it (``interrupted``); it shows as failed until the periodic task
        ``fail_stuck_exports`` records that. A job loaded otherwise is not interrupted."""
        return bool(getattr(self, "interrupted", False))

    @property
    def shown_status(self) -> str:
        """The status to show: failed for an interrupted job, else the recorded one."""
        return self.Status.FAILED if self.is_interrupted else self.status

    def get_shown_status_display(self) -> str:
        return str(self.Status(self.shown_status).label)

    @property
    def shown_error(self) -> str:
        return str(INTERRUPTED) if self.is_interrupted else self.error

    @property
    def is_finished(self) -> bool:
        return self.shown_status not in {self.Status.PENDING, self.Status.RUNNING}

    @property
    def content_type(self) -> str:
        if self.format == self.Format.CSV:
            return "text/csv; charset=utf-8"
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    @property
    def file_name(self) -> str:
        """The name the download is offered under, stamped in local time (``TIME_ZONE``)."""
        stamp = timezone.localtime(self.finished_at or self.created_at).strftime("%Y%m%d-%H%M")
        return f"{self.kind}-{stamp}-{self.pk}.{self.format}"
