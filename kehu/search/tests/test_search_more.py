"""Search (issue 14): mixed Chinese and pinyin for every reading of a heteronym surname, phone
prefixes of 7+ digits, one character searching names with a "type more" hint, and order, case
and opportunity numbers in the top-bar search, each within the user's access."""

from decimal import Decimal

import pytest
from django.test import Client

from kehu.customers.tests.factories import make_person
from kehu.sales import services as sales_services
from kehu.sales.services import LineInput
from kehu.sales.tests.factories import ProductFactory
from kehu.search import selectors
from kehu.search.selectors import customer_search
from kehu.service import services as service_services

pytestmark = pytest.mark.django_db


def names(user, q, **kwargs):
    return [hit.customer.name for hit in customer_search(user=user, q=q, **kwargs).hits]


@pytest.mark.parametrize("query", ["曾w", "曾wei", "曾伟", "zengw", "zengwei", "zw"])
def test_a_heteronym_surname_with_pinyin_finds_the_name(rep, query):
    # 曾 reads zeng as a surname and ceng otherwise; 单 shan / dan; 解 xie / jie
    make_person(rep, "曾伟")
    make_person(rep, "王伟")
    assert names(rep, query) == ["曾伟"]


@pytest.mark.parametrize(
    ("name", "query"), [("单田芳", "单tf"), ("解放", "解f"), ("曾国藩", "曾guo")]
)
def test_other_heteronym_surnames_mixed_with_pinyin(rep, name, query):
    make_person(rep, name)
    assert names(rep, query) == [name]


@pytest.mark.parametrize("query", ["1380013", "13800138", "138 0013 80", "+86 1380013"])
def test_phone_prefixes_of_seven_digits_or_more_match(rep, query):
    make_person(rep, "王芳", phones=["13800138000"])
    make_person(rep, "赵强", phones=["13911112222"])
    assert names(rep, query) == ["王芳"]


def test_a_short_phone_prefix_is_not_a_prefix_search(rep):
    make_person(rep, "王芳", phones=["13800138000"])
    assert names(rep, "138001") == []  # six digits: only as the end of a number


def test_a_phone_prefix_stays_in_the_reps_scope(rep, other_rep):
    make_person(other_rep, "王芳", phones=["13800138000"])
    assert names(rep, "1380013") == []


def test_one_character_finds_given_names_too_and_says_type_more_when_capped(rep, monkeypatch):
    make_person(rep, "张伟")
    make_person(rep, "李伟")
    make_person(rep, "伟明")
    make_person(rep, "王芳")
    found = customer_search(user=rep, q="伟")
    assert [h.customer.name for h in found.hits][0] == "伟明"  # the start of a name first
    assert {h.customer.name for h in found.hits} == {"张伟", "伟明", "李伟"}
    assert not found.narrow

    capped = customer_search(user=rep, q="伟", limit=2)
    assert len(capped.hits) == 2
    assert capped.more
    assert capped.narrow


def test_the_type_more_hint_is_shown_in_the_top_bar(rep, client: Client):
    for name in ("张伟", "李伟", "赵伟"):
        make_person(rep, name)
    client.force_login(rep)
    page = client.get("/search/", {"q": "伟"}).content.decode()
    assert "张伟" in page
    assert "李伟" in page
    for _ in range(11):
        make_person(rep, "周伟")
    fragment = client.get("/search/", {"q": "伟"}, headers={"HX-Request": "true"})
    assert "Type more to narrow the search" in fragment.content.decode()


@pytest.fixture
def sales_records(rep):
    customer = make_person(rep, "张伟")
    product = ProductFactory.create(code="TEA-01", name="龙井礼盒", list_price=Decimal("99.99"))
    order = sales_services.order_create(
        user=rep, customer=customer, lines=[LineInput(product, Decimal(3))]
    )
    opportunity = sales_services.opportunity_create(
        user=rep, customer=customer, name="年度采购", amount=Decimal("80000")
    )
    case = service_services.case_open(
        user=rep, customer=customer, type="complaint", subject="漏水", description="漏水"
    )
    return order, opportunity, case


def test_order_case_and_opportunity_numbers_are_found(rep, sales_records):
    order, opportunity, case = sales_records
    queries = {
        order.number: order,
        order.number.lower(): order,
        f"SO{order.pk}": order,
        case.number: case,
        f"sr{case.pk}": case,
        f"OP-{opportunity.pk:06d}": opportunity,
        f"op{opportunity.pk}": opportunity,
    }
    for query, record in queries.items():
        found = customer_search(user=rep, q=query).records
        assert [r.url for r in found] == [record.get_absolute_url()], query


def test_numbers_are_scoped_by_access(rep, other_rep, sales_records):
    order, opportunity, case = sales_records
    for query in (order.number, case.number, f"OP-{opportunity.pk:06d}"):
        assert customer_search(user=other_rep, q=query).records == []


def test_the_top_bar_jumps_to_the_one_record_a_number_names(rep, other_rep, sales_records):
    order, _opportunity, case = sales_records
    client = Client()
    client.force_login(rep)
    response = client.get("/search/", {"q": order.number})
    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()
    fragment = client.get("/search/", {"q": case.number}, headers={"HX-Request": "true"})
    assert case.get_absolute_url() in fragment.content.decode()
    client.force_login(other_rep)
    response = client.get("/search/", {"q": order.number})
    assert response.status_code == 200
    assert order.get_absolute_url() not in response.content.decode()


def test_the_api_returns_records_in_scope(rep, other_rep, sales_records, client: Client):
    order, _opportunity, _case = sales_records
    client.force_login(rep)
    body = client.get("/api/v1/search", {"q": order.number}).json()
    assert [r["url"] for r in body["records"]] == [order.get_absolute_url()]
    assert body["records"][0]["kind"] == "order"
    client.force_login(other_rep)
    assert client.get("/api/v1/search", {"q": order.number}).json()["records"] == []


def test_records_are_looked_up_only_for_number_shaped_queries(rep, sales_records):
    assert selectors.record_numbers("张伟") == []
