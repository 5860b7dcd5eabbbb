"""The sales API: each endpoint works for the right user and refuses the wrong one; lists keep
their query count whatever the number of rows."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.accounts.models import Role
from kehu.sales import services
from kehu.sales.models import Order, PipelineStage
from kehu.sales.services import LineInput

pytestmark = pytest.mark.django_db


def api(client, method, path, body=None):
    call = getattr(client, method.lower())
    if body is None:
        return call(f"/api/v1{path}")
    return call(f"/api/v1{path}", body, content_type="application/json")


@pytest.fixture
def order(rep, customer, product):
    return services.order_create(
        user=rep, customer=customer, lines=[LineInput(product, Decimal(3))]
    )


@pytest.fixture
def opportunity(rep, customer):
    return services.opportunity_create(
        user=rep, customer=customer, name="年度采购", amount=Decimal("80000")
    )


def test_create_order_with_lines_and_money_as_strings(client, rep, customer, product):
    client.force_login(rep)
    body = {
        "customer_id": customer.pk,
        "ordered_on": "2026-03-01",
        "lines": [
            {"product_id": product.pk, "quantity": "3"},
            {"product_id": product.pk, "quantity": "1", "unit_price": "10.01",
             "discount_percent": "50"},
        ],
    }  # fmt: skip
    response = api(client, "POST", "/orders/", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["total_amount"] == "304.98"  # 299.97 + 5.005 → 5.01
    assert [line["amount"] for line in data["lines"]] == ["299.97", "5.01"]
    assert data["currency"] == "CNY"
    assert data["outstanding"] == "304.98"


def test_order_refusals(client, rep, other_rep, customer, product):
    client.force_login(other_rep)
    body = {"customer_id": customer.pk, "lines": [{"product_id": product.pk, "quantity": "1"}]}
    assert api(client, "POST", "/orders/", body).status_code == 404  # not their customer
    client.force_login(rep)
    body["lines"] = [{"product_id": 999999, "quantity": "1"}]
    response = api(client, "POST", "/orders/", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines"
    body["lines"] = []
    assert api(client, "POST", "/orders/", body).status_code == 422


def test_orders_payments_and_receivables_are_scoped(client, rep, other_rep, customer, order):
    client.force_login(other_rep)
    assert api(client, "GET", "/orders/").json()["results"] == []
    assert api(client, "GET", f"/orders/{order.pk}").status_code == 404
    assert api(client, "POST", f"/orders/{order.pk}/cancel").status_code == 404
    assert api(client, "GET", f"/customers/{customer.pk}/receivables").status_code == 404
    pay = {"order_id": order.pk, "amount": "1.00"}
    assert api(client, "POST", "/payments/", pay).status_code == 404
    assert api(client, "GET", "/payments/").json()["results"] == []
    client.force_login(rep)
    assert [o["id"] for o in api(client, "GET", "/orders/").json()["results"]] == [order.pk]
    assert api(client, "GET", f"/orders/{order.pk}").status_code == 200


def test_partial_payment_then_receivables(client, rep, customer, order):
    client.force_login(rep)
    response = api(client, "POST", "/payments/", {"order_id": order.pk, "amount": "100.00"})
    assert response.status_code == 201, response.content
    too_much = api(client, "POST", "/payments/", {"order_id": order.pk, "amount": "500"})
    assert too_much.status_code == 422
    [rec] = api(client, "GET", f"/customers/{customer.pk}/receivables").json()
    assert rec["outstanding"] == "199.97"
    assert rec["buckets"]["d0_30"] == "199.97"
    assert rec["items"][0]["order_number"] == order.number
    assert api(client, "POST", f"/orders/{order.pk}/cancel").status_code == 409
    payments = api(client, "GET", f"/payments/?order_id={order.pk}").json()["results"]
    assert [p["amount"] for p in payments] == ["100.00"]


def test_leader_reads_but_cannot_write(client, make_user, customer, order):
    client.force_login(make_user(Role.LEADER))
    assert api(client, "GET", f"/orders/{order.pk}").status_code == 200
    pay = {"order_id": order.pk, "amount": "1.00"}
    assert api(client, "POST", "/payments/", pay).status_code == 403


def test_products_catalogue_managers_only(client, rep, make_user):
    body = {"code": "TEA-9", "name": "白茶", "list_price": "88.00"}
    client.force_login(rep)
    assert api(client, "POST", "/products/", body).status_code == 403
    assert api(client, "GET", "/products/").status_code == 200
    client.force_login(make_user(Role.ARCHIVE_ADMIN))
    response = api(client, "POST", "/products/", body)
    assert response.status_code == 201, response.content
    assert response.json()["list_price"] == "88.00"
    product_id = response.json()["id"]
    assert api(client, "GET", f"/products/{product_id}").json()["code"] == "TEA-9"


def test_opportunity_create_move_and_convert(client, rep, other_rep, customer, product):
    client.force_login(rep)
    response = api(client, "POST", "/opportunities/", {
        "customer_id": customer.pk, "name": "新品试用", "amount": "12000"})  # fmt: skip
    assert response.status_code == 201, response.content
    opp = response.json()
    assert (opp["stage"], opp["probability"]) == ("qualify", 10)
    moved = api(client, "POST", f"/opportunities/{opp['id']}/move", {"stage": "negotiation"})
    assert moved.json()["weighted_amount"] == "9000.00"
    assert (
        api(client, "POST", f"/opportunities/{opp['id']}/move", {"stage": "nope"}).status_code
        == 422
    )
    client.force_login(other_rep)
    assert (
        api(client, "POST", f"/opportunities/{opp['id']}/move", {"stage": "won"}).status_code == 404
    )
    assert api(client, "GET", "/opportunities/").json()["results"] == []
    client.force_login(rep)
    won = api(client, "POST", f"/opportunities/{opp['id']}/move", {"stage": "won"}).json()
    assert won["closed_on"] is not None
    body = {"customer_id": customer.pk, "opportunity_id": opp["id"],
            "lines": [{"product_id": product.pk, "quantity": "1"}]}  # fmt: skip
    assert api(client, "POST", "/orders/", body).status_code == 201
    assert api(client, "POST", "/orders/", body).status_code == 409
    assert api(client, "GET", f"/opportunities/{opp['id']}").json()["order_id"] is not None
    stages = api(client, "GET", "/opportunities/stages").json()
    assert [s["code"] for s in stages][-2:] == ["won", "lost"]


def test_sales_performance_report(client, rep, other_rep, customer, order):
    client.force_login(rep)
    today = order.ordered_on.isoformat()
    data = api(client, "GET", f"/reports/sales-performance?start={today}&end={today}").json()
    assert data["total"]["revenue"] == "299.97"
    assert data["rows"][0]["orders"] == 1
    client.force_login(other_rep)
    data = api(client, "GET", f"/reports/sales-performance?start={today}&end={today}").json()
    assert data["rows"] == []
    bad = api(client, "GET", "/reports/sales-performance?start=2026-02-01&end=2026-01-01")
    assert bad.status_code == 422


def _orders(rep, customer, product, n):
    for _ in range(n):
        services.order_create(user=rep, customer=customer, lines=[LineInput(product, Decimal(1))])


@pytest.mark.parametrize("path", ["/orders/", "/payments/", "/opportunities/"])
def test_list_query_counts_do_not_grow(client, rep, customer, product, path):
    client.force_login(rep)
    _orders(rep, customer, product, 2)
    for o in Order.objects.all():
        services.payment_record(user=rep, order=o, amount=Decimal(1))
    services.opportunity_create(user=rep, customer=customer, name="a", amount=Decimal(1))
    with CaptureQueriesContext(connection) as few:
        assert api(client, "GET", path).status_code == 200
    _orders(rep, customer, product, 8)
    for o in Order.objects.filter(paid_amount=0):
        services.payment_record(user=rep, order=o, amount=Decimal(1))
    for _ in range(5):
        services.opportunity_create(user=rep, customer=customer, name="b", amount=Decimal(1))
    with CaptureQueriesContext(connection) as many:
        assert api(client, "GET", path).status_code == 200
    assert len(many) == len(few)
    assert len(many) <= 6


def test_pipeline_stage_is_configurable(rep, customer):
    PipelineStage.objects.create(
        code="trial", name="试用", name_en="Trial", probability=60, sort_order=35
    )
    opp = services.opportunity_create(user=rep, customer=customer, name="x", amount=Decimal(1))
    opp = services.opportunity_move(
        user=rep, opportunity=opp, stage=PipelineStage.objects.get(code="trial")
    )
    assert opp.probability == 60


def test_mark_delivered(client, rep, other_rep, make_user, order):
    # the wrong users: another rep does not see it, a leader may not write
    client.force_login(other_rep)
    assert api(client, "POST", f"/orders/{order.pk}/deliver").status_code == 404
    client.force_login(make_user(Role.LEADER))
    assert api(client, "POST", f"/orders/{order.pk}/deliver").status_code == 403
    order.refresh_from_db()
    assert order.status == "confirmed"
    # the owner: delivered, and again is no change
    client.force_login(rep)
    response = api(client, "POST", f"/orders/{order.pk}/deliver")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "delivered"
    assert api(client, "POST", f"/orders/{order.pk}/deliver").json()["status"] == "delivered"


def test_a_cancelled_order_cannot_be_delivered(client, rep, order):
    services.order_cancel(user=rep, order=order)
    client.force_login(rep)
    response = api(client, "POST", f"/orders/{order.pk}/deliver")
    assert response.status_code == 409
    assert response.json()["message"] == "A cancelled order cannot be marked delivered."
    order.refresh_from_db()
    assert order.status == "cancelled"
