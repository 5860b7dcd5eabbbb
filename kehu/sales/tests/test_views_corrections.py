"""Correction pages: order edit, payment reversal and correction, opportunity and product
edit, the product search of order entry and the lost reason on the board; each works for the
right user and refuses the wrong one, in both languages."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from kehu.accounts.models import Role
from kehu.sales import services
from kehu.sales.models import Opportunity, Order, PipelineStage, SalesCorrection
from kehu.sales.services import LineInput
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def order(rep, customer, product):
    with time_machine.travel(date(2026, 3, 20), tick=False):
        return services.order_create(
            user=rep, customer=customer, lines=[LineInput(product, D(2))],
            ordered_on=date(2026, 3, 3),
        )  # fmt: skip


def _edit_form(product, **extra):
    return {
        "ordered_on": "2026-03-04", "channel": "store", "notes": "",
        "reason": "客户改为三件", "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "1",
        "lines-0-product": f"{product.code} · {product.name}", "lines-0-quantity": "3",
        "lines-0-unit_price": "", "lines-0-discount_percent": "10",
        "lines-1-product": "", "lines-1-quantity": "", **extra,
    }  # fmt: skip


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_rep_corrects_an_order(client, rep, order, product, language):
    client.force_login(rep)
    client.cookies["kehu_language"] = language
    url = reverse("sales:order_edit", args=[order.pk])
    page = client.get(url).content.decode()
    assert 'value="2026-03-03"' in page  # ISO whatever the language
    assert f'value="{product.code} · {product.name}"' in page
    assert 'data-testid="add-line"' in page
    response = client.post(url, _edit_form(product))
    assert response.status_code == 302, response.content.decode()[:2000]
    order.refresh_from_db()
    assert (order.total_amount, order.ordered_on) == (D("269.97"), date(2026, 3, 4))
    detail = client.get(order.get_absolute_url()).content.decode()
    assert "客户改为三件" in detail
    assert 'data-testid="correction"' in detail


def test_an_order_correction_without_a_reason_keeps_what_was_typed(client, rep, order, product):
    client.force_login(rep)
    response = client.post(
        reverse("sales:order_edit", args=[order.pk]), _edit_form(product, reason="")
    )
    assert response.status_code == 200
    assert 'value="3"' in response.content.decode()
    assert Order.objects.get(pk=order.pk).total_amount == D("199.98")


def test_order_edit_refuses_the_wrong_user(client, other_rep, make_user, order):
    url = reverse("sales:order_edit", args=[order.pk])
    client.force_login(other_rep)
    assert client.get(url).status_code == 404
    client.force_login(make_user(Role.LEADER))
    assert client.get(url).status_code == 403


def test_product_search_answers_options(client, rep, product):
    ProductFactory.create(code="CUP-02", name="茶杯", list_price=D("12.50"))
    client.force_login(rep)
    answer = client.get(reverse("sales:product_search"), {"lines-0-product": "茶"}).content.decode()
    assert 'value="CUP-02 · 茶杯"' in answer
    assert 'data-price="12.50"' in answer
    assert "TEA-01" not in answer
    client.logout()
    assert client.get(reverse("sales:product_search"), {"q": "茶"}).status_code == 302


@pytest.mark.parametrize("correct", [False, True])
def test_the_rep_reverses_or_corrects_a_payment(client, rep, other_rep, order, correct):
    with time_machine.travel(date(2026, 3, 20), tick=False):
        payment = services.payment_record(user=rep, order=order, amount=D("100"))
        url = reverse("sales:payment_reverse", args=[order.pk, payment.pk])
        if correct:
            url += "?correct=1"
        client.force_login(other_rep)
        assert client.get(url).status_code == 404
        client.force_login(rep)
        page = client.get(url).content.decode()
        assert 'value="2026-03-20"' in page or not correct
        body = {"reason": "录错"}
        if correct:
            body |= {"amount": "90", "received_on": "2026-03-19", "method": "cash"}
        assert client.post(url, body).status_code == 302
        detail = client.get(order.get_absolute_url()).content.decode()
    order.refresh_from_db()
    assert order.paid_amount == (D("90.00") if correct else D("0.00"))
    assert 'data-testid="payment-reversed"' in detail


def test_the_rep_edits_an_opportunity_and_hands_it_over(
    client, rep, other_rep, admin_user, customer
):
    opp = services.opportunity_create(user=rep, customer=customer, name="年度采购", amount=D(5))
    url = reverse("sales:opportunity_edit", args=[opp.pk])
    client.force_login(other_rep)
    assert client.get(url).status_code == 404
    client.force_login(rep)
    assert client.get(url).status_code == 200
    body = {"name": "年度采购", "amount": "8000", "probability": "40",
            "expected_close_on": "2026-12-20", "competitors": "用友", "owner": admin_user.pk,
            "reason": "交给大客户部"}  # fmt: skip
    assert client.post(url, body).status_code == 302
    opp.refresh_from_db()
    assert (opp.amount, opp.owner, opp.expected_close_on) == (
        D("8000.00"), admin_user, date(2026, 12, 20),
    )  # fmt: skip
    assert SalesCorrection.objects.get(opportunity=opp).reason == "交给大客户部"


def test_only_catalogue_managers_edit_products(client, rep, archivist, product):
    url = reverse("sales:product_edit", args=[product.pk])
    client.force_login(rep)
    assert client.get(url).status_code == 403
    client.force_login(archivist)
    body = {"code": product.code, "name": "龙井礼盒（新）", "category": "", "unit": "盒",
            "list_price": "109.00", "currency": "CNY", "status": "active"}  # fmt: skip
    assert client.post(url, body).status_code == 302
    product.refresh_from_db()
    assert product.name == "龙井礼盒（新）"


@pytest.mark.parametrize(
    ("language", "message"), [("en", "reason is required"), ("zh-hans", "原因")]
)
def test_the_board_refuses_lost_without_a_reason(client, rep, customer, language, message):
    opp = services.opportunity_create(user=rep, customer=customer, name="年度采购", amount=D(5))
    client.force_login(rep)
    client.cookies["kehu_language"] = language
    lost = PipelineStage.objects.get(code="lost")
    move = reverse("sales:opportunity_move", args=[opp.pk])
    board = client.post(move, {"stage": lost.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert message in board
    assert 'data-outcome="lost"' in board
    assert Opportunity.objects.get(pk=opp.pk).stage.code != "lost"
    client.post(move, {"stage": lost.pk, "lost_reason": "预算取消"}, HTTP_HX_REQUEST="true")
    assert Opportunity.objects.get(pk=opp.pk).lost_reason == "预算取消"
