"""Customer list and detail, in the UI and the API, scoped by role."""

import pytest
from django.urls import reverse

from kehu.accounts.models import Role
from kehu.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_customers(rep, other_rep):
    return CustomerFactory(name="张伟", owner=rep), CustomerFactory(name="李娜", owner=other_rep)


def test_list_page_shows_only_own_customers(client, rep, two_customers):
    client.force_login(rep)
    response = client.get(reverse("customers:list"))
    assert response.status_code == 200
    assert "张伟" in response.text
    assert "李娜" not in response.text


def test_list_page_query_count_does_not_grow_with_rows(
    client, rep, two_customers, django_assert_max_num_queries
):
    for n in range(30):
        CustomerFactory(name=f"客户{n}", owner=rep)
    client.force_login(rep)
    # session, user, scope, count, rows, tags, the filter form's owners, teams, channels, and
    # the navigation's badges: reminders due, tasks due, unread notifications; the top bar's role;
    # the bulk bar's colleagues to assign to; the filter form's propensity models
    with django_assert_max_num_queries(16):
        client.get(reverse("customers:list"))


def test_detail_page_of_another_reps_customer_is_404(client, rep, two_customers):
    client.force_login(rep)
    mine, theirs = two_customers
    assert client.get(reverse("customers:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("customers:detail", args=[theirs.pk])).status_code == 404


def test_api_list_is_scoped_and_paginated(client, rep, two_customers):
    client.force_login(rep)
    for n in range(3):
        CustomerFactory(name=f"客户{n}", owner=rep)
    first = client.get("/api/v1/customers/?page_size=2").json()
    assert [c["name"] for c in first["results"]] == ["客户2", "客户1"]
    second = client.get(first["next"]).json()
    assert [c["name"] for c in second["results"]] == ["客户0", "张伟"]
    assert second["next"] is None


def test_api_detail_refuses_another_reps_customer(client, rep, two_customers):
    client.force_login(rep)
    mine, theirs = two_customers
    assert client.get(f"/api/v1/customers/{mine.pk}").json()["name"] == "张伟"
    response = client.get(f"/api/v1/customers/{theirs.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_api_leader_sees_every_customer(client, make_user, two_customers):
    client.force_login(make_user(Role.LEADER))
    names = {c["name"] for c in client.get("/api/v1/customers/").json()["results"]}
    assert names == {"张伟", "李娜"}


def test_api_anonymous_is_refused(client, two_customers):
    response = client.get("/api/v1/customers/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
