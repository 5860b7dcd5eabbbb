"""Sales pages: they render for the right user, refuse the wrong one and keep their query
count on lists; the 360° page shows the sales cards."""

import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kehu.sales import services
from kehu.sales.models import PipelineStage
from kehu.sales.services import LineInput

pytestmark = pytest.mark.django_db


def _order(rep, customer, product, quantity="2"):
    return services.order_create(
        user=rep, customer=customer, lines=[LineInput(product, Decimal(quantity))]
    )


def test_create_order_and_pay_through_pages(client, rep, customer, product):
    client.force_login(rep)
    url = reverse("sales:order_create") + f"?customer={customer.pk}"
    assert client.get(url).status_code == 200
    form = {
        "ordered_on": "2026-03-01", "channel": "store", "currency": "CNY", "notes": "",
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
        "lines-0-product": product.pk, "lines-0-quantity": "2", "lines-0-unit_price": "",
        "lines-0-discount_percent": "", "lines-1-product": "", "lines-1-quantity": "",
    }  # fmt: skip
    response = client.post(url, form)
    assert response.status_code == 302
    order = customer.orders.get()
    assert order.total_amount == Decimal("199.98")
    pay = reverse("sales:payment_create", args=[order.pk])
    response = client.post(
        pay, {"amount": "50", "received_on": "2026-03-02", "method": "cash"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "149.98" in response.content.decode()
    page = client.get(customer.get_absolute_url()).content.decode()
    assert 'data-testid="receivables"' in page
    assert "149.98" in page


def test_other_rep_gets_404_on_orders_and_opportunities(client, rep, other_rep, customer, product):
    order = _order(rep, customer, product)
    opp = services.opportunity_create(user=rep, customer=customer, name="x", amount=Decimal(5))
    client.force_login(other_rep)
    assert client.get(reverse("sales:order_detail", args=[order.pk])).status_code == 404
    assert client.get(reverse("sales:opportunity_detail", args=[opp.pk])).status_code == 404
    won = PipelineStage.objects.get(code="won")
    move = reverse("sales:opportunity_move", args=[opp.pk])
    assert client.post(move, {"stage": won.pk}).status_code == 404
    create = reverse("sales:order_create") + f"?customer={customer.pk}"
    assert client.get(create).status_code == 404


def test_kanban_move_with_htmx_answers_the_board(client, rep, customer):
    opp = services.opportunity_create(user=rep, customer=customer, name="拖拽", amount=Decimal(5))
    client.force_login(rep)
    proposal = PipelineStage.objects.get(code="proposal")
    response = client.post(
        reverse("sales:opportunity_move", args=[opp.pk]),
        {"stage": proposal.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="kanban"' in response.content.decode()
    opp.refresh_from_db()
    assert opp.stage == proposal


@pytest.mark.parametrize("name", ["sales:orders", "sales:opportunities", "sales:products"])
def test_list_pages_query_count_does_not_grow(client, rep, customer, product, name):
    client.force_login(rep)
    _order(rep, customer, product)
    services.opportunity_create(user=rep, customer=customer, name="a", amount=Decimal(1))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(name)).status_code == 200
    for _ in range(6):
        _order(rep, customer, product)
        services.opportunity_create(user=rep, customer=customer, name="b", amount=Decimal(1))
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(name)).status_code == 200
    assert len(many) == len(few)


def test_customer_page_query_count_does_not_grow_with_orders(client, rep, customer, product):
    client.force_login(rep)
    _order(rep, customer, product)
    with CaptureQueriesContext(connection) as few:
        client.get(customer.get_absolute_url())
    for _ in range(8):
        order = _order(rep, customer, product)
        services.payment_record(user=rep, order=order, amount=Decimal(1))
    with CaptureQueriesContext(connection) as many:
        client.get(customer.get_absolute_url())
    assert len(many) == len(few)


def test_performance_page(client, rep, customer, product):
    _order(rep, customer, product)
    client.force_login(rep)
    response = client.get(reverse("sales:performance"))
    assert response.status_code == 200
    assert "199.98" in response.content.decode()


def test_mark_delivered_from_the_order_page(client, rep, other_rep, customer, product):
    order = _order(rep, customer, product)
    url = reverse("sales:order_deliver", args=[order.pk])
    client.force_login(other_rep)
    assert client.post(url).status_code == 404
    client.force_login(rep)
    page = client.get(order.get_absolute_url()).content.decode()
    assert 'data-testid="order-deliver"' in page
    response = client.post(url, follow=True)
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "delivered"
    page = response.content.decode()
    assert "Order marked delivered." in page
    assert 'data-testid="order-deliver"' not in page  # nothing left to deliver


def test_delivering_a_cancelled_order_says_why(client, rep, customer, product):
    order = _order(rep, customer, product)
    services.order_cancel(user=rep, order=order)
    client.force_login(rep)
    response = client.post(reverse("sales:order_deliver", args=[order.pk]), follow=True)
    assert "A cancelled order cannot be marked delivered." in response.content.decode()
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_the_next_page_keeps_the_filter(client, rep):
    # given more matching products than one page holds, and others that do not match
    from kehu.sales.tests.factories import ProductFactory
    from kehu.sales.views import PAGE_SIZE

    for n in range(PAGE_SIZE + 5):
        ProductFactory(code=f"TEA{n:03d}", name=f"茶叶{n:03d}")
    for n in range(PAGE_SIZE + 5):
        ProductFactory(code=f"CUP{n:03d}", name=f"茶杯{n:03d}")
    client.force_login(rep)

    # when the user follows "Next" on the filtered list
    first = client.get(reverse("sales:products"), {"q": "茶叶"})
    next_link = re.search(r'href="([^"]*)"[^>]*data-testid="next-page"', first.text)
    assert next_link, "the filtered list has a second page"
    second = client.get(reverse("sales:products") + html.unescape(next_link.group(1)))

    # then page 2 still shows only the filtered products
    assert second.status_code == 200
    assert "茶叶054" in second.text
    assert "茶杯" not in second.text
