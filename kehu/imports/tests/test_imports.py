"""Imports: encodings and XLSX, header suggestions, the dry-run report (page data and XLSX),
duplicates (in the file and in the archive, for each policy), undo, permissions and bad input.
The crash-and-resume test (a killed ``kehu import``) is in test_resume.py."""

import io
import random
from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from kehu.core.creditcode import make_credit_code
from kehu.core.models import AuditEvent
from kehu.core.phones import normalize_phone
from kehu.customers import services as customer_services
from kehu.customers.models import Customer, CustomerChange, CustomField
from kehu.customers.selectors import latest_sources
from kehu.imports import services
from kehu.imports.engine import FIRST_CHUNK_SIZE, PhoneCleaner, _chunks, date_text
from kehu.imports.mapping import suggest_mapping
from kehu.imports.models import ImportBatch, ImportMapping, ImportRow
from kehu.interactions.models import Interaction
from kehu.interactions.selectors import change_items
from kehu.search.selectors import customer_search

pytestmark = pytest.mark.django_db

ID_MALE_1990 = "110101199003070011"
ID_FEMALE_1985 = "110101198501010025"
HEADER = "姓名,手机,身份证号,邮箱,地址,备注\n"
ROWS = (
    "张伟,13812345678,110101199003070011,zw@example.com,浙江省杭州市西湖区文三路1号,老客户\n"
    "李娜,139 1234 5679,,,北京市朝阳区建国路8号,\n"
)


def upload(user, content, name="customers.csv", **options):
    return services.import_upload(user=user, upload=io.BytesIO(content), name=name, **options)


def dry_run(batch):
    return services.import_dry_run(batch_id=batch.pk)


def run(batch):
    """The import, after the dry run it needs (a second dry run of a checked file is harmless)."""
    services.import_dry_run(batch_id=batch.pk)
    return services.import_run(batch_id=batch.pk)


def names():
    return sorted(Customer.objects.values_list("name", flat=True))


def problems(batch):
    return {
        row.row_number: [(p["field"], p["message"], p["value"]) for p in row.problems]
        for row in ImportRow.objects.filter(batch=batch, outcome=ImportRow.Outcome.INVALID)
    }


# --- reading files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ","), ("gbk", ","), ("gb18030", ";"), ("utf-8", "\t")],
)
def test_csv_in_each_encoding_and_delimiter_is_read(archivist, encoding, delimiter):
    text = (HEADER + ROWS).replace(",", delimiter)
    content = text.encode(encoding)
    if encoding == "gbk":
        assert content.decode("gbk") == text
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")
    batch = upload(archivist, content)
    assert batch.columns == ["姓名", "手机", "身份证号", "邮箱", "地址", "备注"]
    batch = dry_run(batch)
    assert (batch.valid_rows, batch.invalid_rows) == (2, 0)
    run(batch)
    assert names() == ["张伟", "李娜"]
    zhang = Customer.objects.get(name="张伟")
    assert zhang.notes == "老客户"
    assert zhang.province == "浙江省"


def test_xlsx_with_numbers_and_dates_as_excel_stores_them(archivist):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Mobile", "Birthday", "Gender"])
    sheet.append(["王芳", 13812345670, datetime(1988, 5, 6), "女"])  # noqa: DTZ001 (no zone in Excel)
    sheet.append([None, None, None, None])
    sheet.append(["赵六", 13812345671.0, "1979/1/2", "male"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = upload(archivist, buffer.getvalue(), name="list.XLSX")
    assert batch.mapping == {
        "Name": "name",
        "Mobile": "phones",
        "Birthday": "person.birth_date",
        "Gender": "person.gender",
    }
    batch = run(batch)
    assert batch.created_count == 2, problems(batch)
    wang = Customer.objects.get(name="王芳")
    assert str(wang.person.birth_date) == "1988-05-06"
    assert wang.person.gender == "female"
    assert list(wang.phones.values_list("number", flat=True)) == ["+8613812345670"]
    zhao = Customer.objects.get(name="赵六")
    assert str(zhao.person.birth_date) == "1979-01-02"
    assert ImportRow.objects.get(batch=batch, customer_id=zhao.pk).row_number == 4


def test_header_suggestions_in_chinese_and_english_and_custom_fields():
    CustomField.objects.create(code="wine", label="葡萄酒偏好", label_en="Wine", field_type="text")
    headers = ["客户名称", "手机号", "E-mail", "身份证", "出生日期", "工作单位", "职位",
               "性别", "地址", "标签", "备注", "葡萄酒偏好", "Household registration",
               "无关列"]  # fmt: skip
    assert suggest_mapping(headers, "person") == {
        "客户名称": "name",
        "手机号": "phones",
        "E-mail": "emails",
        "身份证": "person.id_number",
        "出生日期": "person.birth_date",
        "工作单位": "person.employer",
        "职位": "person.position",
        "性别": "person.gender",
        "地址": "address",
        "标签": "tags",
        "备注": "notes",
        "葡萄酒偏好": "custom.wine",
        "Household registration": "person.household_registration",
    }
    organization = [
        "公司名称",
        "统一社会信用代码",
        "法人代表",
        "行业",
        "联系人",
        "联系人电话",
        "phone",
    ]
    assert suggest_mapping(organization, "organization") == {
        "公司名称": "name",
        "统一社会信用代码": "organization.credit_code",
        "法人代表": "organization.legal_representative",
        "行业": "organization.industry",
        "联系人": "contact.name",
        "联系人电话": "contact.phone",
        "phone": "phones",
    }


def test_phone_memo_agrees_with_normalize_phone():
    rng = random.Random(5)
    cleaner = PhoneCleaner()
    for _n in range(3000):
        raw = "1" + "".join(rng.choice("0123456789") for _d in range(10))
        try:
            expected = normalize_phone(raw)
        except ValidationError:
            expected = None
        try:
            got = cleaner(raw)
        except ValidationError:
            got = None
        assert got == expected, raw


def test_a_small_first_chunk_then_whole_ones_and_every_row_once():
    rows = [(n, [str(n)], "") for n in range(2, 12_002)]
    chunks = list(_chunks(iter(rows), 5000))
    assert [len(c) for c in chunks] == [FIRST_CHUNK_SIZE, 5000, 5000, 2000 - FIRST_CHUNK_SIZE]
    assert [row for chunk in chunks for row in chunk] == rows


def test_dates_as_people_type_them():
    assert date_text("2024/3/1") == "2024-03-01"
    assert date_text("2024年3月1日") == "2024-03-01"
    assert date_text("20240301") == "2024-03-01"
    assert date_text("March 1") == "March 1"


# --- dry run and report -----------------------------------------------------------------------


def test_dry_run_reports_each_problem_masked_and_writes_nothing(archivist, client):
    content = (
        "姓名,手机,身份证号,性别,出生日期,邮箱\n"
        "张伟,13812345678,110101199003070011,男,,\n"
        ",13812345679,,,,\n"  # no name
        "王五,12345,110101199003070012,,,bad@\n"  # bad phone, ID check digit, e-mail
        "赵六,13812345670,110101199003070011,,,\n"  # same ID number as row 2
        f"孙七,13812345671,{ID_FEMALE_1985},男,1985-01-01,\n"  # ID says female
    ).encode()
    batch = dry_run(upload(archivist, content))
    assert batch.status == ImportBatch.Status.VALIDATED
    assert (batch.checked_rows, batch.valid_rows, batch.invalid_rows) == (5, 1, 4)
    assert Customer.objects.count() == 0
    found = problems(batch)
    assert found[3] == [("name", "This field is required.", "")]
    fields = [field for field, _message, _value in found[4]]
    assert fields == ["phones", "person.id_number", "emails"]
    id_value = found[4][1][2]
    assert id_value == "110101********0012"  # masked in the report
    assert found[5] == [("person.id_number", "Same ID number as row 2.", "")]
    assert found[6][0][0] == "person.id_number"  # blamed as customer_create blames it
    assert "female" in found[6][0][1].lower()

    client.force_login(archivist)
    report = client.get(f"/api/v1/imports/{batch.pk}/report").json()
    assert [r["row_number"] for r in report["results"]] == [3, 4, 5, 6]
    response = client.get(f"/api/v1/imports/{batch.pk}/report.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert lines[0] == ["Row", "Outcome", "Customer", "Field", "Problem", "Value"]
    assert lines[3][:4] == [4, "Invalid", None, "ID number"]
    assert "110101199003070012" not in str(lines)


def test_dry_run_counts_rows_matching_existing_customers(archivist):
    existing = customer_services.customer_create(
        user=archivist, kind="person", data={"name": "张伟", "phones": ["13812345678"]}
    )
    batch = dry_run(upload(archivist, (HEADER + ROWS).encode()))
    assert (batch.valid_rows, batch.duplicate_rows) == (2, 1)
    row = ImportRow.objects.get(batch=batch, outcome=ImportRow.Outcome.EXISTING)
    assert (row.row_number, row.customer_id) == (2, existing.pk)


# --- import: provenance, owner, duplicates --------------------------------------------------


def test_import_records_channel_batch_owner_and_search(archivist, rep):
    batch = run(upload(archivist, (HEADER + ROWS).encode(), channel="exhibition", owner="rep1"))
    assert batch.status == ImportBatch.Status.DONE
    zhang = Customer.objects.get(name="张伟")
    assert zhang.owner == rep
    assert zhang.status == Customer.Status.ACTIVE
    assert zhang.source_channel is not None
    assert zhang.source_channel.code == "exhibition"
    assert zhang.person.id_number == ID_MALE_1990
    assert zhang.person.gender == "male"  # from the ID number, as customer_create does
    changes = CustomerChange.objects.filter(customer=zhang)
    assert {c.import_batch_id for c in changes} == {batch.pk}
    assert {c.channel_id for c in changes} == {zhang.source_channel.pk}
    creation = changes.get()  # one history row holds every initial value
    assert creation.field == CustomerChange.CREATED
    entries = {entry.field: entry for entry in creation.entries()}
    assert entries["name"].new == "张伟"
    assert entries["person.gender"].new == "male"
    assert entries["source_channel"].new == "exhibition"
    assert entries["person.id_number"].sensitive
    assert ID_MALE_1990 not in creation.new_value  # encrypted like the live field
    assert entries["person.id_number"].text("new") == ID_MALE_1990
    found = customer_search(user=rep, q="13812345678")
    assert [hit.customer.pk for hit in found.hits] == [zhang.pk]
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert event.detail["created"] == 2


def test_the_creation_row_reads_field_by_field(archivist, rep):
    """History, field sources, reveal and the timeline read an imported customer's one
    creation row as the per-field rows a customer created in the form has."""
    run(upload(archivist, (HEADER + ROWS).encode(), channel="exhibition", owner="rep1"))
    zhang = Customer.objects.get(name="张伟")
    customer_services.customer_update(user=rep, customer=zhang, data={"notes": "回访"})
    client = Client()
    client.force_login(archivist)
    history = client.get(f"/api/v1/customers/{zhang.pk}/history").json()
    assert history[0]["field"] == "notes"
    assert (history[0]["old"], history[0]["new"]) == ("老客户", "回访")
    created = {entry["field"]: entry for entry in history[1:]}
    assert {"name", "phones", "person.id_number", "emails", "notes"} <= set(created)
    assert {entry["channel"] for entry in created.values()} == {"exhibition"}
    assert created["person.id_number"]["new"] == "110101********0011"
    assert created["person.id_number"]["masked"] is True
    only_id = client.get(f"/api/v1/customers/{zhang.pk}/history?field=person.id_number").json()
    assert [entry["field"] for entry in only_id] == ["person.id_number"]
    reveal = {"field": "person.id_number", "change_id": only_id[0]["id"]}
    answer = client.post(
        f"/api/v1/customers/{zhang.pk}/reveal", reveal, content_type="application/json"
    )
    assert answer.json()["value"] == ID_MALE_1990
    name_only = {"field": "name", "change_id": only_id[0]["id"]}  # not a sensitive field
    refused = client.post(
        f"/api/v1/customers/{zhang.pk}/reveal", name_only, content_type="application/json"
    )
    assert refused.status_code == 422
    sources = latest_sources(zhang)
    channel = sources["name"].channel
    assert channel is not None
    assert channel.code == "exhibition"
    assert sources["notes"].changed_by == str(rep)
    page = client.get(f"/customers/{zhang.pk}/history/?field=person.id_number")
    assert page.content.decode().count('data-testid="history-row"') == 1
    items = change_items(user=archivist, customer=zhang, before=None, limit=10)
    assert [str(item.title) for item in items] == ["Archive updated", "Customer created"]
    assert "ID number, e-mails" in items[1].body


def test_the_import_puts_the_connections_sqlite_settings_back(archivist):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache and checkpoint settings")

    def settings_now():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            cache = cursor.fetchone()[0]
            cursor.execute("PRAGMA wal_autocheckpoint")
            return cache, cursor.fetchone()[0]

    before = settings_now()
    assert run(upload(archivist, (HEADER + ROWS).encode())).status == ImportBatch.Status.DONE
    assert settings_now() == before


def test_no_owner_puts_customers_in_the_public_pool(archivist):
    run(upload(archivist, (HEADER + ROWS).encode()))
    assert set(Customer.objects.values_list("status", flat=True)) == {"public_pool"}
    assert set(Customer.objects.values_list("source_channel__code", flat=True)) == {
        "purchased_list"
    }


@pytest.fixture
def existing(archivist):
    return customer_services.customer_create(
        user=archivist,
        kind="person",
        data={"name": "张伟", "phones": ["13812345678"], "notes": "原备注"},
    )


def import_policy(archivist, policy):
    content = (
        "姓名,手机,地址,备注\n"
        "张伟,13812345678,浙江省杭州市西湖区文三路1号,新备注\n"  # same phone
        "李娜,13912345679,,\n"
    ).encode()
    return run(upload(archivist, content, duplicates=policy))


def test_duplicate_skipped(archivist, existing):
    batch = import_policy(archivist, "skip")
    assert (batch.created_count, batch.updated_count, batch.skipped_count) == (1, 0, 1)
    existing.refresh_from_db()
    assert (existing.notes, existing.address) == ("原备注", "")
    assert ImportRow.objects.get(batch=batch, row_number=2).customer_id == existing.pk
    assert Customer.objects.filter(name="张伟").count() == 1


def test_duplicate_fills_only_empty_fields(archivist, existing):
    batch = import_policy(archivist, "fill")
    assert (batch.created_count, batch.updated_count) == (1, 1)
    existing.refresh_from_db()
    assert (existing.notes, existing.address) == ("原备注", "浙江省杭州市西湖区文三路1号")
    assert existing.province == "浙江省"
    change = CustomerChange.objects.get(customer=existing, import_batch=batch)
    assert (change.field, change.old_value) == ("address", "")


def test_duplicate_overwritten(archivist, existing):
    batch = import_policy(archivist, "overwrite")
    assert (batch.updated_count, batch.skipped_count) == (1, 0)
    existing.refresh_from_db()
    assert (existing.notes, existing.address) == ("新备注", "浙江省杭州市西湖区文三路1号")
    row = ImportRow.objects.get(batch=batch, row_number=2)
    assert (row.outcome, row.customer_id) == ("updated", existing.pk)


def test_duplicates_by_id_number_credit_code_and_name_with_birth_date(archivist):
    person = customer_services.customer_create(
        user=archivist, kind="person", data={"name": "甲", "person.id_number": ID_MALE_1990}
    )
    twin = customer_services.customer_create(
        user=archivist, kind="person", data={"name": "乙", "person.birth_date": "1985-01-01"}
    )
    content = (
        f"姓名,身份证号,出生日期\n别名,{ID_MALE_1990},\n乙,,1985-01-01\n乙,,1985-01-02\n"
    ).encode()
    batch = run(upload(archivist, content))
    outcomes = dict(ImportRow.objects.filter(batch=batch).values_list("row_number", "customer_id"))
    assert outcomes[2] == person.pk
    assert outcomes[3] == twin.pk
    assert outcomes[4] not in {person.pk, twin.pk}
    code = make_credit_code(region_code="330106", sequence=7)
    org = customer_services.customer_create(
        user=archivist,
        kind="organization",
        data={"name": "杭州某某有限公司", "organization.credit_code": code},
    )
    batch = run(
        upload(archivist, f"名称,信用代码\n杭州某某公司,{code}\n".encode(), kind="organization")
    )
    row = ImportRow.objects.get(batch=batch)
    assert (row.outcome, row.customer_id) == ("skipped", org.pk)


def test_organizations_with_a_contact(archivist):
    content = (
        "公司名称,行业,联系人,联系人电话,联系人角色\n杭州示例科技有限公司,软件,王经理,13812345678,采购\n"
    ).encode()
    batch = run(upload(archivist, content, kind="organization"))
    assert batch.created_count == 1, problems(batch)
    company = Customer.objects.get()
    assert company.organization.industry == "软件"
    contact = company.contacts.get()
    assert (contact.name, contact.role) == ("王经理", "purchaser")
    assert list(contact.phones.values_list("number", flat=True)) == ["+8613812345678"]


# --- undo -------------------------------------------------------------------------------------


def test_undo_removes_created_archives_attached_and_restores_updated(archivist, existing):
    batch = run(upload(
        archivist,
        ("姓名,手机,地址\n张伟,13812345678,北京市朝阳区建国路8号\n李娜,13912345679,\n"
         "王芳,13912345670,\n").encode(),
        duplicates="overwrite",
    ))  # fmt: skip
    li, wang = Customer.objects.get(name="李娜"), Customer.objects.get(name="王芳")
    Interaction.objects.create(
        customer=wang, type="phone_call", occurred_at=timezone.now(), summary="回访"
    )
    result = services.import_undo(user=archivist, batch=batch)
    assert result == {"deleted": 1, "archived": 1, "restored": 1}
    assert not Customer.objects.filter(pk=li.pk).exists()
    wang.refresh_from_db()
    assert wang.status == Customer.Status.ARCHIVED
    existing.refresh_from_db()
    assert existing.address == ""
    restore = CustomerChange.objects.filter(customer=existing, field="address").first()
    assert restore is not None
    assert restore.old_value == "北京市朝阳区建国路8号"
    assert restore.import_batch is None
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.UNDONE
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT_UNDONE).count() == 1
    with pytest.raises(ValidationError):
        services.import_undo(user=archivist, batch=batch)


def test_undo_leaves_a_field_changed_since_alone(archivist, existing):
    batch = run(upload(archivist, "姓名,手机,地址\n张伟,13812345678,北京市朝阳区\n".encode(),
                       duplicates="fill"))  # fmt: skip
    customer_services.customer_update(user=archivist, customer=existing, data={"address": "上海市"})
    assert services.import_undo(user=archivist, batch=batch)["restored"] == 0
    existing.refresh_from_db()
    assert existing.address == "上海市"


# --- permissions and the API --------------------------------------------------------------------


def test_only_archive_administrators_import(rep):
    with pytest.raises(PermissionDenied):
        upload(rep, (HEADER + ROWS).encode())


def test_api_flow_upload_map_dry_run_start_undo(
    client, archivist, huey_immediate, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services.batches, "INLINE_MAX_BYTES", 0)  # through the task queue
    client.force_login(archivist)
    content = io.BytesIO("名字,Mobile,其他\n张伟,13812345678,x\n".encode())
    content.name = "list.csv"
    response = client.post(
        "/api/v1/imports/",
        {"file": content, "kind": "person", "channel": "exhibition"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mapping"] == {"名字": "name", "Mobile": "phones"}
    batch_id = body["id"]
    response = client.patch(
        f"/api/v1/imports/{batch_id}",
        {"mapping": {"名字": "name", "Mobile": "phones", "其他": "notes"}, "save_as": "展会"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert ImportMapping.objects.get(name="展会").columns["其他"] == "notes"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/imports/{batch_id}/dry-run")
    assert response.status_code == 202
    detail = client.get(f"/api/v1/imports/{batch_id}").json()
    assert (detail["status"], detail["valid_rows"]) == ("validated", 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/imports/{batch_id}/start").status_code == 202
    detail = client.get(f"/api/v1/imports/{batch_id}").json()
    assert (detail["status"], detail["created_count"], detail["progress_percent"]) == (
        "done", 1, 100,
    )  # fmt: skip
    assert Customer.objects.get().notes == "x"
    report = client.get(f"/api/v1/imports/{batch_id}/report").json()["results"]
    assert [(r["row_number"], r["outcome"]) for r in report] == [(2, "created")]
    assert [b["id"] for b in client.get("/api/v1/imports/").json()["results"]] == [batch_id]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/imports/{batch_id}/undo")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "undoing"  # the worker's job, like the import
    detail = client.get(f"/api/v1/imports/{batch_id}").json()
    assert detail["status"] == "undone"
    counts = [detail[f"{k}_count"] for k in ("deleted", "archived", "restored")]
    assert (counts, detail["undone_rows"], detail["progress_percent"]) == ([1, 0, 0], 1, 100)
    assert Customer.objects.count() == 0


def test_api_mappings(client, archivist):
    client.force_login(archivist)
    response = client.post(
        "/api/v1/import-mappings/",
        {"name": "名单", "kind": "person", "columns": {"姓名": "name"}},
        content_type="application/json",
    )
    assert response.status_code == 201
    mapping_id = response.json()["id"]
    assert client.get("/api/v1/import-mappings/").json()["results"][0]["name"] == "名单"
    bad = client.post(
        "/api/v1/import-mappings/",
        {"name": "x", "kind": "person", "columns": {"a": "nonsense"}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert client.delete(f"/api/v1/import-mappings/{mapping_id}").status_code == 204
    assert not ImportMapping.objects.exists()


def test_saved_mapping_is_used_by_name(archivist):
    services.mapping_save(user=archivist, name="展会名单", kind="person",
                          columns={"A": "name", "B": "phones"})  # fmt: skip
    batch = upload(archivist, b"A,B\nX,13812345678\n", mapping="展会名单")
    assert batch.mapping == {"A": "name", "B": "phones"}
    with pytest.raises(ValidationError):
        upload(archivist, b"A,B\nX,13812345678\n", mapping="nope")


def test_every_endpoint_refuses_other_roles(client, rep, archivist):
    batch = upload(archivist, (HEADER + ROWS).encode())
    saved = services.mapping_save(user=archivist, name="m", kind="person", columns={})
    client.force_login(rep)
    base = f"/api/v1/imports/{batch.pk}"
    calls = [
        client.get("/api/v1/imports/"),
        client.get("/api/v1/imports/targets"),
        client.post("/api/v1/imports/", {"file": io.BytesIO(b"a\n1\n")}, format="multipart"),
        client.get(base),
        client.patch(base, {"mapping": {}}, content_type="application/json"),
        client.post(f"{base}/dry-run"),
        client.post(f"{base}/start"),
        client.get(f"{base}/report"),
        client.get(f"{base}/report.xlsx"),
        client.post(f"{base}/undo"),
        client.get("/api/v1/import-mappings/"),
        client.post(
            "/api/v1/import-mappings/",
            {"name": "x", "columns": {}},
            content_type="application/json",
        ),  # fmt: skip
        client.delete(f"/api/v1/import-mappings/{saved.pk}"),
    ]
    assert [r.status_code for r in calls] == [403] * len(calls)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.UPLOADED
    assert ImportMapping.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "The file is empty"),
        ("blank.csv", b"\n\n", "The file is empty"),
        ("noheader.csv", "张伟,13812345678\n".encode(), "add a header row"),
        ("garbage.csv", bytes(range(256)) * 20, "not a text table"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "save the file as XLSX or CSV"),
        ("doc.pdf", b"%PDF-1.4", "Upload a CSV or XLSX file"),
        ("fake.xlsx", b"PK not a zip", "not a readable XLSX file"),
    ],
)
def test_bad_files_get_clear_errors(client, archivist, name, content, message):
    client.force_login(archivist)
    upload_file = io.BytesIO(content)
    upload_file.name = name
    response = client.post("/api/v1/imports/", {"file": upload_file}, format="multipart")
    assert response.status_code == 422, response.content
    assert message in str(response.json())
    assert not ImportBatch.objects.exists()


def test_file_size_limit(archivist, monkeypatch):
    monkeypatch.setattr(services.batches, "MAX_FILE_BYTES", 10)
    with pytest.raises(ValidationError, match="larger than"):
        upload(archivist, (HEADER + ROWS).encode())


def test_uploading_the_same_unfinished_file_continues_its_batch(archivist):
    first = dry_run(upload(archivist, (HEADER + ROWS).encode()))
    ImportBatch.objects.filter(pk=first.pk).update(processed_rows=1, status="failed")
    again = upload(archivist, (HEADER + ROWS).encode())
    assert again.pk == first.pk
    assert run(again).created_count == 1  # the second row; the first was done before


def test_large_files_are_read_in_a_second_process_with_the_same_result(archivist, monkeypatch):
    from kehu.imports import engine

    monkeypatch.setattr(engine, "PARALLEL_FROM", 1)
    monkeypatch.setattr(engine, "CHUNK_SIZE", 1)
    content = (HEADER + ROWS + "王五,123,,,,\n" + ROWS.splitlines()[0] + "\n").encode()
    batch = dry_run(upload(archivist, content))
    assert (batch.valid_rows, batch.invalid_rows) == (2, 2)
    batch = run(batch)
    assert (batch.created_count, batch.invalid_rows, batch.processed_rows) == (2, 2, 4)
    zhang = Customer.objects.get(name="张伟")
    assert zhang.province == "浙江省"
    assert zhang.person.id_number == ID_MALE_1990
    assert found_by_search(archivist, "13812345678") == [zhang.pk]


def test_a_large_import_indexes_its_customers_in_one_pass_before_it_is_done(archivist, monkeypatch):
    from kehu.imports import engine
    from kehu.search.models import PendingTerm, SearchTerm
    from kehu.search.services import search_index_rebuild

    # given: a file "large" enough to keep its terms aside, written a row a chunk
    monkeypatch.setattr(engine, "DEFERRED_TERMS_FROM", 1)
    monkeypatch.setattr(engine, "CHUNK_SIZE", 1)
    batch = dry_run(upload(archivist, (HEADER + ROWS).encode()))
    waiting = []

    def progress(batch):
        waiting.append((SearchTerm.objects.count(), PendingTerm.objects.count()))

    # when
    batch = services.import_run(batch_id=batch.pk, progress=progress)
    # then: nothing in the index while the chunks were written, everything when done
    assert batch.status == ImportBatch.Status.DONE
    assert [indexed for indexed, _pending in waiting] == [0, 0]
    assert 0 < waiting[0][1] < waiting[1][1]
    assert PendingTerm.objects.count() == 0
    zhang = Customer.objects.get(name="张伟")
    assert found_by_search(archivist, "zhangwei") == [zhang.pk]
    index = sorted(SearchTerm.objects.values_list("term", "customer_id", "source"))
    search_index_rebuild()
    assert sorted(SearchTerm.objects.values_list("term", "customer_id", "source")) == index


def test_an_import_stopped_by_an_error_leaves_its_written_customers_searchable(
    archivist, monkeypatch
):
    from kehu.imports import engine
    from kehu.search.models import PendingTerm

    monkeypatch.setattr(engine, "DEFERRED_TERMS_FROM", 1)
    monkeypatch.setattr(engine, "CHUNK_SIZE", 1)
    batch = dry_run(upload(archivist, (HEADER + ROWS).encode()))
    write = engine.write_chunk

    def write_then_fail(context, rows):
        if context.batch.processed_rows:
            raise RuntimeError("disk full")
        write(context, rows)

    monkeypatch.setattr(engine, "write_chunk", write_then_fail)
    batch = services.import_run(batch_id=batch.pk)
    assert (batch.status, batch.processed_rows) == (ImportBatch.Status.FAILED, 1)
    assert PendingTerm.objects.count() == 0
    assert found_by_search(archivist, "zhangwei") == [Customer.objects.get(name="张伟").pk]


def found_by_search(user, q):
    return [hit.customer.pk for hit in customer_search(user=user, q=q).hits]


def test_undo_keeps_a_person_someone_else_links_to_as_contact(archivist):
    batch = run(upload(archivist, "姓名,手机\n周杰,13812345678\n".encode()))
    person = Customer.objects.get(name="周杰")
    company = customer_services.customer_create(
        user=archivist, kind="organization", data={"name": "某某有限公司"}
    )
    customer_services.contact_save(
        user=archivist, customer=company, data={"name": "周杰"}, person=person
    )
    assert services.import_undo(user=archivist, batch=batch)["archived"] == 1
    person.refresh_from_db()
    assert person.status == Customer.Status.ARCHIVED
