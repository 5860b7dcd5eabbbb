"""The audit log: read-only in the API for everyone (no write, change or delete), filterable,
exportable as CSV by admins (and the export is itself audited)."""

import csv
import io

import pytest

from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(archivist):
    audit_log(
        action=AuditEvent.Action.REVEAL,
        actor=archivist,
        object_type="customer",
        object_id=7,
        detail={"field": "person.id_number"},
    )
    audit_log(
        action=AuditEvent.Action.EXPORT,
        actor=archivist,
        object_type="export",
        object_id=3,
        detail={"rows": 2, "note": "=HYPERLINK(1)"},
    )


def test_archive_admins_read_and_filter_the_trail(client, archivist, events):
    client.force_login(archivist)
    response = client.get("/api/v1/audit/?object_type=customer&object_id=7")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["action"], r["object_id"]) for r in rows] == [("reveal", "7")]
    by_action = client.get("/api/v1/audit/?action=export").json()["results"]
    assert [r["detail"]["rows"] for r in by_action] == [2]
    page = client.get("/audit/?object_type=export", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert "对象类型" in page.content.decode()


def test_the_trail_cannot_be_written_changed_or_deleted_through_the_api(client, admin_user, events):
    client.force_login(admin_user)
    before = list(AuditEvent.objects.values_list("id", "action", "detail"))
    event = AuditEvent.objects.earliest("id")
    assert client.post("/api/v1/audit/", {}, content_type="application/json").status_code == 405
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(f"/api/v1/audit/{event.pk}")
        assert response.status_code in (404, 405)
    # every event is still there, unchanged (refused probes may add "denied" events)
    after = list(
        AuditEvent.objects.filter(id__in=[b[0] for b in before]).values_list(
            "id", "action", "detail"
        )
    )
    assert after == before


def test_admins_export_the_trail_as_csv_and_the_export_is_audited(client, admin_user, events):
    client.force_login(admin_user)
    response = client.get("/api/v1/audit/export.csv?action=export")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["time", "action", "username"]
    assert [r[1] for r in rows[1:]] == ["export"]
    page = client.get("/audit/export.csv")
    assert page.status_code == 200
    assert AuditEvent.objects.filter(action="audit_exported").count() == 2


def test_the_trail_is_refused_to_other_roles(client, rep, archivist, events):
    client.force_login(rep)
    assert client.get("/api/v1/audit/").status_code == 403
    assert client.get("/api/v1/audit/export.csv").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    client.force_login(archivist)  # reads, but only admins export
    assert client.get("/api/v1/audit/export.csv").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert not AuditEvent.objects.filter(action="audit_exported").exists()


def test_the_audit_page_counts_at_most_the_cap(client, archivist, events, monkeypatch):
    """The trail grows without end: its page counts at most a cap of rows and says so, in the
    count and in the pager, instead of counting every event on each visit."""
    from functools import partial

    from kehu.core import views
    from kehu.core.pagination import CappedPaginator

    monkeypatch.setattr(views, "CappedPaginator", partial(CappedPaginator, cap=1))
    client.force_login(archivist)
    html = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "超过 1 条事件" in html
    monkeypatch.setattr(views, "CappedPaginator", partial(CappedPaginator, cap=100))
    html = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "超过" not in html
