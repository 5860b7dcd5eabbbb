"""The loyalty API works for whom it should and refuses the others (the OpenAPI walk in
kehu/core/tests/test_api_scope.py covers every operation on a record as well)."""

from decimal import Decimal

import pytest
from django.test import Client

from kehu.accounts.models import Role
from kehu.loyalty import care
from kehu.loyalty.models import CareTask, Festival, Member, Reward
from kehu.sales import services as sales
from kehu.sales.services import LineInput

pytestmark = pytest.mark.django_db
API = "/api/v1/loyalty"


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def marketer(make_user):
    return make_user(Role.MARKETER, username="mkt")


@pytest.fixture
def member(programme, rep, customer, product):
    o = sales.order_create(
        user=rep, customer=customer, lines=[LineInput(product=product, quantity=Decimal("20"))]
    )
    sales.payment_record(user=rep, order=o, amount=o.total_amount)  # 2000 points, 银卡
    return Member.objects.get(customer=customer)


def test_member_card(member, rep, other_rep, customer):
    response = client_for(rep).get(f"{API}/customers/{customer.pk}/card")
    assert response.status_code == 200
    body = response.json()
    assert body["member"]["level"]["name"] == "银卡"
    assert body["member"]["points_balance"] == 2000
    assert body["next_level"]["name"] == "金卡"
    assert body["progress_percent"] == 40
    assert body["recent"][0]["points"] == 2000
    assert client_for(other_rep).get(f"{API}/customers/{customer.pk}/card").status_code == 404


def test_card_of_a_customer_who_is_not_a_member(programme, rep, customer):
    body = client_for(rep).get(f"{API}/customers/{customer.pk}/card").json()
    assert body["member"] is None


def test_enrol(programme, rep, other_rep, leader, customer):
    assert client_for(other_rep).post(f"{API}/customers/{customer.pk}/enrol").status_code == 404
    assert client_for(leader).post(f"{API}/customers/{customer.pk}/enrol").status_code == 403
    response = client_for(rep).post(f"{API}/customers/{customer.pk}/enrol")
    assert response.status_code == 201
    assert response.json()["level"]["name"] == "普通卡"
    assert client_for(rep).post(f"{API}/customers/{customer.pk}/enrol").status_code == 200


def test_adjust_is_for_the_programme_managers(member, rep, marketer, customer):
    url = f"{API}/customers/{customer.pk}/adjust"
    body = {"points": -100, "reason": "补录错误"}
    assert client_for(rep).post(url, body, content_type="application/json").status_code == 403
    response = client_for(marketer).post(url, body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["kind"] == "adjust"
    over = {"points": -5000, "reason": "太多"}
    assert client_for(marketer).post(url, over, content_type="application/json").status_code == 409


def test_reward(member, rep, other_rep, customer):
    reward = Reward.objects.create(name="保温杯", points=500)
    url = f"{API}/customers/{customer.pk}/rewards"
    body = {"reward_id": reward.pk}
    assert client_for(other_rep).post(url, body, content_type="application/json").status_code == 404
    response = client_for(rep).post(url, body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["points"] == -500


def test_redeem_on_an_order(member, rep, other_rep, customer, product):
    o = sales.order_create(
        user=rep, customer=customer, lines=[LineInput(product=product, quantity=Decimal("1"))]
    )
    body = client_for(rep).get(f"{API}/orders/{o.pk}/redeemable").json()
    assert body == {
        "member": True,
        "balance": 2000,
        "redeemable_points": 2000,
        "point_value": "0.0100",
    }
    url = f"{API}/orders/{o.pk}/redeem"
    assert (
        client_for(other_rep).post(url, {"points": 10}, content_type="application/json").status_code
        == 404
    )
    response = client_for(rep).post(url, {"points": 1500}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["balance"] == 500
    assert response.json()["amount"] == "15.00"
    response = client_for(rep).post(url, {"points": 600}, content_type="application/json")
    assert response.status_code == 409


def test_ledger_filters_and_scope(member, rep, other_rep, customer):
    response = client_for(rep).get(f"{API}/entries/?kind=earn")
    assert [e["points"] for e in response.json()["results"]] == [2000]
    assert client_for(rep).get(f"{API}/entries/?kind=redeem").json()["results"] == []
    assert client_for(other_rep).get(f"{API}/entries/").json()["results"] == []


def test_overview(member, rep, other_rep):
    body = client_for(rep).get(f"{API}/overview").json()
    assert body["members"] == 1
    assert body["liability_points"] == 2000
    assert sum(body["earned"]) == 2000
    assert {m["to_level"] for m in body["migration"]} == {"银卡"}
    assert client_for(other_rep).get(f"{API}/overview").json()["members"] == 0


def test_programme_settings(programme, rep, marketer):
    body = client_for(rep).get(f"{API}/programme").json()
    assert [lv["name"] for lv in body["levels"]] == ["普通卡", "银卡", "金卡", "白金卡", "钻石卡"]
    patch = {"grace_days": 30}
    assert (
        client_for(rep)
        .patch(f"{API}/programme", patch, content_type="application/json")
        .status_code
        == 403
    )
    response = client_for(marketer).patch(
        f"{API}/programme", patch, content_type="application/json"
    )
    assert response.json()["grace_days"] == 30
    level = body["levels"][1]["id"]
    assert (
        client_for(rep)
        .patch(f"{API}/levels/{level}", {"free_delivery": True}, content_type="application/json")
        .status_code
        == 403
    )
    response = client_for(marketer).patch(
        f"{API}/levels/{level}", {"free_delivery": True}, content_type="application/json"
    )
    assert response.json()["free_delivery"] is True


def test_festivals_and_care(programme, rep, other_rep, marketer, customer):
    body = client_for(rep).get(f"{API}/festivals/?year=2026").json()
    assert {f["code"]: f["falls_on"] for f in body}["mid-autumn"] == "2026-09-25"
    plan = {
        "name": "国庆问候",
        "occasion": "festival",
        "festival_id": Festival.objects.get(code="national-day").pk,
        "action": "call",
        "days_before": 3,
    }
    assert (
        client_for(rep)
        .post(f"{API}/care/plans/", plan, content_type="application/json")
        .status_code
        == 403
    )
    assert (
        client_for(marketer)
        .post(f"{API}/care/plans/", plan, content_type="application/json")
        .status_code
        == 201
    )
    from datetime import date

    care.care_tasks_generate(today=date(2026, 9, 29))
    tasks = client_for(rep).get(f"{API}/care/tasks/").json()
    assert [t["customer_name"] for t in tasks] == ["张伟"]
    task_id = CareTask.objects.get().task_id
    url = f"{API}/care/tasks/{task_id}/done"
    assert client_for(other_rep).post(url, {}, content_type="application/json").status_code == 404
    response = client_for(rep).post(url, {"note": "国庆快乐"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["done_at"]
    report = client_for(rep).get(f"{API}/care/report?start=2026-09-01&end=2026-10-31").json()
    assert report["reps"][0]["done"] == 1
    assert (
        client_for(other_rep)
        .get(f"{API}/care/report?start=2026-09-01&end=2026-10-31")
        .json()["reps"]
        == []
    )
