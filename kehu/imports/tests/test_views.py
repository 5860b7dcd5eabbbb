"""The import pages: list, upload, mapping, dry run, progress fragment, result, report
download and undo, for an archive administrator; 403 for everyone else."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.imports import services
from kehu.imports.models import ImportBatch, ImportMapping, ImportRow

pytestmark = pytest.mark.django_db

CONTENT = "客户姓名,手机号码,说明\n张伟,13812345678,展会\n王五,123,\n".encode()


def csv_file(content=CONTENT, name="名单.csv"):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def test_pages_from_upload_to_undo(
    client, archivist, huey_immediate, django_capture_on_commit_callbacks
):
    client.force_login(archivist)
    assert "Imports" in client.get("/").content.decode()
    page = client.get("/imports/new/")
    assert page.status_code == 200
    response = client.post(
        "/imports/new/",
        {"file": csv_file(), "kind": "person", "channel": "exhibition", "duplicates": "skip"},
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{batch.pk}/"
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert '<option value="name" selected>' in page
    assert '<option value="phones" selected>' in page
    assert "<script" not in page.split("<main")[-1]
    assert "style=" not in page
    form = {"map-0": "name", "map-1": "phones", "map-2": "notes", "channel": "exhibition",
            "owner": "", "duplicates": "skip", "save_as": "展会名单"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{batch.pk}/", {**form, "action": "dry_run"})
    assert response.status_code == 302
    assert ImportMapping.objects.get().columns["说明"] == "notes"
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "2 rows checked: 1 valid (0 match existing customers), 1 invalid." in page
    assert 'data-testid="report-row"' in page
    progress = client.get(f"/imports/{batch.pk}/progress/", headers={"HX-Request": "true"})
    assert progress["HX-Refresh"] == "true"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/", {**form, "action": "start"})
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "1 created, 0 updated, 0 skipped, 1 invalid." in page
    customer = Customer.objects.get()
    assert f'href="/customers/{customer.pk}/"' in page
    assert customer.notes == "展会"
    report = client.get(f"/imports/{batch.pk}/report.xlsx")
    assert report.status_code == 200
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get("/imports/").status_code == 200
    response = client.post(f"/imports/{batch.pk}/", {"action": "undo"})
    assert response.status_code == 302
    assert not Customer.objects.exists()


def test_running_import_shows_a_polled_progress_bar(client, archivist):
    batch = services.import_upload(user=archivist, upload=io.BytesIO(CONTENT), name="a.csv")
    ImportBatch.objects.filter(pk=batch.pk).update(
        status="importing", total_rows=4, processed_rows=1
    )
    client.force_login(archivist)
    fragment = client.get(f"/imports/{batch.pk}/progress/", headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert '<progress max="100" value="25">' in body
    assert "HX-Refresh" not in fragment


def test_upload_errors_are_shown(client, archivist):
    client.force_login(archivist)
    response = client.post("/imports/new/", {"file": csv_file(b"", "empty.csv")})
    assert response.status_code == 422
    assert "The file is empty" in response.content.decode()
    response = client.post("/imports/new/", {})
    assert "Choose a file to upload." in response.content.decode()


def test_other_roles_get_403_pages(client, rep, archivist):
    batch = services.import_upload(user=archivist, upload=io.BytesIO(CONTENT), name="a.csv")
    client.force_login(rep)
    assert "/imports/" not in client.get("/").content.decode()
    responses = [
        client.get("/imports/"),
        client.get("/imports/new/"),
        client.post("/imports/new/", {"file": csv_file()}),
        client.get(f"/imports/{batch.pk}/"),
        client.post(f"/imports/{batch.pk}/", {"action": "dry_run"}),
        client.get(f"/imports/{batch.pk}/progress/"),
        client.get(f"/imports/{batch.pk}/report.xlsx"),
    ]
    assert [r.status_code for r in responses] == [403] * len(responses)
    assert ImportBatch.objects.count() == 1


def test_a_stalled_import_can_be_continued_from_its_page(client, archivist):
    batch = services.import_upload(user=archivist, upload=io.BytesIO(CONTENT), name="a.csv")
    services.import_dry_run(batch_id=batch.pk)
    ImportRow.objects.filter(batch=batch).delete()  # as the import's start does
    long_ago = timezone.now() - timedelta(minutes=30)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status="importing", processed_rows=1, total_rows=2, invalid_rows=0, updated_at=long_ago
    )
    client.force_login(archivist)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'data-testid="import-continue"' in page
    assert 'hx-trigger="every 1s"' not in page
    client.post(f"/imports/{batch.pk}/", {"action": "start"})
    batch.refresh_from_db()
    assert (batch.status, batch.processed_rows, batch.invalid_rows) == ("done", 2, 1)
    assert not Customer.objects.exists()  # row 2 (张伟) counted as done before the stop
