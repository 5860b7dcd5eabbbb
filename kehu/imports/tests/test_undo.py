"""Undoing an import in the background: requested on the page or through the API, chunk by chunk
(each its own transaction, with a checkpoint), continued after a crash without doing anything
twice; and the warning when a file that was already imported is uploaded again."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.core.models import AuditEvent
from kehu.customers import services as customer_services
from kehu.customers.models import Customer
from kehu.imports import services
from kehu.imports.models import ImportBatch
from kehu.imports.tasks import run_import_undo
from kehu.interactions.models import Interaction

pytestmark = pytest.mark.django_db

# 张伟 matches the existing customer (overwritten); the four others are created.
CONTENT = (
    "姓名,手机,地址\n"
    "张伟,13812345678,北京市朝阳区建国路8号\n"
    "李娜,13912345679,\n"
    "王芳,13912345670,\n"
    "赵六,13912345671,\n"
    "钱七,13912345672,\n"
).encode()


@pytest.fixture
def queued(monkeypatch):
    """Through the task queue (no file is small enough to be undone in the request), two
    rows per chunk."""
    monkeypatch.setattr(services.batches, "INLINE_MAX_BYTES", 0)
    monkeypatch.setattr(services.undo, "UNDO_CHUNK_SIZE", 2)


@pytest.fixture
def imported(archivist):
    existing = customer_services.customer_create(
        user=archivist, kind="person", data={"name": "张伟", "phones": ["13812345678"]}
    )
    batch = services.import_upload(
        user=archivist, upload=io.BytesIO(CONTENT), name="list.csv", duplicates="overwrite"
    )
    services.import_dry_run(batch_id=batch.pk)
    batch = services.import_run(batch_id=batch.pk)
    assert (batch.created_count, batch.updated_count) == (4, 1)
    # Something was attached to 王芳 since: she is archived, not deleted.
    Interaction.objects.create(
        customer=Customer.objects.get(name="王芳"),
        type="phone_call",
        occurred_at=timezone.now(),
        summary="回访",
    )
    return batch, existing


def undo_events():
    return AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT_UNDONE)


def assert_fully_undone(batch, existing):
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.UNDONE
    assert (batch.deleted_count, batch.archived_count, batch.restored_count) == (3, 1, 1)
    assert (batch.undone_rows, batch.undo_rows, batch.error) == (5, 5, "")
    assert sorted(Customer.objects.values_list("name", "status")) == [
        ("张伟", existing.status),
        ("王芳", Customer.Status.ARCHIVED),
    ]
    existing.refresh_from_db()
    assert existing.address == ""
    event = undo_events().get()
    assert event.detail == {"file": "list.csv", "deleted": 3, "archived": 1, "restored": 1}


def test_undo_requested_on_the_page_runs_in_the_background_with_progress(
    client, archivist, imported, queued, huey_immediate, django_capture_on_commit_callbacks
):
    # given
    batch, existing = imported
    client.force_login(archivist)
    # when the undo is requested, and before the worker has taken it
    with django_capture_on_commit_callbacks() as queued_tasks:
        response = client.post(f"/imports/{batch.pk}/", {"action": "undo"})
    # then the page shows it being undone, with a polled progress bar
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.undo_rows, batch.undone_by) == ("undoing", 5, archivist)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "The import is being undone." in page
    assert "0 of 5 imported rows undone" in page
    assert '<progress max="100" value="0">' in page
    assert 'hx-trigger="every 1s"' in page
    assert 'data-testid="import-undo"' not in page
    assert Customer.objects.count() == 5
    # and asking again while it runs starts nothing
    response = client.post(f"/imports/{batch.pk}/", {"action": "undo"}, follow=True)
    assert "This import is already being undone." in response.content.decode()
    # when the worker runs it
    assert len(queued_tasks) == 1
    queued_tasks[0]()
    # then
    assert_fully_undone(batch, existing)
    progress = client.get(f"/imports/{batch.pk}/progress/", headers={"HX-Request": "true"})
    assert progress["HX-Refresh"] == "true"
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'data-testid="import-undo-result"' in page
    assert "3 customers removed, 1 archived" in page
    assert "1 fields restored" in page


class WorkerCrash(Exception):
    pass


def crash_in_second_chunk(monkeypatch):
    """The second chunk stops after deleting its customers, before its checkpoint is written:
    as if the worker died there."""
    real = services.undo._remove_created
    calls = []

    def remove_then_crash(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(result)
        if len(calls) == 2:
            raise WorkerCrash
        return result

    monkeypatch.setattr(services.undo, "_remove_created", remove_then_crash)


def test_an_interrupted_undo_continues_without_doing_anything_twice(
    client, archivist, imported, queued, huey_immediate, django_capture_on_commit_callbacks,
    monkeypatch,
):  # fmt: skip
    # given an undo whose second chunk crashes
    batch, existing = imported
    client.force_login(archivist)
    crash_in_second_chunk(monkeypatch)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/imports/{batch.pk}/undo")
    # then the first chunk is undone and counted, the second not at all
    assert response.status_code == 202, response.content
    batch.refresh_from_db()
    counts = (batch.deleted_count, batch.archived_count, batch.restored_count)
    assert (batch.status, batch.undone_rows, counts) == ("undoing", 2, (1, 1, 0))
    assert batch.error
    assert not Customer.objects.filter(name="李娜").exists()
    assert Customer.objects.get(name="王芳").status == Customer.Status.ARCHIVED
    assert Customer.objects.filter(name__in=["赵六", "钱七"]).count() == 2  # rolled back
    assert not undo_events().exists()
    detail = client.get(f"/api/v1/imports/{batch.pk}").json()
    assert (detail["status"], detail["progress_percent"]) == ("undoing", 40)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'data-testid="import-undo-continue"' in page
    assert 'hx-trigger="every 1s"' not in page
    # when it is continued (the crash is gone), through the queue again
    monkeypatch.undo()
    monkeypatch.setattr(services.batches, "INLINE_MAX_BYTES", 0)
    monkeypatch.setattr(services.undo, "UNDO_CHUNK_SIZE", 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{batch.pk}/", {"action": "undo"})
    # then
    assert response.status_code == 302
    assert_fully_undone(batch, existing)


def test_a_killed_worker_leaves_a_stalled_undo_that_the_task_continues(
    client, archivist, imported, queued, huey_immediate
):
    # given an undo stopped after one chunk, no error written (the worker was killed)
    batch, existing = imported
    batch = services.undo._undo_start(archivist, batch)
    services.undo._undo_chunk(batch.pk, batch.created_count)
    long_ago = timezone.now() - timedelta(minutes=30)
    ImportBatch.objects.filter(pk=batch.pk).update(updated_at=long_ago)
    batch.refresh_from_db()
    assert (batch.status, batch.undone_rows, batch.is_stalled) == ("undoing", 2, True)
    assert (batch.can_continue_undo, batch.can_continue) == (True, False)
    client.force_login(archivist)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'data-testid="import-undo-continue"' in page
    assert 'data-testid="import-continue"' not in page
    # when the task runs again, twice
    run_import_undo(batch.pk)
    run_import_undo(batch.pk)
    # then
    assert_fully_undone(batch, existing)


def test_undo_through_the_service_in_the_callers_process(archivist, imported, queued):
    batch, existing = imported
    result = services.import_undo(user=archivist, batch=batch)
    assert result == {"deleted": 3, "archived": 1, "restored": 1}
    assert_fully_undone(batch, existing)


def test_a_small_import_is_undone_in_the_request(client, archivist, imported):
    batch, existing = imported
    client.force_login(archivist)
    response = client.post(f"/api/v1/imports/{batch.pk}/undo")
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["deleted_count"], body["archived_count"]) == ("undone", 3, 1)
    assert_fully_undone(batch, existing)
    again = client.post(f"/api/v1/imports/{batch.pk}/undo")
    assert again.status_code == 422
    assert "Only an import that is finished or stopped part-way can be undone." in str(again.json())


def test_only_archive_administrators_undo(client, rep, imported, queued):
    batch, _existing = imported
    client.force_login(rep)
    responses = [
        client.post(f"/imports/{batch.pk}/", {"action": "undo"}),
        client.post(f"/api/v1/imports/{batch.pk}/undo"),
    ]
    assert [r.status_code for r in responses] == [403, 403]
    batch.refresh_from_db()
    assert (batch.status, batch.undone_by) == ("done", None)
    assert Customer.objects.count() == 5


def test_an_import_being_undone_is_not_imported_again(client, archivist, imported, queued):
    batch, _existing = imported
    client.force_login(archivist)
    assert client.post(f"/api/v1/imports/{batch.pk}/undo").json()["status"] == "undoing"
    for action in ("dry-run", "start"):
        assert client.post(f"/api/v1/imports/{batch.pk}/{action}").status_code == 422
    again = services.import_upload(user=archivist, upload=io.BytesIO(CONTENT), name="list.csv")
    assert again.pk != batch.pk  # a new batch, not "continue" the one being undone


# --- a file imported before ---------------------------------------------------------------------


def test_uploading_an_imported_file_again_warns_and_links_the_earlier_import(client, archivist):
    client.force_login(archivist)

    def upload():
        handle = io.BytesIO(CONTENT)
        handle.name = "list.csv"
        response = client.post("/api/v1/imports/", {"file": handle}, format="multipart")
        assert response.status_code == 201, response.content
        return response.json()

    first = upload()
    assert first["earlier_import_id"] is None
    services.import_dry_run(batch_id=first["id"])
    services.import_run(batch_id=first["id"])
    second = upload()
    assert second["id"] != first["id"]
    assert second["earlier_import_id"] == first["id"]
    detail = client.get(f"/api/v1/imports/{second['id']}").json()
    assert detail["earlier_import_id"] == first["id"]
    listed = {
        b["id"]: b["earlier_import_id"] for b in client.get("/api/v1/imports/").json()["results"]
    }
    assert listed == {second["id"]: first["id"], first["id"]: None}
    page = client.get(f"/imports/{second['id']}/").content.decode()
    finished = ImportBatch.objects.get(pk=first["id"]).finished_at
    assert "This file was already imported on" in page
    assert f"(import #{first['id']})" in page
    assert f'href="/imports/{first["id"]}/" data-testid="import-earlier-link"' in page
    assert 'data-testid="import-mapping-form"' in page  # not blocked
    assert finished is not None
    # Once the earlier import is undone, nothing is said.
    services.import_undo(user=archivist, batch=ImportBatch.objects.get(pk=first["id"]))
    assert client.get(f"/api/v1/imports/{second['id']}").json()["earlier_import_id"] is None
    assert "already imported" not in client.get(f"/imports/{second['id']}/").content.decode()


def test_an_undo_that_crashed_in_the_callers_process_is_continued_by_calling_it_again(
    archivist, imported, queued, monkeypatch
):
    batch, existing = imported
    crash_in_second_chunk(monkeypatch)
    with pytest.raises(WorkerCrash):
        services.import_undo(user=archivist, batch=batch)
    batch.refresh_from_db()
    assert (batch.status, batch.undone_rows, bool(batch.error)) == ("undoing", 2, True)
    monkeypatch.undo()
    monkeypatch.setattr(services.undo, "UNDO_CHUNK_SIZE", 2)
    result = services.import_undo(user=archivist, batch=batch)
    assert result == {"deleted": 3, "archived": 1, "restored": 1}
    assert_fully_undone(batch, existing)
