"""Uploaded files: decompression bombs refused, files kept only while needed (audit 3, 4)."""

import io
import os
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook

from kehu.imports import readers, safety, services
from kehu.imports.models import ImportBatch
from kehu.imports.retention import import_files_purge

pytestmark = pytest.mark.django_db

CSV = "姓名,手机\n张伟,13812345678\n".encode()


def workbook_bytes():
    book = Workbook()
    book.active.append(["姓名", "手机"])
    book.active.append(["张伟", "13812345678"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_shared_strings(xlsx: bytes, size: int) -> bytes:
    """The workbook with its shared-strings part replaced by ``size`` bytes of one letter."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            if item.filename != "xl/sharedStrings.xml":
                target.writestr(item, source.read(item))
        target.writestr("xl/sharedStrings.xml", b"<sst>" + b"A" * size + b"</sst>")
    return out.getvalue()


def upload(user, content, name):
    return services.import_upload(user=user, upload=io.BytesIO(content), name=name)


def test_a_shared_strings_bomb_is_refused_before_it_is_opened(archivist, monkeypatch):
    monkeypatch.setattr(safety, "SHARED_STRINGS_MAX", 2 * safety.MB)
    bomb = with_shared_strings(workbook_bytes(), 3 * safety.MB)
    assert len(bomb) < 100_000  # a small file ...
    with pytest.raises(ValidationError) as refused:
        upload(archivist, bomb, "bomb.xlsx")  # ... that would inflate to 3 MB
    assert "sharedStrings" in str(refused.value)
    assert not ImportBatch.objects.exists()


def test_a_part_that_compresses_too_well_is_refused(tmp_path):
    path = tmp_path / "ratio.xlsx"
    # 1.5 MB of one letter compresses about a thousand times; real sheets 5-30 times
    path.write_bytes(with_shared_strings(workbook_bytes(), int(1.5 * safety.MB)))
    with pytest.raises(ValidationError):
        safety.xlsx_check(path)


def test_an_ordinary_workbook_passes(archivist):
    batch = upload(archivist, workbook_bytes(), "list.xlsx")
    assert batch.columns == ["姓名", "手机"]


def test_files_of_imported_and_undone_batches_are_purged(archivist):
    batch = upload(archivist, CSV, "a.csv")
    path = readers.batch_path(batch)
    assert path.is_file()
    assert import_files_purge() == 0  # still needed
    assert path.is_file()
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.UNDONE)
    assert import_files_purge() == 1
    assert not path.exists()
    assert ImportBatch.objects.get(pk=batch.pk).file_path == ""


def test_files_of_abandoned_batches_go_after_the_retention(archivist, settings):
    settings.KEHU_IMPORT_FILE_DAYS = 7
    batch = upload(archivist, CSV, "a.csv")
    path = readers.batch_path(batch)
    old = timezone.now() - timedelta(days=8)
    ImportBatch.objects.filter(pk=batch.pk).update(updated_at=old)
    partial = path.parent / "upload-1.part"
    partial.write_bytes(b"x")
    stale = time.time() - 2 * 86400
    os.utime(partial, (stale, stale))
    assert import_files_purge() == 2
    assert not path.exists()
    assert not partial.exists()


def test_the_purge_is_scheduled(archivist):
    from huey.contrib.djhuey import HUEY

    from kehu.imports import tasks

    assert tasks.purge_import_files.task_class in HUEY._registry._periodic_tasks
    batch = upload(archivist, CSV, "a.csv")
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.DONE)
    tasks.purge_import_files.call_local()
    assert not readers.batch_path(batch).exists()


def test_uploaded_files_are_private(archivist):
    batch = upload(archivist, CSV, "a.csv")
    path: Path = readers.batch_path(batch)
    assert path.stat().st_mode & 0o777 == 0o600
