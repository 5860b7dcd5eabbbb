"""Leads that reach a person: marketers and service agents create leads (policy in
``kehu.core.access``), which the lead-assignment rule gives an owner (round robin, fixed user,
a fallback owner; the public pool only under the pool rule), who is notified; the call lookup
offers "new customer from this number" with the phone filled in."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kehu.accounts.models import Membership, Role, Team
from kehu.core.exceptions import Conflict
from kehu.customers.models import Customer
from kehu.intake.models import LeadHandover
from kehu.intake.services.leads import lead_assignment_save, lead_handover_decide
from kehu.interactions.models import Notification
from kehu.interactions.timeline import customer_timeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales_team(rep, other_rep):
    team = Team.objects.create(name="华东销售")
    Membership.objects.create(user=rep, team=team)
    Membership.objects.create(user=other_rep, team=team)
    return team


def _create(client, name, **extra):
    body = {"name": name, "phones": "139 1234 5678", "source_channel": "exhibition",
            "lifecycle_stage": "lead", "grade": "general", **extra}  # fmt: skip
    return client.post(reverse("customers:create") + "?kind=person", body)


@pytest.mark.parametrize("role", [Role.MARKETER, Role.SERVICE_AGENT])
def test_a_marketer_or_agent_creates_a_lead_that_goes_round_robin(
    client, make_user, admin_user, rep, other_rep, sales_team, role
):
    lead_assignment_save(user=admin_user, rule="round_robin", team_id=sales_team.pk)
    finder = make_user(role)
    client.force_login(finder)
    assert _create(client, "展会线索一").status_code == 302
    # another phone: the same one would stop the form at its possible-duplicate warning
    assert _create(client, "展会线索二", phones="137 8765 4321").status_code == 302
    first, second = Customer.objects.filter(name__startswith="展会线索").order_by("pk")
    # each lead reaches a rep in turn, not the finder (who may not own customers)
    assert {first.owner, second.owner} == {rep, other_rep}
    assert first.status == Customer.Status.ACTIVE
    assert first.source_channel is not None
    assert first.source_channel.code == "exhibition"  # the channel they were found through
    assert Notification.objects.filter(user=first.owner, text__contains="展会线索一").exists()


def test_the_fallback_owner_takes_leads_the_rule_cannot_place(
    client, make_user, admin_user, archivist
):
    empty = Team.objects.create(name="空团队")
    lead_assignment_save(
        user=admin_user, rule="round_robin", team_id=empty.pk, fallback_user_id=archivist.pk
    )
    client.force_login(make_user(Role.MARKETER))
    _create(client, "线索")
    assert Customer.objects.get(name="线索").owner == archivist


def test_the_public_pool_only_when_the_rule_says_so(client, make_user, admin_user):
    lead_assignment_save(user=admin_user, rule="public_pool")
    client.force_login(make_user(Role.MARKETER))
    _create(client, "公海线索")
    lead = Customer.objects.get(name="公海线索")
    assert (lead.owner, lead.status) == (None, Customer.Status.PUBLIC_POOL)


def test_a_rep_still_owns_what_they_create(client, rep, admin_user, sales_team):
    lead_assignment_save(user=admin_user, rule="round_robin", team_id=sales_team.pk)
    client.force_login(rep)
    _create(client, "自己的客户")
    assert Customer.objects.get(name="自己的客户").owner == rep


def test_the_leader_may_not_create_leads(client, make_user):
    client.force_login(make_user(Role.LEADER))
    assert client.get(reverse("customers:create")).status_code == 403
    response = client.post(
        "/api/v1/customers/",
        {"kind": "person", "fields": {"name": "x"}},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_the_api_routes_an_agents_lead(client, agent, rep, admin_user):
    lead_assignment_save(user=admin_user, rule="fixed_user", fixed_user_id=rep.pk)
    client.force_login(agent)
    response = client.post(
        "/api/v1/customers/",
        {"kind": "person", "fields": {"name": "来电新客"}, "channel": "call_center"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Customer.objects.get(name="来电新客").owner == rep


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "New customer from this number"), ("zh-hans", "用此号码新建客户")],
)
def test_call_lookup_offers_a_new_customer_with_the_phone(client, agent, language, label):
    client.force_login(agent)
    client.cookies["kehu_language"] = language
    page = client.get("/calls/lookup", {"number": "13912345678"}).content.decode()
    assert label in page
    link = reverse("customers:create") + "?phone=13912345678"
    assert link in page
    form = client.get(link).content.decode()
    assert 'value="13912345678"' in form
    assert 'value="call_center" selected' in form


# --- hand-over with acceptance ----------------------------------------------------------------


@pytest.fixture
def handed_lead(client, make_user, admin_user, rep):
    lead_assignment_save(user=admin_user, rule="fixed_user", fixed_user_id=rep.pk)
    finder = make_user(Role.MARKETER, username="mkt1")
    client.force_login(finder)
    _create(client, "展会线索")
    client.logout()
    return Customer.objects.get(name="展会线索"), finder


def _titles(user, customer):
    return [str(i.title) for i in customer_timeline(user=user, customer=customer)]


def test_the_rep_accepts_a_handed_lead(client, rep, handed_lead):
    lead, finder = handed_lead
    handover = LeadHandover.objects.get(customer=lead)
    assert (handover.status, handover.from_user, handover.to_user) == ("pending", finder, rep)
    note = Notification.objects.get(user=rep, text__contains="展会线索")
    assert note.url == reverse("intake_admin:handovers")
    client.force_login(rep)
    page = client.get(reverse("intake_admin:handovers")).content.decode()
    assert 'data-testid="handover-accept"' in page
    client.post(reverse("intake_admin:handovers"), {"handover": handover.pk, "decision": "accept"})
    handover.refresh_from_db()
    assert handover.status == "accepted"
    assert Customer.objects.get(pk=lead.pk).owner == rep
    assert "Lead accepted" in _titles(rep, lead)


def test_the_rep_declines_with_a_reason_and_the_lead_goes_to_the_pool(client, rep, handed_lead):
    lead, finder = handed_lead
    handover = LeadHandover.objects.get(customer=lead)
    client.force_login(rep)
    url = reverse("intake_admin:handovers")
    client.post(url, {"handover": handover.pk, "decision": "decline", "reason": ""})
    assert LeadHandover.objects.get(pk=handover.pk).status == "pending"  # a reason is needed
    client.post(url, {"handover": handover.pk, "decision": "decline", "reason": "不在我的区域"})
    handover.refresh_from_db()
    lead.refresh_from_db()
    assert (handover.status, handover.reason) == ("declined", "不在我的区域")
    assert (lead.owner, lead.status) == (None, Customer.Status.PUBLIC_POOL)
    assert Notification.objects.filter(user=finder, text__contains="不在我的区域").exists()
    assert "Lead declined" in _titles(finder, lead)
    with pytest.raises(Conflict):
        lead_handover_decide(user=rep, handover=handover, accept=True)


def test_only_the_new_owner_decides(client, other_rep, rep, handed_lead):
    lead, _finder = handed_lead
    handover = LeadHandover.objects.get(customer=lead)
    client.force_login(other_rep)
    response = client.post(
        reverse("intake_admin:handovers"), {"handover": handover.pk, "decision": "accept"}
    )
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        lead_handover_decide(user=other_rep, handover=handover, accept=True)
    assert LeadHandover.objects.get(pk=handover.pk).status == "pending"
