"""``/api/v1/interactions`` and ``/api/v1/reminders``: each endpoint works for the right user and
refuses the wrong one."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.customers import services as customer_services
from kehu.interactions.models import Interaction, Reminder
from kehu.interactions.services import interaction_log

pytestmark = pytest.mark.django_db


def api(client, method, path, body=None):
    call = getattr(client, method.lower())
    if body is None:
        return call(f"/api/v1{path}")
    return call(f"/api/v1{path}", body, content_type="application/json")


@pytest.fixture
def customer(rep):
    return customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})


@pytest.fixture
def logged(rep, customer):
    interaction, _ = interaction_log(
        user=rep,
        customer=customer,
        type="visit",
        summary="拜访",
        next_follow_up_on=timezone.localdate(),
    )
    return interaction


def test_create_with_facts_and_follow_up(client, rep, customer):
    client.force_login(rep)
    response = api(
        client,
        "post",
        "/interactions/",
        {
            "customer_id": customer.pk,
            "type": "exhibition",
            "summary": "展会",
            "channel": "exhibition",
            "facts": {"phones": ["13800138000"]},
            "next_follow_up_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["channel"] == "exhibition"
    assert body["user"]["username"] == "rep1"
    assert customer.changes.get(field="phones").channel.code == "exhibition"
    assert Reminder.objects.filter(kind="follow_up").count() == 1


def test_create_bad_fact_is_422_and_nothing_saved(client, rep, customer):
    client.force_login(rep)
    response = api(
        client,
        "post",
        "/interactions/",
        {"customer_id": customer.pk, "type": "visit", "summary": "x", "facts": {"phones": "1"}},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"phones"}
    assert not Interaction.objects.exists()


def test_create_for_another_reps_customer_is_404(client, other_rep, customer):
    client.force_login(other_rep)
    response = api(
        client,
        "post",
        "/interactions/",
        {"customer_id": customer.pk, "type": "visit", "summary": "x"},
    )
    assert response.status_code == 404


def test_leader_may_not_create(client, make_user, customer):
    client.force_login(make_user(Role.LEADER))
    response = api(
        client,
        "post",
        "/interactions/",
        {"customer_id": customer.pk, "type": "visit", "summary": "x"},
    )
    assert response.status_code == 403


def test_list_filters_and_scope(client, rep, other_rep, customer, logged):
    interaction_log(user=rep, customer=customer, type="phone_call", summary="电话")
    client.force_login(rep)
    all_rows = api(client, "get", f"/interactions/?customer_id={customer.pk}").json()["results"]
    assert [r["type"] for r in all_rows] == ["phone_call", "visit"]
    calls = api(client, "get", "/interactions/?type=phone_call").json()["results"]
    assert [r["summary"] for r in calls] == ["电话"]
    today = timezone.localdate().isoformat()
    assert len(api(client, "get", f"/interactions/?since={today}").json()["results"]) == 2
    assert api(client, "get", f"/interactions/?user_id={other_rep.pk}").json()["results"] == []
    # another rep sees none of them
    client.force_login(other_rep)
    assert api(client, "get", "/interactions/").json()["results"] == []


def test_list_is_paginated_with_constant_queries(client, rep, customer):
    client.force_login(rep)
    interaction_log(user=rep, customer=customer, type="visit", summary="x")
    with CaptureQueriesContext(connection) as few:
        api(client, "get", "/interactions/")
    for n in range(12):
        interaction_log(user=rep, customer=customer, type="visit", summary=f"{n}")
    with CaptureQueriesContext(connection) as many:
        first = api(client, "get", "/interactions/?page_size=10").json()
    assert len(many) == len(few)
    second = client.get(first["next"]).json()
    assert len(first["results"]) == 10
    assert len(second["results"]) == 3


def test_detail_404_for_the_wrong_rep(client, rep, other_rep, logged):
    client.force_login(rep)
    assert api(client, "get", f"/interactions/{logged.pk}").status_code == 200
    client.force_login(other_rep)
    assert api(client, "get", f"/interactions/{logged.pk}").status_code == 404


def test_update_own(client, rep, logged):
    client.force_login(rep)
    response = api(client, "patch", f"/interactions/{logged.pk}", {"outcome": "有意向"})
    assert response.status_code == 200
    assert response.json()["outcome"] == "有意向"


def test_update_someone_elses_is_403(client, admin_user, logged):
    client.force_login(admin_user)
    response = api(client, "patch", f"/interactions/{logged.pk}", {"outcome": "改"})
    assert response.status_code == 403


def test_delete_own_within_grace(client, rep, logged):
    client.force_login(rep)
    assert api(client, "delete", f"/interactions/{logged.pk}").status_code == 204
    assert not Interaction.objects.exists()


def test_delete_after_grace_or_by_another_is_403(client, rep, admin_user, logged):
    client.force_login(admin_user)
    assert api(client, "delete", f"/interactions/{logged.pk}").status_code == 403
    Interaction.objects.filter(pk=logged.pk).update(created_at=timezone.now() - timedelta(hours=25))
    client.force_login(rep)
    response = api(client, "delete", f"/interactions/{logged.pk}")
    assert response.status_code == 403
    assert "24 hours" in response.json()["message"]


def test_reminders_mine(client, rep, other_rep, logged):
    client.force_login(rep)
    rows = api(client, "get", "/reminders/").json()["results"]
    assert [(r["kind"], r["customer"]["name"]) for r in rows] == [("follow_up", "张伟")]
    client.force_login(other_rep)
    assert api(client, "get", "/reminders/").json()["results"] == []


def test_reminder_done(client, rep, logged):
    client.force_login(rep)
    reminder = Reminder.objects.get()
    response = api(client, "post", f"/reminders/{reminder.pk}/done")
    assert response.status_code == 200
    assert response.json()["done_at"] is not None
    logged.refresh_from_db()
    assert logged.follow_up_done_at is not None


def test_reminder_done_of_another_user_is_404(client, other_rep, logged):
    client.force_login(other_rep)
    reminder = Reminder.objects.get()
    assert api(client, "post", f"/reminders/{reminder.pk}/done").status_code == 404


def test_anonymous_is_401(client):
    assert api(client, "get", "/interactions/").status_code == 401
    assert api(client, "get", "/reminders/").status_code == 401
    assert api(client, "get", "/pool/").status_code == 401


def test_reminder_of_a_customer_handed_over_is_404_for_the_former_owner(
    client, rep, other_rep, admin_user, customer, logged
):
    # given: rep's follow-up reminder, then the customer goes to other_rep
    reminder = Reminder.objects.get(user=rep)
    customer_services.customer_assign(user=admin_user, customer=customer, owner=other_rep)
    client.force_login(rep)
    # when
    response = api(client, "post", f"/reminders/{reminder.pk}/done")
    # then: refused without naming the customer, and nothing changed
    assert response.status_code == 404
    assert "张伟" not in response.content.decode()
    reminder.refresh_from_db()
    assert reminder.done_at is None
