"""How long uploaded import files stay on disk: only while their batch may still read them.

A batch reads its file for the dry run and the import. Once it is imported or undone the file
goes; an unfinished batch (uploaded, checked, failed) keeps it for ``KEHU_IMPORT_FILE_DAYS``
(default 7) after its last change, so an interrupted import can continue. Leftover partial
uploads go after a day.
"""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from kehu.imports.models import ImportBatch
from kehu.imports.services import IMPORT_DIR

PARTIAL_AGE = timedelta(days=1)


def import_files_purge() -> int:
    """Delete the files no batch needs any more; returns how many went. Idempotent."""
    now = timezone.now()
    stale = now - timedelta(days=settings.KEHU_IMPORT_FILE_DAYS)
    finished = [ImportBatch.Status.DONE, ImportBatch.Status.UNDOING, ImportBatch.Status.UNDONE]
    batches = ImportBatch.objects.exclude(file_path="").filter(
        Q(status__in=finished) | Q(updated_at__lt=stale)
    )
    removed = 0
    for batch in batches:
        in_use = ImportBatch.objects.filter(file_path=batch.file_path).exclude(pk=batch.pk)
        keep = in_use.exclude(status__in=finished).filter(updated_at__gte=stale).exists()
        if not keep:
            removed += _unlink(Path(settings.DATA_DIR) / batch.file_path)
        ImportBatch.objects.filter(pk=batch.pk).update(file_path="")
    directory = Path(settings.DATA_DIR) / IMPORT_DIR
    cutoff = (now - PARTIAL_AGE).timestamp()
    for partial in directory.glob("*.part") if directory.is_dir() else ():
        if partial.stat().st_mtime < cutoff:
            removed += _unlink(partial)
    return removed


def _unlink(path: Path) -> int:
    if path.is_file():
        path.unlink()
        return 1
    return 0
