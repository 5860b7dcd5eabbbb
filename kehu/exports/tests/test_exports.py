"""Exports of the customer list: who may export, masking and reveal (audited), formula
neutralisation in CSV and XLSX, filters, segments and scope, the background path, and clear
errors for bad input."""

import csv
import dataclasses
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from kehu.accounts.models import Role
from kehu.core import access
from kehu.core.encryption import decrypted_chunks
from kehu.core.models import AuditEvent
from kehu.customers import services as customer_services
from kehu.customers.models import Customer, Segment
from kehu.customers.tests.factories import make_person
from kehu.exports import services
from kehu.exports.models import ExportJob
from kehu.exports.selectors import export_file
from kehu.exports.tasks import fail_stuck_exports, purge_expired_exports
from kehu.privacy.services import consent_record

pytestmark = pytest.mark.django_db

ID_MALE_1990 = "110101199003070011"
ID_MASKED = "110101********0011"


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def marketer(make_user):
    return make_user(Role.MARKETER, username="marketer")


def post_export(client, body):
    return client.post("/api/v1/exports/", body, content_type="application/json")


def download_rows(client, job_id, fmt):
    response = client.get(f"/api/v1/exports/{job_id}/download")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel in Chinese
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ARCHIVE_ADMIN, 201),
        (Role.MARKETER, 201),
        (Role.ADMIN, 201),
        (Role.SALES_REP, 403),
        (Role.SERVICE_AGENT, 403),
        (Role.LEADER, 403),
    ],
)
def test_only_roles_allowed_to_export_may(client, make_user, rep, role, status):
    make_person(rep)
    client.force_login(make_user(role))
    # A marketer exports for a purpose (kehu.privacy); the others may keep records without one.
    purpose = "marketing_email" if role == Role.MARKETER else ""
    response = post_export(client, {"columns": ["name"], "format": "csv", "purpose": purpose})
    assert response.status_code == status
    assert ExportJob.objects.count() == (1 if status == 201 else 0)
    assert AuditEvent.objects.filter(action="export").count() == (1 if status == 201 else 0)


def test_sensitive_fields_masked_for_a_role_that_may_not_reveal(client, rep, marketer):
    customer = make_person(
        rep, **{"person.id_number": ID_MALE_1990, "person.home_address": "北京市朝阳区建国路1号"}
    )
    consent_record(
        user=None, customer=customer, purpose="marketing_email", granted=True, method="web_form"
    )
    client.force_login(marketer)
    body = {
        "columns": ["name", "person.id_number", "person.home_address"],
        "format": "csv",
        "purpose": "marketing_email",
    }
    job = post_export(client, body).json()
    rows = download_rows(client, job["id"], "csv")
    assert rows[1] == ["张伟", ID_MASKED, "北京市****"]
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_revealed_fields_are_in_clear_and_each_is_audited(client, rep, archivist):
    make_person(
        rep, **{"person.id_number": ID_MALE_1990, "person.home_address": "北京市朝阳区建国路1号"}
    )
    make_person(rep, name="李娜")
    client.force_login(archivist)
    columns = ["name", "person.id_number", "person.home_address", "phones"]
    job = post_export(client, {"columns": columns, "format": "xlsx", "filters": {"kind": "person"}})
    rows = download_rows(client, job.json()["id"], "xlsx")
    assert ["张伟", ID_MALE_1990, "北京市朝阳区建国路1号", ""] in rows
    reveals = AuditEvent.objects.filter(action="reveal", actor=archivist)
    assert {(e.detail["field"], e.detail["group"]) for e in reveals} == {
        ("person.id_number", "identity"),
        ("person.home_address", "address"),
    }
    assert {e.detail["export"] for e in reveals} == {job.json()["id"]}
    export = AuditEvent.objects.get(action="export")
    assert export.actor == archivist
    assert export.object_id == str(job.json()["id"])
    assert export.detail == {
        "filters": {"kind": "person"},
        "columns": columns,
        "rows": 2,
        "format": "xlsx",
        "purpose": "",
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_cells_are_neutralised(client, rep, archivist, fmt):
    make_person(
        rep,
        name='=HYPERLINK("http://evil.example","点我")',
        notes="+1+2",
        address="-3+cmd|' /C calc'!A0",
        tags="@SUM(1)",
    )
    client.force_login(archivist)
    body = {"columns": ["name", "notes", "address", "tags", "id"], "format": fmt}
    job = post_export(client, body).json()
    header, row = download_rows(client, job["id"], fmt)
    assert row[:4] == [
        '\'=HYPERLINK("http://evil.example","点我")',
        "'+1+2",
        "'-3+cmd|' /C calc'!A0",
        "'@SUM(1)",
    ]
    assert header[:2] == ["name", "notes"]


def test_xlsx_cells_with_formula_text_are_strings(client, rep, archivist):
    make_person(rep, name="=1+1")
    client.force_login(archivist)
    job = post_export(client, {"columns": ["name"], "format": "xlsx"}).json()
    content = b"".join(client.get(f"/api/v1/exports/{job['id']}/download").streaming_content)
    cell = load_workbook(io.BytesIO(content)).active["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'=1+1"


def test_phones_as_dialled_and_fields_of_the_other_kind_empty(client, rep, archivist):
    make_person(rep, phones="+8613800138000, 010-12345678")
    client.force_login(archivist)
    body = {"columns": ["phones", "organization.credit_code", "owner"], "format": "csv"}
    rows = download_rows(client, post_export(client, body).json()["id"], "csv")
    assert rows[1] == ["138 0013 8000, 010 1234 5678", "", str(rep)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_phones_are_in_one_text_format_whatever_their_country(client, rep, archivist, fmt):
    # given mainland mobiles and landlines and numbers elsewhere, typed every which way
    make_person(rep, name="甲", phones="13800138000, 0755-12345678")
    make_person(rep, name="乙", phones="+852 2123 4567, +86 139 1234 5678")
    client.force_login(archivist)
    # when
    body = {"columns": ["name", "phones"], "format": fmt}
    rows = download_rows(client, post_export(client, body).json()["id"], fmt)
    # then every number reads as dialled from the mainland: never a leading + (which a
    # spreadsheet takes for a formula, and the CSV writer would quote with ')
    phones = {row[0]: row[1] for row in rows[1:]}
    assert phones == {
        "甲": "138 0013 8000, 0755 1234 5678",
        "乙": "00 852 2123 4567, 139 1234 5678",
    }
    # and each reads back as the number stored
    from kehu.core.phones import normalize_phone

    numbers = [n for text in phones.values() for n in text.split(", ")]
    assert {normalize_phone(n) for n in numbers} == {
        "+8613800138000",
        "+8675512345678",
        "+85221234567",
        "+8613912345678",
    }


def test_xlsx_phones_and_id_numbers_are_text_cells(client, rep, archivist):
    make_person(rep, phones="13800138000", **{"person.id_number": ID_MALE_1990})
    client.force_login(archivist)
    body = {"columns": ["id", "phones", "person.id_number", "name"], "format": "xlsx"}
    job = post_export(client, body).json()
    content = b"".join(client.get(f"/api/v1/exports/{job['id']}/download").streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    id_cell, phone, id_number, name = sheet[2]
    assert (phone.data_type, phone.number_format, phone.value) == ("s", "@", "138 0013 8000")
    assert (id_number.data_type, id_number.number_format) == ("s", "@")
    assert id_number.value == ID_MALE_1990
    # other columns keep the general format, numbers stay numbers
    assert name.number_format == "General"
    assert id_cell.data_type == "n"


def test_file_names_are_stamped_in_local_time(client, settings, rep, archivist):
    # given an export made at 17:30 UTC, which is 01:30 the next day in Shanghai
    settings.TIME_ZONE = "Asia/Shanghai"
    make_person(rep)
    client.force_login(archivist)
    with time_machine.travel(datetime(2026, 3, 1, 17, 30, tzinfo=UTC), tick=False):
        job = post_export(client, {"columns": ["name"], "format": "csv"}).json()
        # when
        page = client.get(f"/exports/{job['id']}/download/")
        api = client.get(f"/api/v1/exports/{job['id']}/download")
    # then the file is named by the local date and time, in the browser and through the API
    expected = f'attachment; filename="customers-20260302-0130-{job["id"]}.csv"'
    assert page["Content-Disposition"] == api["Content-Disposition"] == expected


def test_filters_are_respected(client, rep, archivist):
    make_person(rep, name="重要客户", grade="important")
    make_person(rep, name="一般客户")
    client.force_login(archivist)
    body = {"columns": ["name"], "format": "csv", "filters": {"grade": "important"}}
    job = post_export(client, body).json()
    assert job["row_count"] == 1
    assert download_rows(client, job["id"], "csv")[1:] == [["重要客户"]]


def test_a_segment_is_exported_with_its_filters(client, rep, archivist):
    make_person(rep, name="重要客户", grade="important")
    make_person(rep, name="一般客户")
    segment = Segment.objects.create(owner=archivist, name="重要", filters={"grade": "important"})
    client.force_login(archivist)
    job = post_export(client, {"columns": ["name"], "format": "csv", "segment": segment.pk})
    assert download_rows(client, job.json()["id"], "csv")[1:] == [["重要客户"]]


def test_record_scope_applies(client, rep, other_rep, monkeypatch):
    # A rep may not export today; were the policy to allow it, the rep's scope would still hold.
    policy = dataclasses.replace(access.POLICIES[Role.SALES_REP], export=True)
    monkeypatch.setitem(access.POLICIES, Role.SALES_REP, policy)
    make_person(rep, name="我的客户")
    make_person(other_rep, name="别人的客户")
    client.force_login(rep)
    body = {"columns": ["name"], "format": "csv", "purpose": "data_sharing"}
    for customer in Customer.objects.all():
        consent_record(
            user=None, customer=customer, purpose="data_sharing", granted=True, method="web_form"
        )
    job = post_export(client, body).json()
    assert download_rows(client, job["id"], "csv")[1:] == [["我的客户"]]


def test_archived_customers_only_when_asked(client, rep, archivist):
    gone = make_person(rep, name="已归档")
    customer_services.customer_archive(user=rep, customer=gone)
    make_person(rep, name="在档")
    client.force_login(archivist)
    job = post_export(client, {"columns": ["name"], "format": "csv"}).json()
    assert download_rows(client, job["id"], "csv")[1:] == [["在档"]]


def test_large_exports_run_in_the_background(
    client, rep, archivist, monkeypatch, huey_immediate, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "INLINE_MAX_ROWS", 2)
    for n in range(5):
        make_person(rep, name=f"客户{n}")
    client.force_login(archivist)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_export(client, {"columns": ["name"], "format": "xlsx"})
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    job = client.get(f"/api/v1/exports/{response.json()['id']}").json()
    assert job["status"] == "done"
    assert job["row_count"] == 5
    rows = download_rows(client, job["id"], "xlsx")
    assert sorted(r[0] for r in rows[1:]) == [f"客户{n}" for n in range(5)]


def test_rows_are_streamed_in_chunks(rep, archivist, monkeypatch):
    monkeypatch.setattr(services, "CHUNK_SIZE", 2)
    for n in range(5):
        make_person(rep, name=f"客户{n}", phones=f"1380013800{n}")
    job = services.export_request(
        user=archivist,
        filters=services.export_filters_from_input(user=archivist, filters={"order": "name"}),
        columns=["name", "phones"],
        format="csv",
    )
    path = export_file(job)
    assert path is not None
    text = b"".join(decrypted_chunks(path)).decode("utf-8-sig")
    assert text.splitlines()[1:] == [f"客户{n},138 0013 800{n}" for n in range(5)]


def test_a_job_that_ran_does_not_run_again(rep, archivist):
    make_person(rep)
    job = services.export_request(
        user=archivist,
        filters=services.export_filters_from_input(user=archivist, filters={}),
        columns=["name"],
        format="csv",
    )
    again = services.export_run(job_id=job.pk)
    assert again.file_path == job.file_path
    assert AuditEvent.objects.filter(action="export").count() == 1


def test_someone_elses_export_is_not_found(client, rep, archivist, marketer):
    make_person(rep)
    client.force_login(archivist)
    job = post_export(client, {"columns": ["name"], "format": "csv"}).json()
    client.force_login(marketer)
    assert client.get(f"/api/v1/exports/{job['id']}").status_code == 404
    assert client.get(f"/api/v1/exports/{job['id']}/download").status_code == 404
    assert client.get(f"/exports/{job['id']}/download/").status_code == 404
    assert client.get("/api/v1/exports/").json()["results"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"columns": ["name", "shoe_size"], "format": "csv"}, "columns"),
        ({"columns": [], "format": "csv"}, "columns"),
        ({"columns": ["name"], "format": "pdf"}, "format"),
        ({"columns": ["name"], "format": "csv", "filters": {"colour": "red"}}, "filters"),
        ({"columns": ["name"], "format": "csv", "filters": {"created_from": "soon"}}, "filters"),
        ({"format": "csv"}, "columns"),
    ],
)
def test_bad_input_is_a_clear_422(client, archivist, body, field):
    client.force_login(archivist)
    response = post_export(client, body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not ExportJob.objects.exists()


def test_unknown_column_message_names_it(client, archivist):
    client.force_login(archivist)
    response = post_export(client, {"columns": ["shoe_size"], "format": "csv"})
    assert response.json()["errors"][0]["message"] == "Unknown columns: shoe_size."


def test_download_of_an_unfinished_export_is_a_conflict(client, archivist):
    job = ExportJob.objects.create(requester=archivist, columns=["name"], format="csv")
    client.force_login(archivist)
    assert client.get(f"/api/v1/exports/{job.pk}/download").status_code == 409


def test_service_refuses_a_role_without_export(rep):
    with pytest.raises(PermissionDenied):
        services.export_request(
            user=rep,
            filters=services.export_filters_from_input(user=rep, filters={}),
            columns=["name"],
            format="csv",
        )


def test_expired_files_are_purged(rep, archivist):
    make_person(rep)
    job = services.export_request(
        user=archivist,
        filters=services.export_filters_from_input(user=archivist, filters={}),
        columns=["name"],
        format="csv",
    )
    path = export_file(job)
    assert path is not None
    ExportJob.objects.filter(pk=job.pk).update(expires_at=job.created_at)
    assert services.exports_purge_expired() == 1
    assert not path.exists()
    assert ExportJob.objects.get(pk=job.pk).status == "expired"


def test_columns_endpoint_lists_registry_and_record_columns(client, archivist):
    client.force_login(archivist)
    codes = {c["code"]: c for c in client.get("/api/v1/exports/columns").json()}
    assert {"id", "owner", "team", "phones", "emails", "tags", "person.id_number"} <= set(codes)
    assert codes["person.id_number"]["sensitive"] == "identity"


# --- the browser pages ------------------------------------------------------------------------


def test_list_page_offers_export_with_its_filters_to_exporters_only(client, rep, archivist):
    make_person(rep)
    client.force_login(archivist)
    page = client.get("/customers/?grade=important&kind=person").content.decode()
    make_person(rep, grade="important", name="重要")
    page = client.get("/customers/?grade=important&kind=person").content.decode()
    assert "/exports/new/?grade=important&amp;kind=person" in page
    client.force_login(rep)
    assert 'data-testid="export-list"' not in client.get("/customers/").content.decode()


def test_export_dialog_exports_the_filtered_list(client, rep, archivist):
    make_person(rep, name="重要客户", grade="important")
    make_person(rep, name="一般客户")
    client.force_login(archivist)
    dialog = client.get("/exports/new/?grade=important")
    assert dialog.status_code == 200
    assert 'value="grade=important"' in dialog.content.decode()
    response = client.post(
        "/exports/new/",
        {"columns": ["name", "grade"], "format": "csv", "query": "grade=important"},
    )
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.filters == {"grade": "important"}
    listing = client.get("/exports/").content.decode()
    assert f"/exports/{job.pk}/download/" in listing
    download = client.get(f"/exports/{job.pk}/download/")
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == ["name,grade", "重要客户,Important"]


def test_export_dialog_is_refused_to_roles_without_export(client, rep):
    client.force_login(rep)
    assert client.get("/exports/new/").status_code == 403
    assert client.post("/exports/new/", {"columns": ["name"], "format": "csv"}).status_code == 403


def test_export_dialog_reports_a_bad_choice(client, archivist):
    client.force_login(archivist)
    response = client.post("/exports/new/", {"columns": ["nope"], "format": "csv"})
    assert response.status_code == 200
    assert not ExportJob.objects.exists()


def test_my_exports_polls_while_one_runs(client, archivist):
    ExportJob.objects.create(requester=archivist, columns=["name"], format="csv")
    client.force_login(archivist)
    page = client.get("/exports/", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in page
    ExportJob.objects.update(status="done")
    page = client.get("/exports/", headers={"HX-Request": "true"}).content.decode()
    assert "every 2s" not in page


@pytest.mark.parametrize(
    "e164", ["+8613800138000", "+8619912345678", "+861012345678", "+8675512345678", "+85221234567"]
)
def test_phone_text_is_the_dialled_format_and_the_360_pages_for_mainland_numbers(e164):
    from kehu.core.phones import format_phone_dialled, format_phone_local
    from kehu.exports.columns import phone_text

    assert phone_text(e164) == format_phone_dialled(e164)
    if e164.startswith("+86"):
        assert phone_text(e164) == format_phone_local(e164)


def test_custom_fields_export_with_labels_and_kind(client, rep, archivist, admin_user):
    customer_services.custom_field_save(
        user=admin_user, code="vip", label="VIP", field_type="boolean", applies_to="person"
    )
    make_person(rep, name="甲", **{"custom.vip": "true"})
    client.force_login(archivist)
    body = {"columns": ["name", "custom.vip", "grade"], "format": "csv"}
    rows = download_rows(client, post_export(client, body).json()["id"], "csv")
    assert rows == [["name", "VIP", "grade"], ["甲", "Yes", "General"]]


START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def running_job(requester, started):
    with time_machine.travel(started, tick=False):
        return ExportJob.objects.create(
            requester=requester, columns=["name"], format="csv", status="running"
        )


def test_an_export_running_too_long_is_shown_as_failed_without_a_write(client, archivist):
    # given a job whose worker died 3 hours ago, and one started 30 minutes ago
    stuck = running_job(archivist, START)
    recent = running_job(archivist, START + timedelta(hours=2, minutes=30))
    before = ExportJob.objects.values().get(pk=stuck.pk)
    client.force_login(archivist)
    with (
        time_machine.travel(START + timedelta(hours=3), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        # when its requester looks at it through the API and the page
        detail = client.get(f"/api/v1/exports/{stuck.pk}").json()
        listing = client.get("/api/v1/exports/").json()["results"]
        page = client.get("/exports/", headers={"HX-Request": "true"}).content.decode()
    # then the stuck one shows as failed with a message saying so, the recent one still runs
    assert detail["status"] == "failed"
    assert "interrupted" in detail["error"]
    assert {item["id"]: item["status"] for item in listing} == {
        stuck.pk: "failed",
        recent.pk: "running",
    }
    assert "interrupted" in page
    assert 'data-status="failed"' in page
    # and reading wrote nothing: the row is as it was
    assert ExportJob.objects.values().get(pk=stuck.pk) == before
    assert ExportJob.objects.get(pk=recent.pk).status == "running"
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    assert not [sql for sql in writes if "exports_exportjob" in sql]


def test_an_interrupted_export_stops_the_polling(client, archivist):
    running_job(archivist, START)
    client.force_login(archivist)
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        page = client.get("/exports/", headers={"HX-Request": "true"}).content.decode()
    assert "every 2s" not in page


def test_the_periodic_task_fails_everyones_stuck_exports(archivist, marketer):
    # given stuck jobs of two users and one that is just running
    stuck = [running_job(archivist, START), running_job(marketer, START)]
    recent = running_job(marketer, START + timedelta(hours=1, minutes=30))
    # when the periodic task runs
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        fail_stuck_exports.call_local()
    # then only the stuck ones failed, with the message and when
    failed = ExportJob.objects.filter(pk__in=[j.pk for j in stuck])
    assert {job.status for job in failed} == {"failed"}
    assert all("interrupted" in job.error for job in failed)
    assert {job.finished_at for job in failed} == {START + timedelta(hours=3)}
    assert ExportJob.objects.get(pk=recent.pk).status == "running"
    # and running it again changes nothing
    with time_machine.travel(START + timedelta(hours=3, minutes=5), tick=False):
        fail_stuck_exports.call_local()
    assert ExportJob.objects.get(pk=recent.pk).status == "running"
    assert {job.finished_at for job in failed.all()} == {START + timedelta(hours=3)}


def test_the_task_runs_every_five_minutes_and_the_purge_nightly():
    every_five, nightly = fail_stuck_exports.s(), purge_expired_exports.s()
    assert every_five.validate_datetime(START.replace(minute=5))
    assert not every_five.validate_datetime(START.replace(minute=7))
    assert nightly.validate_datetime(START.replace(hour=3, minute=20))
    assert not nightly.validate_datetime(START.replace(hour=3, minute=25))


def test_export_files_are_encrypted_at_rest_and_private(rep, archivist, settings):
    make_person(rep, name="张伟", phones="13800138000")
    job = services.export_request(
        user=archivist,
        filters=services.export_filters_from_input(user=archivist, filters={}),
        columns=["name", "phones"],
        format="csv",
    )
    path = export_file(job)
    assert path is not None
    raw = path.read_bytes()
    assert "张伟".encode() not in raw
    assert b"13800138000" not in raw
    assert path.stat().st_mode & 0o777 == 0o600
    assert list(path.parent.glob("*.part")) == []
    assert "张伟" in b"".join(decrypted_chunks(path)).decode("utf-8-sig")


# --- consent (kehu.privacy): an export for a purpose holds only those who agreed to it ----------


def test_an_export_for_a_purpose_holds_only_who_agreed_and_a_marketer_must_name_one(
    client, rep, marketer, archivist
):
    agreed, withdrew, never = (
        make_person(rep, "同意者"),
        make_person(rep, "撤回者"),
        make_person(rep, "未问者"),
    )
    for customer, granted in ((agreed, True), (withdrew, True), (withdrew, False)):
        consent_record(
            user=None,
            customer=customer,
            purpose="marketing_sms",
            granted=granted,
            method="web_form",
        )
    client.force_login(marketer)
    refused = post_export(client, {"columns": ["name"], "format": "csv"})
    assert refused.status_code == 422
    assert "purpose" in refused.content.decode()
    job = post_export(client, {"columns": ["name"], "format": "csv", "purpose": "marketing_sms"})
    assert job.status_code == 201
    assert job.json()["purpose"] == "marketing_sms"
    rows = download_rows(client, job.json()["id"], "csv")
    assert [r[0] for r in rows[1:]] == ["同意者"]
    # record keeping by the archive (no contact): everyone, for an archive administrator
    client.force_login(archivist)
    everyone = post_export(client, {"columns": ["name"], "format": "csv"})
    rows = download_rows(client, everyone.json()["id"], "csv")
    assert sorted(r[0] for r in rows[1:]) == sorted(["同意者", "撤回者", "未问者"])
    assert never.pk
