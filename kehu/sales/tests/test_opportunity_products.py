"""Products on opportunities: the lines discussed (product, quantity, price, discount), kept as
a correction, and carried into order entry when the opportunity is won."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.sales import services
from kehu.sales.models import PipelineStage, SalesCorrection
from kehu.sales.services import LineInput
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def opportunity(rep, customer):
    return services.opportunity_create(
        user=rep, customer=customer, name="年度采购", amount=D("1000.00")
    )


def _lines_form(product, quantity="3", discount="10", reason="客户要三盒"):
    return {
        "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
        "lines-0-product": f"{product.code} · {product.name}", "lines-0-quantity": quantity,
        "lines-0-unit_price": "", "lines-0-discount_percent": discount,
        "lines-1-product": "", "lines-1-quantity": "", "reason": reason,
    }  # fmt: skip


def test_products_are_set_with_a_correction(rep, opportunity, product):
    # when
    lines = services.opportunity_products_set(
        user=rep,
        opportunity=opportunity,
        lines=[LineInput(product, D(3), discount_percent=D(10))],
        reason="报价",
    )
    # then: the list price is taken, the total is after the discount
    assert [(line.product, line.quantity, line.unit_price) for line in lines] == [
        (product, D(3), D("99.99"))
    ]
    assert services.opportunity_products_total(opportunity) == D("269.97")
    correction = SalesCorrection.objects.get(opportunity=opportunity)
    assert correction.changes["products"][0] == ""
    assert "TEA-01 × 3" in correction.changes["products"][1]
    # setting the same again records nothing; none clears them
    services.opportunity_products_set(
        user=rep, opportunity=opportunity, lines=[LineInput(product, D(3), None, D(10))]
    )
    assert SalesCorrection.objects.filter(opportunity=opportunity).count() == 1
    services.opportunity_products_set(user=rep, opportunity=opportunity, lines=[])
    assert not opportunity.lines.exists()


def test_a_product_not_on_sale_is_refused_and_nothing_changes(rep, opportunity, product):
    services.opportunity_products_set(
        user=rep, opportunity=opportunity, lines=[LineInput(product, D(1))]
    )
    gone = ProductFactory.create(code="OLD-1", name="旧款", status="discontinued")
    with pytest.raises(ValidationError, match="not on sale"):
        services.opportunity_products_set(
            user=rep, opportunity=opportunity, lines=[LineInput(gone, D(1))]
        )
    assert [line.product for line in opportunity.lines.all()] == [product]


def test_another_rep_may_not_set_products(other_rep, opportunity, product):
    with pytest.raises(PermissionDenied):
        services.opportunity_products_set(
            user=other_rep, opportunity=opportunity, lines=[LineInput(product, D(1))]
        )


def test_the_products_page_saves_and_the_detail_shows_them(client, rep, opportunity, product):
    client.force_login(rep)
    url = reverse("sales:opportunity_products", args=[opportunity.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _lines_form(product))
    assert response.status_code == 302
    detail = client.get(opportunity.get_absolute_url()).content.decode()
    assert "龙井礼盒" in detail
    assert "269.97" in detail
    # bad input: the page again with the error, nothing saved
    bad = client.post(url, _lines_form(product, quantity="", reason="改"))
    assert bad.status_code == 200
    assert "Enter a quantity." in bad.content.decode()
    assert opportunity.lines.get().quantity == D(3)


@pytest.mark.parametrize("who", ["other_rep", "leader"])
def test_the_products_page_refuses_others(client, request, opportunity, product, who):
    client.force_login(request.getfixturevalue(who))
    url = reverse("sales:opportunity_products", args=[opportunity.pk])
    expected = 404 if who == "other_rep" else 403  # another rep does not even see it
    assert client.get(url).status_code == expected
    assert client.post(url, _lines_form(product)).status_code == expected
    assert not opportunity.lines.exists()


def test_a_won_opportunitys_products_start_the_order(client, rep, opportunity, product):
    # given: products on the opportunity, which is won
    services.opportunity_products_set(
        user=rep, opportunity=opportunity, lines=[LineInput(product, D(3), D("90.00"), D(5))]
    )
    won = PipelineStage.objects.get(outcome=PipelineStage.Outcome.WON)
    services.opportunity_move(user=rep, opportunity=opportunity, stage=won)
    client.force_login(rep)
    # when: the rep turns it into an order
    url = (
        reverse("sales:order_create")
        + f"?customer={opportunity.customer_id}&opportunity={opportunity.pk}"
    )
    page = client.get(url)
    # then: the order form starts with the opportunity's lines
    lines = page.context["lines"]
    assert lines.initial_form_count() == 1
    assert lines.forms[0].initial["product"] == product
    assert lines.forms[0].initial["unit_price"] == D("90.00")
    assert lines.forms[0].initial["quantity"] == D(3)
    assert 'value="3"' in page.content.decode()


def test_the_api_reads_and_sets_an_opportunitys_products(
    client, rep, other_rep, make_user, opportunity, product
):
    from kehu.accounts.models import Role

    url = f"/api/v1/opportunities/{opportunity.pk}/products"
    body = {
        "lines": [{"product_id": product.pk, "quantity": "3", "discount_percent": "10"}],
        "reason": "客户要三盒",
    }
    # the owner sets them: list price, discount, amount after discount; kept as a correction
    client.force_login(rep)
    answer = client.put(url, body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    [line] = answer.json()
    amount = D(line["amount"])
    assert (line["product_code"], D(line["quantity"])) == (product.code, D("3"))
    assert amount == (product.list_price * 3 * D("0.9")).quantize(D("0.01"))
    assert client.get(url).json() == [line]
    correction = SalesCorrection.objects.get(opportunity=opportunity)
    assert correction.reason == "客户要三盒"
    # an unknown product is named, and nothing changes
    bad = {"lines": [{"product_id": 999999, "quantity": "1"}]}
    answer = client.put(url, bad, content_type="application/json")
    assert answer.status_code == 422
    assert "999999" in answer.content.decode()
    assert client.get(url).json() == [line]
    # an empty list clears them
    assert client.put(url, {"lines": []}, content_type="application/json").json() == []
    # another rep does not see the opportunity; a leader reads but may not write
    client.force_login(other_rep)
    assert client.get(url).status_code == 404
    assert client.put(url, body, content_type="application/json").status_code == 404
    client.force_login(make_user(Role.LEADER, username="leader"))
    assert client.get(url).status_code == 200
    assert client.put(url, body, content_type="application/json").status_code == 403
