"""The correction endpoints: each works for the rep who owns the customer and refuses another
rep (404: not theirs) and the read-only roles (403); messages in both languages."""

from decimal import Decimal

import pytest

from kehu.accounts.models import Role
from kehu.sales import services
from kehu.sales.models import Payment, SalesCorrection
from kehu.sales.services import LineInput
from kehu.sales.tests.test_api import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(rep, customer, product):
    return services.order_create(
        user=rep, customer=customer, lines=[LineInput(product, Decimal(3))]
    )


@pytest.fixture
def payment(rep, order):
    return services.payment_record(user=rep, order=order, amount=Decimal("100"))


@pytest.fixture
def opportunity(rep, customer):
    return services.opportunity_create(
        user=rep, customer=customer, name="年度采购", amount=Decimal("80000")
    )


def test_order_patch(client, rep, other_rep, make_user, order, product):
    body = {"reason": "客户加量", "lines": [{"product_id": product.pk, "quantity": "5"}]}
    client.force_login(other_rep)
    assert api(client, "PATCH", f"/orders/{order.pk}", body).status_code == 404
    client.force_login(make_user(Role.LEADER))
    assert api(client, "PATCH", f"/orders/{order.pk}", body).status_code == 403
    client.force_login(rep)
    assert api(client, "PATCH", f"/orders/{order.pk}", {"lines": body["lines"]}).status_code == 422
    response = api(client, "PATCH", f"/orders/{order.pk}", body)
    assert response.status_code == 200, response.content
    assert response.json()["total_amount"] == "499.95"
    assert SalesCorrection.objects.get(order=order).reason == "客户加量"
    api(client, "POST", f"/orders/{order.pk}/deliver")
    assert api(client, "PATCH", f"/orders/{order.pk}", body).status_code == 409


def test_payment_reverse(client, rep, other_rep, make_user, payment):
    path = f"/payments/{payment.pk}/reverse"
    client.force_login(other_rep)
    assert api(client, "POST", path, {"reason": "录错"}).status_code == 404
    client.force_login(make_user(Role.SERVICE_AGENT))
    assert api(client, "POST", path, {"reason": "录错"}).status_code == 403
    client.force_login(rep)
    response = api(client, "POST", path, {"reason": "录错"})
    assert response.status_code == 200
    assert response.json()["reversal_reason"] == "录错"
    assert response.json()["reversed_at"] is not None
    assert api(client, "POST", path, {"reason": "录错"}).status_code == 409
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_payment_correct(client, rep, other_rep, payment):
    body = {"reason": "金额录错", "amount": "10.00", "received_on": str(payment.received_on)}
    path = f"/payments/{payment.pk}/correct"
    client.force_login(other_rep)
    assert api(client, "POST", path, body).status_code == 404
    client.force_login(rep)
    response = api(client, "POST", path, body)
    assert response.status_code == 201
    assert response.json()["amount"] == "10.00"
    old = api(client, "GET", f"/payments/?order_id={payment.order_id}").json()["results"]
    assert {p["id"]: p["corrected_by_id"] for p in old}[payment.pk] == response.json()["id"]


def test_opportunity_patch_with_owner_and_reason(client, rep, other_rep, admin_user, opportunity):
    path = f"/opportunities/{opportunity.pk}"
    client.force_login(other_rep)
    assert api(client, "PATCH", path, {"amount": "1"}).status_code == 404
    client.force_login(rep)
    response = api(client, "PATCH", path, {"amount": "90000", "reason": "扩大范围"})
    assert response.json()["amount"] == "90000.00"
    refused = api(client, "PATCH", path, {"owner_id": other_rep.pk})
    assert refused.status_code == 422
    response = api(client, "PATCH", path, {"owner_id": admin_user.pk, "reason": "交接"})
    assert response.json()["owner"]["id"] == admin_user.pk


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "the reason is required"), ("zh-hans", "原因")],
)
def test_lost_needs_a_reason_in_the_api(client, rep, opportunity, language, message):
    client.force_login(rep)
    client.cookies["kehu_language"] = language
    path = f"/opportunities/{opportunity.pk}/move"
    response = api(client, "POST", path, {"stage": "lost"})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "lost_reason"
    assert message in error["message"]
    response = api(client, "POST", path, {"stage": "lost", "lost_reason": "预算取消"})
    assert response.json()["lost_reason"] == "预算取消"
