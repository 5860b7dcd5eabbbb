"""Imports of customers from CSV and XLSX files (导入): one ``ImportBatch`` per uploaded file."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel


class ImportBatch(TimeStampedModel):
    """One uploaded file, its column mapping, its dry run and its import.

    Every fact an import writes carries the batch (``CustomerChange.import_batch``) and the
    channel chosen for it, so the archive can say a phone number came from "exhibition list,
    import #12", and the administrator can undo the whole import.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATING = "validating", _("Checking")
        VALIDATED = "validated", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

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

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"
