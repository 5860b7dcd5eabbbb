"""After a realistic session no personal value lies in clear in a file of the data directory or
in the logs (audit finding 3): a customer with an ID number created, searched for, exported
(with the ID number revealed) and imported."""

import io
import logging
from pathlib import Path

import pytest
from django.test import Client

from kehu.core.encryption import decrypted_chunks
from kehu.exports.models import ExportJob
from kehu.exports.selectors import export_file
from kehu.imports import services as import_services
from kehu.imports.retention import import_files_purge

pytestmark = pytest.mark.django_db

ID_NUMBER = "110101199003070011"
PHONE = "13912345678"
IMPORTED_ID = "110101198501010025"
IMPORTED_PHONE = "13711112222"


def files_under(directory: Path):
    return [path for path in directory.rglob("*") if path.is_file()]


def test_no_clear_values_in_data_files_or_logs(
    settings, tmp_path, archivist, huey_immediate, caplog
):
    settings.DATA_DIR = tmp_path
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.force_login(archivist)
    # create a customer with an ID number and a phone
    response = client.post(
        "/api/v1/customers/",
        {
            "kind": "person",
            "fields": {"name": "张伟", "person.id_number": ID_NUMBER, "phones": PHONE},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    # search for it by ID number and by phone from the top bar
    for q in (ID_NUMBER, PHONE):
        assert client.post("/search/", {"q": q}).status_code == 200
    # export it with the ID number (an archive administrator may reveal it)
    response = client.post(
        "/api/v1/exports/",
        {"columns": ["name", "person.id_number", "phones"], "format": "csv"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    job = ExportJob.objects.get()
    path = export_file(job)
    assert path is not None
    exported = b"".join(decrypted_chunks(path)).decode("utf-8-sig")
    assert ID_NUMBER in exported  # the export holds it; only not in clear on disk
    # import another customer with an ID number, and finish the import
    content = f"姓名,手机,身份证号\n李娜,{IMPORTED_PHONE},{IMPORTED_ID}\n".encode()
    batch = import_services.import_upload(
        user=archivist, upload=io.BytesIO(content), name="customers.csv"
    )
    import_services.import_dry_run(batch_id=batch.pk)
    batch = import_services.import_run(batch_id=batch.pk)
    assert batch.processed_rows == 1, batch.error
    import_files_purge()

    # then
    secrets = [ID_NUMBER, PHONE, IMPORTED_ID, IMPORTED_PHONE]
    files = files_under(tmp_path)
    assert any(path.parent.name == "exports" for path in files)  # the export is still there
    for path in files:
        raw = path.read_bytes()
        for value in secrets:
            assert value.encode() not in raw, f"{value} in clear in {path}"
        assert path.stat().st_mode & 0o077 == 0, f"{path} readable by others"
    for value in secrets:
        assert value not in caplog.text, f"{value} in the log"
