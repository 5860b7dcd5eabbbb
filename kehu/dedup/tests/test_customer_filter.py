""" "Find duplicates of this customer": the queue and the API narrowed to one customer's pairs,
and the link on the customer's 360° page."""

import pytest
from django.utils import timezone

from kehu.core import access
from kehu.customers.tests.factories import make_person
from kehu.dedup import selectors
from kehu.dedup.models import DuplicateCandidate

pytestmark = pytest.mark.django_db


def candidate(a, b, probability=0.9, status=DuplicateCandidate.Status.PENDING):
    a, b = sorted([a, b], key=lambda c: c.pk)
    return DuplicateCandidate.objects.create(
        customer_a=a,
        customer_b=b,
        kind=a.kind,
        match_probability=probability,
        status=status,
        found_at=timezone.now(),
    )


@pytest.fixture
def people(archivist):
    """Six people of one archivist."""
    names = ["张伟", "章伟", "张玮", "李娜", "王芳", "张薇"]
    return {name: make_person(archivist, name) for name in names}


@pytest.fixture
def pairs(people):
    """张伟 is in two pending pairs and a dismissed one; 李娜–王芳 is a pair without him."""
    first = candidate(people["张伟"], people["章伟"], 0.97)
    second = candidate(people["张伟"], people["张玮"], 0.91)
    dismissed = candidate(
        people["张伟"], people["张薇"], 0.8, status=DuplicateCandidate.Status.DISMISSED
    )
    other = candidate(people["李娜"], people["王芳"], 0.95)
    return {"first": first, "second": second, "dismissed": dismissed, "other": other}


def test_the_queue_shows_only_the_customers_pairs(client, archivist, people, pairs):
    # given 张伟 in two pending pairs and another pair without him
    client.force_login(archivist)
    zhang = people["张伟"]
    # when the queue is narrowed to him
    page = client.get(f"/duplicates/?customer={zhang.pk}")
    # then only his pending pairs are listed, and the filter shows with a way to clear it
    assert page.status_code == 200
    assert [c.pk for c in page.context["candidates"]] == [pairs["first"].pk, pairs["second"].pk]
    html = page.content.decode()
    assert 'data-testid="duplicate-customer-filter"' in html
    assert f'name="customer" value="{zhang.pk}"' in html
    assert 'href="/duplicates/"' in html
    # and without the filter every pending pair is back
    page = client.get("/duplicates/")
    assert {c.pk for c in page.context["candidates"]} == {
        pairs["first"].pk,
        pairs["second"].pk,
        pairs["other"].pk,
    }
    assert 'data-testid="duplicate-customer-filter"' not in page.content.decode()


def test_the_customer_filter_works_with_kind(client, archivist, people, pairs):
    client.force_login(archivist)
    zhang = people["张伟"].pk
    page = client.get(f"/duplicates/?customer={zhang}&kind=person")
    assert len(page.context["candidates"]) == 2
    assert 'href="/duplicates/?kind=person"' in page.content.decode()
    page = client.get(f"/duplicates/?customer={zhang}&kind=organization")
    assert page.context["candidates"] == []
    assert "No pairs with this customer to review." in page.content.decode()


def test_the_customer_as_side_b_is_found_too(archivist, people):
    later = people["王芳"]
    pair = candidate(people["张伟"], later)
    assert pair.customer_b_id == later.pk
    found = selectors.candidates_for(user=archivist, customer_id=later.pk)
    assert [c.pk for c in found] == [pair.pk]


@pytest.mark.parametrize("value", ["abc", "-1", "²", "9" * 40, ""])
def test_a_bad_customer_value_is_ignored(client, archivist, pairs, value):
    client.force_login(archivist)
    page = client.get("/duplicates/", {"customer": value})
    assert page.status_code == 200
    assert len(page.context["candidates"]) == 3


def test_an_unknown_customer_is_404(client, archivist, pairs):
    client.force_login(archivist)
    assert client.get("/duplicates/?customer=999999").status_code == 404


def test_the_filtered_queue_refuses_a_sales_rep(client, rep, people, pairs):
    client.force_login(rep)
    assert client.get(f"/duplicates/?customer={people['张伟'].pk}").status_code == 403
    response = client.get(f"/api/v1/duplicates/?customer={people['张伟'].pk}")
    assert response.status_code == 403


def test_a_customer_the_user_may_not_see_is_not_revealed(
    client, archivist, people, pairs, monkeypatch
):
    # given an archive administrator whose view were narrowed to nothing
    monkeypatch.setitem(
        access.POLICIES,
        archivist.role,
        access.Policy(access.Scope.NONE, access.Scope.ALL, True, access.ALL_GROUPS),
    )
    client.force_login(archivist)
    zhang = people["张伟"].pk
    # when the queue or the API is narrowed to a customer
    page = client.get(f"/duplicates/?customer={zhang}")
    listing = client.get(f"/api/v1/duplicates/?customer={zhang}")
    # then the page is not found and the API lists nothing
    assert page.status_code == 404
    assert listing.status_code == 200
    assert listing.json()["results"] == []


def test_the_api_filters_by_customer_with_status_and_kind(client, archivist, people, pairs):
    client.force_login(archivist)
    zhang = people["张伟"].pk

    def ids(query):
        response = client.get(f"/api/v1/duplicates/?{query}")
        assert response.status_code == 200
        return [item["id"] for item in response.json()["results"]]

    assert ids(f"customer={zhang}") == [pairs["first"].pk, pairs["second"].pk]
    assert ids(f"customer={zhang}&kind=person") == [pairs["first"].pk, pairs["second"].pk]
    assert ids(f"customer={zhang}&kind=organization") == []
    assert ids(f"customer={zhang}&status=dismissed") == [pairs["dismissed"].pk]
    assert ids(f"customer={people['王芳'].pk}") == [pairs["other"].pk]
    assert ids("customer=999999") == []


@pytest.mark.parametrize("value", ["abc", "0", "9" * 40])
def test_the_api_refuses_a_bad_customer_value(client, archivist, value):
    client.force_login(archivist)
    response = client.get("/api/v1/duplicates/", {"customer": value})
    assert response.status_code == 422


def test_the_360_page_links_to_the_customers_pairs(client, archivist, people, pairs):
    client.force_login(archivist)
    zhang = people["张伟"]
    html = client.get(f"/customers/{zhang.pk}/").content.decode()
    assert "Possible duplicates (2)" in html
    assert f'href="/duplicates/?customer={zhang.pk}"' in html
    # a customer without pending pairs says so
    html = client.get(f"/customers/{people['张薇'].pk}/").content.decode()
    assert "No known duplicates" in html
    assert "/duplicates/?customer=" not in html


def test_the_360_page_count_is_one_query(archivist, people, pairs, django_assert_num_queries):
    with django_assert_num_queries(1):
        count = selectors.duplicates_pending_count_for_customer(
            user=archivist, customer=people["张伟"]
        )
    assert count == 2


def test_the_360_page_shows_nothing_to_a_rep(client, rep):
    customer = make_person(rep, "赵敏")
    candidate(customer, make_person(rep, "赵敏敏"))
    client.force_login(rep)
    page = client.get(f"/customers/{customer.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="customer-duplicates"' not in html
    assert "/duplicates/" not in html
