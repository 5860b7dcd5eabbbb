"""``/api/v1/campaigns``: each endpoint works for who may use it and refuses the wrong user."""

from decimal import Decimal

import pytest

from kehu.accounts.models import Role
from kehu.marketing import services
from kehu.marketing.models import CampaignMember

BASE = "/api/v1/campaigns"


@pytest.fixture
def launched(marketer, campaign):
    services.campaign_launch(user=marketer, campaign=campaign)
    services.sends_process(campaign_id=campaign.pk, channel="email")
    return campaign


def test_plan_write_launch_and_read_results(client, marketer, segment, people):
    client.force_login(marketer)
    created = client.post(
        f"{BASE}/",
        {
            "name": "API 活动",
            "starts_on": "2026-03-01",
            "ends_on": "2026-03-31",
            "channels": ["email", "phone"],
            "segment_ids": [segment.pk],
            "budget": "800",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    assert created.json()["status"] == "draft"
    patched = client.patch(
        f"{BASE}/{cid}", {"control_percent": 10}, content_type="application/json"
    )
    assert patched.json()["control_percent"] == 10
    template = client.put(
        f"{BASE}/{cid}/templates",
        {"channel": "email", "language": "en", "subject": "Hi {{ name }}", "body": "Hello"},
        content_type="application/json",
    )
    assert template.status_code == 200
    bad = client.put(
        f"{BASE}/{cid}/templates",
        {"channel": "email", "language": "en", "subject": "x", "body": "{% load x %}"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert (
        client.post(
            f"{BASE}/{cid}/test-send",
            {"to": "me@example.com", "language": "en"},
            content_type="application/json",
        ).status_code
        == 200
    )
    launch = client.post(f"{BASE}/{cid}/launch")
    assert launch.status_code == 200
    assert launch.json()["status"] == "running"
    assert client.post(f"{BASE}/{cid}/launch").status_code == 409
    cost = client.post(
        f"{BASE}/{cid}/costs", {"item": "印刷", "amount": "120.50"}, content_type="application/json"
    )
    assert cost.status_code == 201
    members = client.get(f"{BASE}/{cid}/members").json()["results"]
    assert len(members) == 6
    results = client.get(f"{BASE}/{cid}/results")
    assert results.status_code == 200
    assert Decimal(results.json()["total"]["cost"]) == Decimal("120.50")
    assert client.get(f"{BASE}/{cid}/sends").status_code == 200
    assert client.get(f"{BASE}/").json()["results"][0]["id"] == cid
    assert client.get(f"{BASE}/channels").status_code == 200
    assert client.post(f"{BASE}/{cid}/finish").json()["status"] == "finished"


def test_a_leader_reads_but_may_not_write(client, leader, launched):
    client.force_login(leader)
    assert client.get(f"{BASE}/{launched.pk}/results").status_code == 200
    assert client.get(f"{BASE}/{launched.pk}").status_code == 200
    assert client.post(f"{BASE}/{launched.pk}/finish").status_code == 403
    assert (
        client.post(
            f"{BASE}/{launched.pk}/costs",
            {"item": "x", "amount": "1"},
            content_type="application/json",
        ).status_code
        == 403
    )
    refused = client.post(
        f"{BASE}/",
        {"name": "x", "starts_on": "2026-01-01", "ends_on": "2026-01-02", "channels": ["email"]},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_a_rep_sees_only_the_members_assigned_to_them(
    client, marketer, rep, other_rep, make_user, segment, people
):
    campaign = services.campaign_create(
        user=marketer,
        name="电话回访",
        starts_on=people["王芳"].created_at.date(),
        ends_on=people["王芳"].created_at.date(),
        channels=["phone"],
        segment_ids=[segment.pk],
    )
    campaign = services.campaign_launch(user=marketer, campaign=campaign)
    services.call_list_assign(user=marketer, campaign=campaign, agents=[rep, other_rep])
    mine = CampaignMember.objects.filter(campaign=campaign, assigned_to=rep)
    theirs = CampaignMember.objects.filter(campaign=campaign, assigned_to=other_rep)[0]
    client.force_login(rep)
    listed = client.get(f"{BASE}/{campaign.pk}/members").json()["results"]
    assert {m["id"] for m in listed} == set(mine.values_list("pk", flat=True))
    assert client.get(f"{BASE}/{campaign.pk}/results").status_code == 403
    assert client.get(f"{BASE}/{campaign.pk}/sends").status_code == 403
    member = mine[0]
    logged = client.post(
        f"{BASE}/members/{member.pk}/contacts",
        {"channel": "phone", "outcome": "有兴趣", "response": "called_back"},
        content_type="application/json",
    )
    assert logged.status_code == 201, logged.content
    assert member.customer.interactions.filter(type="phone_call").exists()
    assert member.responses.filter(kind="called_back").exists()
    assert (
        client.post(
            f"{BASE}/members/{theirs.pk}/responses",
            {"kind": "replied"},
            content_type="application/json",
        ).status_code
        == 404
    )
    stranger = make_user(Role.SERVICE_AGENT, username="nobody")
    client.force_login(stranger)
    assert client.get(f"{BASE}/{campaign.pk}").status_code == 404
    assert client.get(f"{BASE}/{campaign.pk}/members").status_code == 404


def test_anonymous_is_refused(client, launched):
    assert client.get(f"{BASE}/").status_code == 401
    assert client.get(f"{BASE}/{launched.pk}/results").status_code == 401
