"""The customer list page and list API at scale: keyset pages, a capped count, the two-character
rule for a name search, and query budgets that do not grow with the rows."""

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kehu.customers import views
from kehu.customers.models import Customer
from kehu.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)


def _names(response):
    return [c.name for c in response.context["page"]]


def _link(response, testid):
    match = re.search(rf'href="([^"]*)"[^>]*data-testid="{testid}"', response.text)
    return unescape(match.group(1)) if match else None


def test_pager_walks_forward_and_back_keeping_filters_and_order(client, rep, small_pages):
    # given: seven important customers (and two general ones the filter leaves out)
    for name in ["庚", "甲", "戊", "乙", "己", "丙", "丁"]:
        CustomerFactory(name=name, owner=rep, grade="important")
    CustomerFactory.create_batch(2, owner=rep, grade="general")
    client.force_login(rep)
    url = reverse("customers:list")

    # when: walking the pages by their links
    first = client.get(url, {"grade": "important", "order": "name"})
    second = client.get(url + _link(first, "next-page"))
    third = client.get(url + _link(second, "next-page"))
    back = client.get(url + _link(third, "previous-page"))

    # then: every page in name order, the filters kept, no page skipped or repeated
    pages = [_names(first), _names(second), _names(third)]
    assert [n for page in pages for n in page] == sorted(["庚", "甲", "戊", "乙", "己", "丙", "丁"])
    assert [len(p) for p in pages] == [3, 3, 1]
    assert "grade=important" in _link(first, "next-page")
    assert "order=name" in _link(first, "next-page")
    assert _link(first, "previous-page") is None
    assert _link(third, "next-page") is None
    assert _names(back) == pages[1]
    assert "cursor" not in _link(back, "first-page")
    assert "7 customers" in first.text


def test_a_deep_page_is_one_range_query_without_offset(
    client, rep, small_pages, django_assert_max_num_queries
):
    customers = CustomerFactory.create_batch(8, owner=rep)
    client.force_login(rep)
    url = reverse("customers:list")
    second = _link(client.get(url), "next-page")
    with django_assert_max_num_queries(16) as captured:
        response = client.get(url + second)
    assert [c.pk for c in response.context["page"]] == [c.pk for c in customers[4:1:-1]]
    assert not [q for q in captured.captured_queries if "OFFSET" in q["sql"].upper()]


def test_a_broken_cursor_shows_the_first_page(client, rep, small_pages):
    CustomerFactory.create_batch(4, owner=rep)
    client.force_login(rep)
    for cursor in ["not-base64!", "cD1ub3Rqc29u", "cD0lNUIlNUQ="]:  # junk, p=notjson, p=[]
        response = client.get(reverse("customers:list"), {"cursor": cursor})
        assert response.status_code == 200
        assert len(response.context["page"]) == 3


def test_the_count_stops_at_its_cap(client, rep, monkeypatch, small_pages):
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    CustomerFactory.create_batch(4, owner=rep)
    client.force_login(rep)
    response = client.get(reverse("customers:list"))
    assert "More than 2 customers" in response.text
    assert len(response.context["page"]) == 3
    following = client.get(reverse("customers:list") + _link(response, "next-page"))
    assert "More than 2 customers" in following.text  # a later page counts too
    assert len(following.context["page"]) == 1


def test_a_list_on_one_page_is_counted_from_the_page(client, rep, monkeypatch):
    """When the first page holds every match, the count is its length, with no query of its
    own (even above the cap: the rows are on screen)."""
    monkeypatch.setattr(views, "COUNT_CAP", 2)
    CustomerFactory.create_batch(3, owner=rep)
    client.force_login(rep)
    client.get(reverse("customers:list"))  # the session and the user's settings, once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("customers:list"))
    assert "3 customers" in response.text
    counts = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT COUNT(*)") and '"customers_customer"' in q["sql"]
    ]
    assert counts == []
    monkeypatch.setattr(views, "PAGE_SIZE", 2)  # two pages: then the list is counted
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("customers:list"))
    assert "More than 2 customers" in response.text
    assert any(
        q["sql"].startswith("SELECT COUNT(*)") and '"customers_customer"' in q["sql"]
        for q in queries.captured_queries
    )


def test_a_one_character_search_asks_for_a_second_character(client, rep, settings):
    CustomerFactory(name="王芳", owner=rep)
    CustomerFactory(name="李娜", owner=rep)
    client.force_login(rep)
    response = client.get(reverse("customers:list"), {"q": "王"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "请至少输入两个字" in response.text
    found = client.get(reverse("customers:list"), {"q": "王芳"})
    assert _names(found) == ["王芳"]
    assert 'data-testid="q-too-short"' not in found.text


def test_the_api_refuses_a_one_character_search_in_the_users_language(client, rep):
    CustomerFactory(name="王芳", owner=rep)
    client.force_login(rep)
    response = client.get("/api/v1/customers/", {"q": "王"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "q", "message": "请至少输入两个字再搜索。"}]
    found = client.get("/api/v1/customers/", {"q": "王芳"}).json()["results"]
    assert [c["name"] for c in found] == ["王芳"]


def test_api_list_query_count_does_not_grow_with_rows(
    client, rep, django_assert_num_queries, django_assert_max_num_queries
):
    CustomerFactory.create_batch(2, owner=rep, tags=["VIP"])
    client.force_login(rep)
    url = "/api/v1/customers/?grade=general&order=name"
    client.get(url)
    # session, user, managed teams (scope), the page, its tags
    with django_assert_max_num_queries(5) as few:
        client.get(url)
    CustomerFactory.create_batch(30, owner=rep, tags=["VIP", "北京"])
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.json()["results"]) == 32


def test_a_date_range_pages_newest_first_by_that_date(client, rep):
    # given: ids in one order, creation dates in another (an import of older customers)
    customers = CustomerFactory.create_batch(5, owner=rep)
    days = [3, 1, 4, 2, 9]  # of June 2025; the last one falls outside the range
    for customer, day in zip(customers, days, strict=True):
        Customer.objects.filter(pk=customer.pk).update(
            created_at=datetime(2025, 6, day, 12, tzinfo=UTC)
        )
    client.force_login(rep)

    # when: walking the range two at a time
    url = "/api/v1/customers/?created_from=2025-06-01&created_to=2025-06-05&page_size=2"
    first = client.get(url).json()
    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()

    # then: newest created first, every one once
    order = [customers[i].pk for i in (2, 0, 3, 1)]  # 4, 3, 2, 1 June
    assert [c["id"] for c in first["results"] + second["results"]] == order
    assert second["next"] is None
    assert back["results"] == first["results"]
