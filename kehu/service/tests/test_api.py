"""``/api/v1/cases`` and ``/api/v1/feedback``: every endpoint works for the right user and
refuses the wrong one; lists are scoped and their query counts stay flat."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.service import services
from kehu.service.models import Case, CaseRating, Feedback
from kehu.service.tests.factories import open_case, resolve

pytestmark = pytest.mark.django_db


def api(client, method, path, body=None):
    call = getattr(client, method.lower())
    if body is None:
        return call(f"/api/v1{path}")
    return call(f"/api/v1{path}", body, content_type="application/json")


@pytest.fixture
def case(agent, customer):
    return open_case(agent, customer, assigned_to=agent)


@pytest.fixture
def other_case(agent, other_customer):
    return open_case(agent, other_customer)


# --- cases ------------------------------------------------------------------------------------


def test_open_case_with_sla_fields(client, agent, customer):
    client.force_login(agent)
    response = api(
        client,
        "POST",
        "/cases/",
        {
            "customer_id": customer.pk,
            "type": "complaint",
            "priority": "high",
            "subject": "售后师傅迟到",
            "description": "约好上午来，下午才到",
            "channel": "call_center",
            "assigned_to_id": agent.pk,
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "new"
    assert body["channel"] == "call_center"
    assert body["assigned_to"]["username"] == "agent1"
    assert body["allowed_transitions"] == ["in_progress", "waiting", "resolved"]
    assert body["response_due_at"]
    assert body["resolution_due_at"]
    assert body["response_breached"] is False
    assert body["number"] == f"SR-{body['id']:06d}"


def test_open_case_refused(client, leader, rep, customer, other_customer):
    client.force_login(leader)
    body = {
        "customer_id": customer.pk,
        "type": "question",
        "subject": "?",
        "description": "?",
    }
    assert api(client, "POST", "/cases/", body).status_code == 403
    client.force_login(rep)
    body["customer_id"] = other_customer.pk
    assert api(client, "POST", "/cases/", body).status_code == 404
    body["customer_id"] = customer.pk
    body["subject"] = ""
    response = api(client, "POST", "/cases/", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "subject"


def test_list_is_scoped_to_the_customers_a_rep_may_see(client, rep, agent, case, other_case):
    client.force_login(rep)
    ids = [c["id"] for c in api(client, "GET", "/cases/").json()["results"]]
    assert ids == [case.pk]
    client.force_login(agent)  # agents see every customer
    ids = [c["id"] for c in api(client, "GET", "/cases/").json()["results"]]
    assert sorted(ids) == sorted([case.pk, other_case.pk])


def test_list_filters(client, agent, case, other_case):
    client.force_login(agent)
    services.case_transition(user=agent, case=other_case, to_status="resolved", resolution="ok")
    assert [c["id"] for c in api(client, "GET", "/cases/?status=open").json()["results"]] == [
        case.pk
    ]
    assert [c["id"] for c in api(client, "GET", "/cases/?unassigned=true").json()["results"]] == [
        other_case.pk
    ]
    assert api(client, "GET", "/cases/?breached=true").json()["results"] == []
    assert api(client, "GET", "/cases/?status=nonsense").status_code == 422


def test_list_query_count_does_not_grow(client, agent, customer):
    client.force_login(agent)
    open_case(agent, customer)
    with CaptureQueriesContext(connection) as few:
        assert api(client, "GET", "/cases/").status_code == 200
    for _ in range(10):
        open_case(agent, customer, assigned_to=agent)
    with CaptureQueriesContext(connection) as many:
        assert len(api(client, "GET", "/cases/").json()["results"]) == 11
    assert len(many.captured_queries) == len(few.captured_queries)


def test_detail_and_refusal(client, rep, case, other_case):
    client.force_login(rep)
    assert api(client, "GET", f"/cases/{case.pk}").json()["subject"] == case.subject
    assert api(client, "GET", f"/cases/{other_case.pk}").status_code == 404


def test_transitions(client, agent, rep, leader, case, other_case):
    client.force_login(agent)
    path = f"/cases/{case.pk}/transitions"
    response = api(client, "POST", path, {"status": "in_progress"})
    assert response.status_code == 200
    assert response.json()["first_response_at"] is not None
    response = api(client, "POST", path, {"status": "closed"})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    response = api(client, "POST", path, {"status": "resolved"})
    assert response.status_code == 422
    response = api(client, "POST", path, {"status": "resolved", "resolution": "已更换"})
    assert response.json()["status"] == "resolved"
    # the wrong users
    client.force_login(leader)
    assert api(client, "POST", path, {"status": "closed"}).status_code == 403
    client.force_login(rep)
    other = f"/cases/{other_case.pk}/transitions"
    assert api(client, "POST", other, {"status": "in_progress"}).status_code == 404


def test_assign(client, agent, rep, leader, case, other_case):
    client.force_login(agent)
    response = api(client, "POST", f"/cases/{case.pk}/assign", {"user_id": rep.pk})
    assert response.json()["assigned_to"]["id"] == rep.pk
    response = api(client, "POST", f"/cases/{case.pk}/assign", {"user_id": leader.pk})
    assert response.status_code == 422
    response = api(client, "POST", f"/cases/{case.pk}/assign", {"user_id": None})
    assert response.json()["assigned_to"] is None
    client.force_login(leader)
    assert api(client, "POST", f"/cases/{case.pk}/assign", {"user_id": None}).status_code == 403
    client.force_login(rep)
    response = api(client, "POST", f"/cases/{other_case.pk}/assign", {"user_id": rep.pk})
    assert response.status_code == 404


def test_rating(client, agent, rep, leader, case, other_case):
    client.force_login(agent)
    path = f"/cases/{case.pk}/rating"
    assert api(client, "GET", path).status_code == 404  # not rated yet
    assert api(client, "POST", path, {"score": 5}).status_code == 409  # not resolved
    resolve(agent, case)
    assert api(client, "POST", path, {"score": 9}).status_code == 422
    response = api(client, "POST", path, {"score": 4, "comment": "满意"})
    assert response.status_code == 201
    assert response.json()["source"] == "agent"
    assert api(client, "POST", path, {"score": 3}).status_code == 409
    client.force_login(rep)
    assert api(client, "GET", path).json()["score"] == 4
    client.force_login(leader)
    resolve(agent, other_case)
    other = f"/cases/{other_case.pk}/rating"
    assert api(client, "POST", other, {"score": 5}).status_code == 403
    client.force_login(rep)
    assert api(client, "GET", other).status_code == 404
    assert CaseRating.objects.count() == 1


def test_rating_link(client, agent, rep, leader, case, other_case):
    client.force_login(agent)
    path = f"/cases/{case.pk}/rating-link"
    assert api(client, "POST", path).status_code == 409
    resolve(agent, case)
    url = api(client, "POST", path).json()["url"]
    assert "/r/" in url
    client.force_login(leader)
    assert api(client, "POST", path).status_code == 403
    client.force_login(rep)
    assert api(client, "POST", f"/cases/{other_case.pk}/rating-link").status_code == 404
    client.logout()
    assert api(client, "POST", path).status_code == 401


# --- feedback ---------------------------------------------------------------------------------


def _feedback_body(customer_id, **kwargs):
    body = {
        "customer_id": customer_id,
        "kind": "product_comment",
        "product_code": "X1",
        "product_name": "滚筒洗衣机 X1",
        "satisfaction": 4,
        "lifecycle_opinion": "growth",
        "understands_product": False,
        "preferences": "想要更大容量",
        "content": "用着不错，就是说明书看不懂",
    }
    body.update(kwargs)
    return body


def test_feedback_create_list_detail(client, rep, customer, other_customer, other_rep):
    client.force_login(rep)
    response = api(client, "POST", "/feedback/", _feedback_body(customer.pk))
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["understands_product"] is False
    assert created["lifecycle_opinion"] == "growth"
    assert api(client, "GET", f"/feedback/{created['id']}").json()["content"].startswith("用着")
    results = api(client, "GET", "/feedback/?q=说明书").json()["results"]
    assert [r["id"] for r in results] == [created["id"]]
    # the wrong user: another rep's customer
    assert api(client, "POST", "/feedback/", _feedback_body(other_customer.pk)).status_code == 404
    client.force_login(other_rep)
    assert api(client, "GET", f"/feedback/{created['id']}").status_code == 404
    assert api(client, "GET", "/feedback/").json()["results"] == []


def test_feedback_refused_and_validated(client, leader, rep, customer):
    client.force_login(leader)
    assert api(client, "POST", "/feedback/", _feedback_body(customer.pk)).status_code == 403
    client.force_login(rep)
    response = api(client, "POST", "/feedback/", _feedback_body(customer.pk, satisfaction=7))
    assert response.status_code == 422
    body = _feedback_body(customer.pk, kind="question", question_type=None)
    response = api(client, "POST", "/feedback/", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "question_type"
    assert not Feedback.objects.exists()


def test_feedback_list_query_count_does_not_grow(client, rep, customer):
    client.force_login(rep)
    api(client, "POST", "/feedback/", _feedback_body(customer.pk))
    with CaptureQueriesContext(connection) as few:
        api(client, "GET", "/feedback/")
    for _ in range(10):
        api(client, "POST", "/feedback/", _feedback_body(customer.pk))
    with CaptureQueriesContext(connection) as many:
        assert len(api(client, "GET", "/feedback/").json()["results"]) == 11
    assert len(many.captured_queries) == len(few.captured_queries)


def test_product_report_endpoint(client, rep, other_rep, customer):
    client.force_login(rep)
    api(client, "POST", "/feedback/", _feedback_body(customer.pk))
    rows = api(client, "GET", "/feedback/products").json()
    assert rows[0]["product_code"] == "X1"
    assert rows[0]["average_satisfaction"] == 4.0
    client.force_login(other_rep)
    assert api(client, "GET", "/feedback/products").json() == []
    client.logout()
    assert api(client, "GET", "/feedback/products").status_code == 401


def test_product_from_the_catalogue(client, agent, customer):
    from decimal import Decimal

    from kehu.sales.models import Product

    product = Product.objects.create(code="tv-55", name="55 寸电视", list_price=Decimal("3999"))
    client.force_login(agent)
    body = {
        "customer_id": customer.pk,
        "type": "after_sales",
        "subject": "电视无信号",
        "description": "开机后无信号",
        "product_id": product.pk,
    }
    created = api(client, "POST", "/cases/", body).json()
    assert (created["product_id"], created["product_name"]) == (product.pk, "55 寸电视")
    body["product_id"] = 999999
    response = api(client, "POST", "/cases/", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "product_id"
    created = api(client, "POST", "/feedback/", _feedback_body(customer.pk, product_id=product.pk))
    assert created.json()["product_code"] == "tv-55"


def test_cases_in_feedback_must_be_visible(client, rep, agent, customer, other_case):
    client.force_login(rep)
    response = api(client, "POST", "/feedback/", _feedback_body(customer.pk, case_id=other_case.pk))
    assert response.status_code == 422
    assert Case.objects.count() == 1
