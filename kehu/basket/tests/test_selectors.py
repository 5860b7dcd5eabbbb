from datetime import date

import pytest
from django.http import Http404

from kehu.basket.selectors import customer_recommendations
from kehu.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.usefixtures("mined")

TODAY = date(2026, 6, 1)


def test_recommendations_take_three_queries_once_the_run_is_read(
    rep, shop, django_assert_num_queries
):
    # given: the run's rules and popularity read by a first call in this process
    first = customer_recommendations(user=rep, customer_id=shop["mine"][1].pk, today=TODAY)
    assert first
    # when / then: the customer with its lines, the latest run, the suggested products
    # (the user's managed teams, for the scope, were read by the first call too)
    with django_assert_num_queries(3):
        found = customer_recommendations(user=rep, customer_id=shop["loner"].pk, today=TODAY)
    names = [r.product.name for r in found]
    assert "旧款" not in names  # discontinued, though bought
    beer = found[names.index("啤酒")]  # the beer order was cancelled: not a purchase
    assert beer.reason == "bought_with"
    assert "纸尿裤" in beer.text


def test_a_customer_without_orders_gets_the_popular_products(rep, shop):
    # given
    newcomer = CustomerFactory.create(owner=rep)
    # when
    found = customer_recommendations(user=rep, customer_id=newcomer.pk, today=TODAY)
    # then: popular products only, discontinued ones left out
    assert found
    assert {r.reason for r in found} == {"popular"}
    assert "旧款" not in [r.product.name for r in found]


def test_another_reps_customer_is_not_found(rep, shop, django_assert_max_num_queries):
    # the user's managed teams (read once per user object), then the customer: none
    with django_assert_max_num_queries(2), pytest.raises(Http404):
        customer_recommendations(user=rep, customer_id=shop["theirs"][0].pk, today=TODAY)


def test_a_newer_run_is_read_afresh(rep, admin_user, shop):
    # given: suggestions from the first run, then diapers stop being sold and a new run
    from kehu.basket import services
    from kehu.sales.models import Product

    before = customer_recommendations(user=rep, customer_id=shop["loner"].pk, today=TODAY)
    assert "啤酒" in [r.product.name for r in before]
    run = services.mining_run_request(user=admin_user, min_support=0.9, min_confidence=0.9)
    services.mining_run_execute(run_id=run.pk)
    Product.objects.filter(pk=shop["products"]["BEER"].pk).update(
        status=Product.Status.DISCONTINUED
    )
    # when
    after = customer_recommendations(user=rep, customer_id=shop["loner"].pk, today=TODAY)
    # then: no pair clears the new run's thresholds, and beer is no longer sold
    assert "bought_with" not in {r.reason for r in after}
    assert "啤酒" not in [r.product.name for r in after]
