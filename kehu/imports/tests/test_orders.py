"""Order-history import: customers matched by number, phone (with the name), credit code or an
external reference, never guessed; products matched or created; orders imported whole;
re-imports skipped row by row with the reason; resume after a crash; undo; the daily sales
summary exact throughout (compared with a rebuild from the raw rows)."""

import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.customers import services as customer_services
from kehu.customers.models import CustomField
from kehu.imports import orders, services
from kehu.imports.models import ImportBatch, ImportRow
from kehu.sales.models import Order, OrderLine, Payment, Product, SalesDaily
from kehu.sales.summary import summary_rebuild
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

HEADER = "订单号,客户编号,手机,客户名称,下单日期,商品编码,商品名称,数量,单价,金额,状态,已付\n"


@pytest.fixture
def archive(rep, archivist):
    zhang = customer_services.customer_create(
        user=rep, kind="person", data={"name": "张伟", "phones": ["13812345678"]}
    )
    li = customer_services.customer_create(user=rep, kind="person", data={"name": "李娜"})
    # Two customers share a phone: only the name tells them apart.
    wang = customer_services.customer_create(
        user=archivist, kind="person", data={"name": "王芳", "phones": ["13912345670"]}
    )
    zhao = customer_services.customer_create(
        user=archivist, kind="person", data={"name": "赵六", "phones": ["13912345670"]}
    )
    tea = ProductFactory.create(code="TEA-01", name="龙井礼盒", list_price=Decimal("99.00"))
    return {"zhang": zhang, "li": li, "wang": wang, "zhao": zhao, "tea": tea}


def upload(user, text, **options):
    return services.import_upload(
        user=user, upload=io.BytesIO(text.encode()), name="orders.csv", kind="orders", **options
    )


def run(user, text, **options):
    batch = upload(user, text, **options)
    batch = services.import_dry_run(batch_id=batch.pk)
    assert batch.status == ImportBatch.Status.VALIDATED, batch.error
    return services.import_run(batch_id=batch.pk)


def summary_by_key():
    """The daily summary's rows summed per key: what the sales report reads."""
    sums: dict[tuple[object, ...], list[Any]] = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0)])
    for row in SalesDaily.objects.all():
        key = (row.day, row.owner_id, row.team_id, row.currency)
        for i, name in enumerate(("orders", "revenue", "new_customers", "collected")):
            sums[key][i] += getattr(row, name)
    return {k: v for k, v in sums.items() if any(v)}


def assert_summary_exact():
    kept = summary_by_key()
    summary_rebuild()
    assert kept == summary_by_key()


def report(batch):
    return {
        r.row_number: (r.outcome, r.customer_id, [p["message"] for p in r.problems])
        for r in ImportRow.objects.filter(batch=batch)
    }


def test_orders_imported_with_customers_products_payments_and_summary(archivist, archive):
    zhang, li, wang, tea = archive["zhang"], archive["li"], archive["wang"], archive["tea"]
    text = HEADER + (
        f"H1001,,13812345678,,2024/3/1,TEA-01,,2,99,,,198\n"
        f"H1001,,13812345678,,2024/3/1,,普洱茶饼,1,,50.5,,\n"
        f"H1002,{li.pk},,李娜,2024-04-02,TEA-01,,3,99,280,已完成,\n"
        f"H1003,,13912345670,王芳,20240505,,普洱茶饼,1,60,,已取消,\n"
        f"H1004,{li.pk},,,2024年6月1日,TEA-01,,1,99,,,\n"
    )
    batch = upload(archivist, text)
    assert batch.mapping["订单号"] == "order_number"
    assert batch.mapping["手机"] == "phone"
    batch = services.import_dry_run(batch_id=batch.pk)
    assert (batch.valid_rows, batch.invalid_rows, batch.duplicate_rows) == (5, 0, 0)
    assert not Order.objects.exists()  # the dry run writes nothing
    batch = services.import_run(batch_id=batch.pk)
    assert (batch.status, batch.created_count, batch.invalid_rows) == ("done", 5, 0)

    h1001 = Order.objects.get(number="H1001")
    assert (h1001.customer_id, str(h1001.ordered_on)) == (zhang.pk, "2024-03-01")
    assert (h1001.total_amount, h1001.paid_amount) == (Decimal("248.50"), Decimal("198.00"))
    assert h1001.first_for_customer
    assert h1001.owner_id == zhang.owner_id
    assert h1001.import_batch_id == batch.pk
    lines = list(OrderLine.objects.filter(order=h1001).order_by("id"))
    assert [(line.product_id, line.quantity, line.amount) for line in lines][0] == (
        tea.pk, Decimal("2.000"), Decimal("198.00"),
    )  # fmt: skip
    created = Product.objects.get(name="普洱茶饼")
    assert created.import_batch_id == batch.pk
    assert lines[1].product_id == created.pk
    assert lines[1].unit_price == Decimal("50.50")
    # The amount below quantity × price is a discount, not a lost cent.
    h1002_line = OrderLine.objects.get(order__number="H1002")
    assert (h1002_line.amount, h1002_line.discount_percent) == (Decimal("280.00"), Decimal("5.72"))
    h1003 = Order.objects.get(number="H1003")
    assert (h1003.customer_id, h1003.status) == (wang.pk, "cancelled")
    assert not h1003.first_for_customer
    assert not Order.objects.get(number="H1004").first_for_customer  # li bought on 2024-04-02
    payment = Payment.objects.get()
    assert (payment.order_id, payment.amount, payment.reference) == (
        h1001.pk, Decimal("198.00"), f"import #{batch.pk}",
    )  # fmt: skip
    assert_summary_exact()


def test_malformed_file_every_refused_row_has_its_reason(archivist, archive):
    li = archive["li"]
    text = HEADER + (
        f"M1,{li.pk},,,2024-01-01,TEA-01,,1,99,,,\n"  # 2 refused: row 3 of its order is bad
        f"M1,{li.pk},,,2024-01-01,TEA-01,,-1,99,,,\n"  # 3 negative quantity
        "M2,,13800000000,,2024-01-01,TEA-01,,1,99,,,\n"  # 4 no such customer
        "M3,,13912345670,,2024-01-01,TEA-01,,1,99,,,\n"  # 5 two customers with that phone
        f"M4,{li.pk},,,2024-13-45,TEA-01,,1,99,,,\n"  # 6 not a date
        f"M5,{li.pk},,,2024-01-01,TEA-01,,1,99,150,,\n"  # 7 amount > quantity × price
        f"M6,{li.pk},,张伟,2024-01-01,TEA-01,,1,99,,,\n"  # 8 number and name disagree
        f"M7,{li.pk},,,2024-01-01\n"  # 9 too few cells
        f"SO000000001,{li.pk},,,2024-01-01,TEA-01,,1,99,,,\n"  # 10 Kehu's own numbering
        f"M8,{li.pk},,,2024-01-01,TEA-01,,1,abc,,,\n"  # 11 not a number
        f"M9,{li.pk},,,2024-01-01,TEA-01,,1,99,,,\n"  # 12 fine
        f"M9,{archive['zhang'].pk},,,2024-01-01,TEA-01,,1,99,,,\n"  # 13 another customer
    )
    batch = upload(archivist, text)
    batch = services.import_dry_run(batch_id=batch.pk)
    assert (batch.checked_rows, batch.valid_rows, batch.invalid_rows) == (12, 0, 12)
    found = report(batch)
    assert set(found) == set(range(2, 14))
    assert all(outcome == "invalid" and problems for outcome, _c, problems in found.values())
    assert "imported whole" in found[2][2][0]
    assert "No customer in the archive has this Phone" in found[4][2][0]
    assert "Several customers" in found[5][2][0]
    assert "Not a date" in found[6][2][0]
    assert "more than quantity × unit price" in found[7][2][0]
    assert "is named “李娜”, not “张伟”" in found[8][2][0]
    assert "cells but the header has 12 columns" in found[9][2][0]
    assert "Kehu's own order numbers" in found[10][2][0]
    assert "Not a number" in found[11][2][0]
    assert "Row 12 gave order M9 another customer" in found[13][2][0]
    assert "imported whole" in found[12][2][0]  # row 13's problem refuses its order
    batch = services.import_run(batch_id=batch.pk)
    assert (batch.status, batch.created_count, batch.invalid_rows) == ("done", 0, 12)
    assert not Order.objects.exists()
    assert not SalesDaily.objects.exists()


def test_errors_in_the_users_language(archivist, archive, settings):
    from django.utils import translation

    with translation.override("zh-hans"):
        batch = run(archivist, HEADER + "Z1,,13800000000,,2024-01-01,TEA-01,,1,99,,,\n")
    message = ImportRow.objects.get(batch=batch).problems[0]["message"]
    assert "档案中没有" in message, message


def test_re_import_skips_every_row_with_the_reason(archivist, archive):
    li = archive["li"]
    text = HEADER + (
        f"R1,{li.pk},,,2024-01-01,TEA-01,,1,99,,,\n"
        f"R1,{li.pk},,,2024-01-01,TEA-01,,2,99,,,\n"
        f"R2,{li.pk},,,2024-01-02,TEA-01,,1,99,,,\n"
    )
    first = run(archivist, text)
    assert first.created_count == 3
    before = summary_by_key()
    again = upload(archivist, text)
    assert again.pk != first.pk  # a new batch: the first is finished
    again = services.import_dry_run(batch_id=again.pk)
    assert (again.valid_rows, again.duplicate_rows, again.invalid_rows) == (0, 3, 0)
    again = services.import_run(batch_id=again.pk)
    assert (again.created_count, again.skipped_count) == (0, 3)
    for outcome, customer, problems in report(again).values():
        assert (outcome, customer) == ("skipped", li.pk)
        assert f"in the archive already (import #{first.pk})" in problems[0]
    assert Order.objects.count() == 2
    assert OrderLine.objects.count() == 3
    assert summary_by_key() == before
    # An order entered by hand with the same number is skipped the same way.
    hand = Order.objects.get(number="R2")
    hand.import_batch = None
    hand.save()
    third = run(archivist, text.replace("R1,", "R3,"))
    skipped = [p for o, _c, p in report(third).values() if o == "skipped"]
    assert len(skipped) == 1
    assert f"(customer {li.pk})" in skipped[0][0]
    assert third.created_count == 2


def test_unknown_products_refused_when_chosen(archivist, archive):
    li = archive["li"]
    text = HEADER + f"P1,{li.pk},,,2024-01-01,NEW-9,,1,10,,,\n"
    batch = run(archivist, text, create_products=False)
    assert (batch.created_count, batch.invalid_rows) == (0, 1)
    assert "does not create products" in report(batch)[2][2][0]
    assert not Product.objects.filter(code="NEW-9").exists()
    batch = run(archivist, text.replace("P1", "P2"))  # another file: products created
    assert Product.objects.get(code="NEW-9").list_price == Decimal("10.00")


def test_external_reference_and_credit_code(archivist, archive, rep):
    CustomField.objects.create(code="erp_id", label="ERP编号", field_type="text", applies_to="both")
    org = customer_services.customer_create(
        user=rep,
        kind="organization",
        data={"name": "杭州云杉科技有限公司", "organization.credit_code": "91350100M000100Y43"},
    )
    customer = archive["li"]
    customer.custom_values = {"erp_id": "C-0042"}
    customer.save()
    text = "订单号,ERP编号,信用代码,日期,商品编码,数量,单价\nE1,C-0042,,2024-02-02,TEA-01,1,99\n"
    batch = upload(archivist, text)
    services.import_configure(user=archivist, batch=batch, mapping={
        "订单号": "order_number", "ERP编号": "external:erp_id", "日期": "ordered_on",
        "商品编码": "product_code", "数量": "quantity", "单价": "unit_price",
    })  # fmt: skip
    services.import_dry_run(batch_id=batch.pk)
    assert services.import_run(batch_id=batch.pk).created_count == 1
    assert Order.objects.get(number="E1").customer_id == customer.pk
    text = "订单号,信用代码,日期,商品编码,数量,单价\nE2,91350100M000100Y43,2024-02-02,TEA-01,1,99\n"
    batch = run(archivist, text)
    assert Order.objects.get(number="E2").customer_id == org.pk


def test_resume_after_a_crash_writes_nothing_twice(archivist, archive, monkeypatch):
    li = archive["li"]
    # Four orders of three lines each: with chunks of 5 rows, orders run across chunks.
    rows = [f"C{i // 3},{li.pk},,,2024-01-0{1 + i // 3},TEA-01,,1,99,,,1\n" for i in range(12)]
    text = HEADER + "".join(rows)
    monkeypatch.setattr(orders.checking, "CHUNK_SIZE", 5)  # orders run across chunks
    batch = upload(archivist, text)
    services.import_dry_run(batch_id=batch.pk)
    real_write = orders.Writer.write
    calls = {"n": 0}

    def crash_on_second(self, chunk, existing):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real_write(self, chunk, existing)

    monkeypatch.setattr(orders.Writer, "write", crash_on_second)
    batch = services.import_run(batch_id=batch.pk)
    assert (batch.status, batch.processed_rows) == ("failed", 5)
    assert OrderLine.objects.count() == 5
    batch = services.import_run(batch_id=batch.pk)
    assert (batch.status, batch.processed_rows, batch.created_count) == ("done", 12, 12)
    assert Order.objects.count() == 4
    assert OrderLine.objects.count() == 12
    assert all(o.total_amount == Decimal("297.00") for o in Order.objects.all())
    assert Payment.objects.filter(amount__gt=0).count() >= 4
    assert sum(p.amount for p in Payment.objects.all()) == Decimal("12.00")
    assert_summary_exact()


def test_undo_removes_orders_payments_and_products(archivist, archive):
    li = archive["li"]
    before = summary_by_key()
    text = HEADER + (
        f"U1,{li.pk},,,2024-01-01,,新品A,1,10,,,5\nU2,{li.pk},,,2024-01-02,TEA-01,,1,99,,,\n"
    )
    batch = run(archivist, text)
    assert Order.objects.count() == 2
    counts = services.import_undo(user=archivist, batch=batch)
    assert counts["deleted"] == 2
    batch.refresh_from_db()
    assert batch.status == "undone"
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    assert not Product.objects.filter(name="新品A").exists()
    assert Product.objects.filter(code="TEA-01").exists()
    assert summary_by_key() == before


def test_only_archive_administrators_import_orders(rep, archivist, archive, client):
    with pytest.raises(PermissionDenied):
        upload(rep, HEADER)
    client.force_login(rep)
    content = io.BytesIO(HEADER.encode())
    content.name = "orders.csv"
    response = client.post("/api/v1/imports/", {"file": content, "kind": "orders"})
    assert response.status_code == 403


def test_api_order_history_flow(client, archivist, archive):
    client.force_login(archivist)
    content = io.BytesIO(
        (HEADER + f"A1,{archive['li'].pk},,,2024-01-01,TEA-01,,1,99,,,\n").encode(),
    )
    content.name = "orders.csv"
    response = client.post(
        "/api/v1/imports/", {"file": content, "kind": "orders", "create_products": "false"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "orders"
    assert body["create_products"] is False
    targets = client.get("/api/v1/imports/targets?kind=orders").json()
    assert "order_number" in {t["code"] for t in targets}
    assert client.post(f"/api/v1/imports/{body['id']}/start").status_code == 422  # no dry run
    assert client.post(f"/api/v1/imports/{body['id']}/dry-run").status_code == 202
    assert client.post(f"/api/v1/imports/{body['id']}/start").status_code == 202
    assert client.get(f"/api/v1/imports/{body['id']}").json()["created_count"] == 1


def test_mapping_must_name_customer_order_date_product_and_money(archivist, archive):
    batch = upload(archivist, "订单号,备注\nX1,y\n")
    with pytest.raises(ValidationError) as error:
        services.import_request_dry_run(user=archivist, batch=batch)
    messages = " ".join(error.value.messages)
    assert "customer" in messages
    assert "Order date" in messages
    assert "unit price" in messages


def test_xlsx_order_history(archivist, archive):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["订单号", "客户编号", "下单日期", "商品编码", "数量", "金额"])
    sheet.append(["X1", archive["li"].pk, "2024-03-01", "TEA-01", 2, 150])
    data = io.BytesIO()
    book.save(data)
    batch = services.import_upload(
        user=archivist, upload=io.BytesIO(data.getvalue()), name="orders.xlsx", kind="orders"
    )
    services.import_dry_run(batch_id=batch.pk)
    batch = services.import_run(batch_id=batch.pk)
    assert batch.created_count == 1
    line = OrderLine.objects.get()
    assert (line.quantity, line.unit_price, line.amount) == (
        Decimal("2.000"), Decimal("75.00"), Decimal("150.00"),
    )  # fmt: skip


def test_pages_upload_check_and_import_order_history_in_chinese(client, archivist, archive):
    client.force_login(archivist)
    content = io.BytesIO(
        (HEADER + f"W1,{archive['li'].pk},,,2024-01-01,TEA-01,,1,99,,,\n").encode()
    )
    content.name = "订单.csv"
    headers = {"Accept-Language": "zh-hans"}
    assert "订单历史" in client.get("/imports/new/", headers=headers).content.decode()
    response = client.post(
        "/imports/new/",
        {"file": content, "kind": "orders", "create_products": "0"},
        headers=headers,
    )
    assert response.status_code == 302, response.content.decode()[:500]
    batch = ImportBatch.objects.get()
    assert (batch.kind, batch.create_products) == ("orders", False)
    page = client.get(f"/imports/{batch.pk}/", headers=headers).content.decode()
    assert "订单历史" in page
    assert "未知产品的行将被拒绝" in page
    assert '<option value="order_number" selected>订单号</option>' in page
    form = {
        f"map-{i}": code for i, code in enumerate(batch.mapping.get(h, "") for h in batch.columns)
    }
    form.update(create_products="0")
    client.post(f"/imports/{batch.pk}/", {**form, "action": "dry_run"}, headers=headers)
    page = client.get(f"/imports/{batch.pk}/", headers=headers).content.decode()
    assert "已检查 1 条订单明细：1 条待导入" in page
    client.post(f"/imports/{batch.pk}/", {**form, "action": "start"}, headers=headers)
    page = client.get(f"/imports/{batch.pk}/", headers=headers).content.decode()
    assert "已导入 1 条订单明细" in page
    assert Order.objects.filter(number="W1").exists()
    client.force_login(archive["li"].owner)  # a sales rep: refused
    assert client.get(f"/imports/{batch.pk}/").status_code in (403, 404)


def test_a_contacts_phone_names_no_customer(archivist, archive):
    """Only a customer's own numbers match: the same number held by a contact person of an
    organisation (not by the customer) leaves the row unmatched, not guessed."""
    from kehu.customers.models import Contact, Phone

    company = customer_services.customer_create(
        user=archivist, kind="organization", data={"name": "杭州茶业有限公司"}
    )
    contact = Contact.objects.create(customer=company, name="采购部陈先生")
    Phone.objects.create(customer=company, contact=contact, number="+8613700001111")
    text = HEADER + (
        "C1,,13700001111,,2024-01-01,TEA-01,,1,99,,,\n"  # the contact's number
        "C2,,13812345678,,2024-01-01,TEA-01,,1,99,,,\n"  # 张伟's own number
    )
    batch = services.import_dry_run(batch_id=upload(archivist, text).pk)
    found = report(batch)
    assert "No customer in the archive has this Phone" in found[2][2][0]
    assert 3 not in found  # valid
    services.import_run(batch_id=batch.pk)
    assert list(Order.objects.values_list("number", "customer_id")) == [("C2", archive["zhang"].pk)]
