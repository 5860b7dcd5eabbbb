"""Import templates: downloaded per kind as CSV (UTF-8 with BOM) or XLSX, headers in the user's
language that the mapper recognises, one example row; the template filled in imports with every
column mapped. Archive administrators only."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from kehu.accounts.models import Role
from kehu.customers import services as customer_services
from kehu.customers.models import Customer, CustomField
from kehu.customers.values import read_value
from kehu.imports import file_templates, services
from kehu.imports.mapping import import_specs
from kehu.imports.models import ImportBatch, ImportRow
from kehu.sales.models import Order

pytestmark = pytest.mark.django_db

KINDS = ["person", "organization", "orders"]


def download(client, kind, fmt, language="en"):
    response = client.get(f"/imports/template/{kind}.{fmt}", headers={"Accept-Language": language})
    assert response.status_code == 200
    return response


def table(response, fmt):
    """The downloaded file's rows as text."""
    if fmt == "csv":
        assert response.content.startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def import_file(user, content, name, kind):
    """Upload, dry-run and import a file as the import page does; the batch at the end."""
    batch = services.import_upload(user=user, upload=io.BytesIO(content), name=name, kind=kind)
    mapped = dict(batch.mapping)
    batch = services.import_dry_run(batch_id=batch.pk)
    assert batch.status == ImportBatch.Status.VALIDATED, batch.error
    batch = services.import_run(batch_id=batch.pk)
    return batch, mapped


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_template_filled_in_imports_with_every_column_mapped(
    client, archivist, rep, kind, fmt, language
):
    # given (for order history) the customer the example row names, by phone and name
    if kind == "orders":
        customer_services.customer_create(
            user=rep, kind="person", data={"name": "张伟", "phones": ["13800138000"]}
        )
    client.force_login(archivist)
    # when the template is downloaded and filled in (its example row kept as the data)
    response = download(client, kind, fmt, language)
    header, *rows = table(response, fmt)
    assert len(rows) == 1
    batch, mapped = import_file(archivist, response.content, f"filled.{fmt}", kind)
    # then every column was recognised, each as the field the template meant
    with translation.override(language):
        expected = {c.header: c.code for c in file_templates.template_columns(kind)}
    assert header == list(expected)
    assert mapped == expected
    # and the row was imported, every example value landing in its field
    outcomes = list(ImportRow.objects.filter(batch=batch).values_list("outcome", "problems"))
    assert outcomes == [(ImportRow.Outcome.CREATED, [])]
    if kind == "orders":
        order = Order.objects.get(number="DD20260301-001")
        assert order.customer.name == "张伟"
        assert (order.total_amount, order.paid_amount) == (Decimal("256.00"), Decimal("256.00"))
        assert order.status == Order.Status.DELIVERED
    else:
        customer = Customer.objects.get(kind=kind)
        specs = import_specs(kind)
        empty = [code for code in specs if read_value(customer, specs[code]) in ("", None, [])]
        assert empty == []
        if kind == "organization":
            contact = customer.contacts.get()
            assert (contact.name, contact.role) == ("李娜", "purchaser")


def test_headers_are_chinese_on_a_chinese_screen_and_english_on_an_english_one(client, archivist):
    client.force_login(archivist)
    chinese = table(download(client, "person", "csv", "zh-hans"), "csv")
    english = table(download(client, "person", "csv", "en"), "csv")
    assert chinese[0][:3] == ["姓名", "生命周期阶段", "等级"]
    assert english[0][:3] == ["Full name", "Lifecycle stage", "Grade"]
    # choice examples follow the language; the data itself is the same
    assert (chinese[1][2], english[1][2]) == ("重要", "Important")
    assert chinese[1][0] == english[1][0] == "张伟"


def test_a_custom_field_gets_its_column(client, archivist):
    CustomField.objects.create(
        code="wine",
        label="葡萄酒偏好",
        label_en="Wine preference",
        field_type="text",
        applies_to="both",
    )
    client.force_login(archivist)
    header, example = table(download(client, "person", "csv", "zh-hans"), "csv")
    assert header[-1] == "葡萄酒偏好"
    assert example[-1] == ""
    batch = services.import_upload(
        user=archivist,
        upload=io.BytesIO(download(client, "person", "csv", "zh-hans").content),
        name="t.csv",
        kind="person",
    )
    assert batch.mapping["葡萄酒偏好"] == "custom.wine"


def test_xlsx_keys_are_text_cells_and_the_file_is_named_in_the_users_language(client, archivist):
    client.force_login(archivist)
    response = download(client, "organization", "xlsx", "zh-hans")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert "%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF" in disposition  # 导入模板
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    credit = sheet.cell(row=2, column=header.index("统一社会信用代码") + 1)
    phone = sheet.cell(row=2, column=header.index("电话") + 1)
    assert (credit.number_format, phone.number_format) == ("@", "@")
    assert phone.value == "138 0013 8000"
    english = download(client, "orders", "csv", "en")
    assert english["Content-Disposition"] == (
        'attachment; filename="import-template-Order history.csv"'
    )


def test_the_new_import_page_links_every_template(client, archivist):
    client.force_login(archivist)
    page = client.get("/imports/new/").content.decode()
    for kind in KINDS:
        for fmt in ("xlsx", "csv"):
            assert f'href="/imports/template/{kind}.{fmt}"' in page


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.MARKETER, Role.SERVICE_AGENT, Role.LEADER])
def test_roles_that_may_not_import_are_refused(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get("/imports/template/person.csv").status_code == 403


def test_an_unknown_kind_or_format_is_not_found(client, archivist):
    client.force_login(archivist)
    assert client.get("/imports/template/robots.csv").status_code == 404
    assert client.get("/imports/template/person.pdf").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/imports/template/person.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
