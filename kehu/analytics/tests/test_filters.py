"""Customer value filters on the customer list, its API and saved segments."""

from datetime import date

import pytest
from django.urls import reverse

from kehu.analytics import services
from kehu.analytics.models import CustomerValue
from kehu.customers.segments import filters_from_json, filters_to_json, segment_customers
from kehu.customers.selectors import CustomerFilters, customer_list


@pytest.fixture
def refreshed(shop):
    run = services.analytics_run_create()
    run.as_of = date(2026, 1, 31)
    run.save()
    services.analytics_run_execute(run_id=run.pk)
    return shop


def names(queryset):
    return sorted(c.name for c in queryset)


def test_list_filters_by_tier_segment_p_alive_clv_and_last_purchase(archivist, refreshed):
    values = {v.customer.name: v for v in CustomerValue.objects.select_related("customer")}
    for tier in "ABC":
        expected = sorted(n for n, v in values.items() if v.tier == tier)
        assert names(customer_list(user=archivist, filters=CustomerFilters(value_tier=tier))) == (
            expected
        )
    segment = values["王芳"].segment
    found = customer_list(user=archivist, filters=CustomerFilters(value_segment=segment))
    assert "王芳" in names(found)
    found = customer_list(user=archivist, filters=CustomerFilters(last_purchase_from="2026-01-01"))
    assert names(found) == sorted(["张伟", "王芳"])
    found = customer_list(user=archivist, filters=CustomerFilters(last_purchase_to="2025-12-31"))
    assert names(found) == ["李娜"]
    threshold = str(values["王芳"].clv_12)
    found = customer_list(user=archivist, filters=CustomerFilters(clv_min=threshold))
    assert names(found) == ["王芳"]
    p_alive = {name: float(v.p_alive or 0) for name, v in values.items()}
    low = min(p_alive.values())
    found = customer_list(user=archivist, filters=CustomerFilters(p_alive_max=str(low)))
    assert all(p_alive[n] <= low for n in names(found))
    assert names(found)


def test_a_rep_filters_within_scope(rep, refreshed):
    found = customer_list(user=rep, filters=CustomerFilters(last_purchase_from="2026-01-01"))
    assert names(found) == ["张伟"]


def test_value_filters_survive_a_saved_segment(rep, refreshed):
    from kehu.customers.segments import segment_save

    filters = CustomerFilters(last_purchase_from="2026-01-01", value_tier="")
    assert filters_from_json(filters_to_json(filters)) == filters
    segment = segment_save(user=rep, name="最近购买", filters=filters)
    assert names(segment_customers(user=rep, segment=segment)) == ["张伟"]
    assert segment.last_count == 1


def test_list_page_and_api(client, rep, refreshed):
    client.force_login(rep)
    page = client.get(reverse("customers:list") + "?last_purchase_to=2025-12-31").content.decode()
    assert "李娜" in page
    assert "张伟" not in page
    body = client.get("/api/v1/customers/?last_purchase_to=2025-12-31").json()
    assert [c["name"] for c in body["results"]] == ["李娜"]
    assert client.get("/api/v1/customers/?value_tier=Z").status_code == 422


@pytest.mark.parametrize(
    "given",
    [
        {"value_tier": "A"},
        {"value_tier": "C", "tag": "VIP"},
        {"last_purchase_from": "2026-01-01"},
        {"clv_min": "0"},
        {"tag": "VIP"},
        {"tag": "nobody has it"},
    ],
)
def test_the_count_finds_the_customers_the_page_lists(archivist, rep, refreshed, given):
    """The count joins the value rows (and a tag that is the only filter) where the page reads
    them by subquery: the same customers, each once (a customer with two tags, one without a
    value row)."""
    from kehu.customers.models import Customer, Tag
    from kehu.customers.tests.factories import CustomerFactory

    vip, other = Tag.objects.create(name="VIP"), Tag.objects.create(name="其他")
    for customer in Customer.objects.all():
        customer.tags.add(vip, other)
    CustomerFactory.create(owner=rep).tags.add(vip)  # no value row
    for user in (archivist, rep):
        filters = CustomerFilters(**given)
        listed = customer_list(user=user, filters=filters)
        counted = customer_list(user=user, filters=filters, counting=True)
        assert counted.count() == listed.count()
        assert sorted(counted.values_list("pk", flat=True)) == sorted(
            listed.values_list("pk", flat=True)
        )
    everyone = customer_list(user=archivist, filters=CustomerFilters(tag="VIP"), counting=True)
    assert everyone.count() == Customer.objects.count()
