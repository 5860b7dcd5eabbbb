"""The call-center webhook: ``POST /api/v1/integrations/calls``."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.accounts.models import Role, Team
from kehu.accounts.tests.factories import MembershipFactory
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer, CustomerChange
from kehu.intake import services
from kehu.intake.models import CallEvent, LeadAssignment
from kehu.intake.tests.conftest import token_for
from kehu.interactions.models import Interaction, Notification

pytestmark = pytest.mark.django_db

URL = "/api/v1/integrations/calls"


def event(call_id="c-1", caller="+86 138-0013-8000", **overrides):
    start = timezone.now() - timedelta(minutes=10)
    body = {
        "call_id": call_id,
        "caller": caller,
        "callee": "400-800-8888",
        "direction": "inbound",
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(seconds=200)).isoformat(),
        "agent": "8001",
        "recording_url": "https://rec.example.com/c-1.mp3",
        "ivr_path": "1>3",
        "notes": "咨询产品价格",
    }
    body.update(overrides)
    return body


def post(client, token, body):
    return client.post(
        URL, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.mark.parametrize("caller", ["+86 138-0013-8000", "13800138000", "008613800138000"])
def test_known_mobile_in_any_format_lands_on_the_customers_timeline(
    client, agent_token, person, rep, caller
):
    # when
    response = post(client, agent_token, event(caller=caller))

    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["match"] == "customer"
    assert body["customer_id"] == person.pk
    assert body["number"] == "+8613800138000"
    assert body["duplicate"] is False
    interaction = Interaction.objects.get(pk=body["interaction_id"])
    assert interaction.customer == person
    assert interaction.type == Interaction.Type.PHONE_CALL
    assert interaction.direction == "inbound"
    assert interaction.source == Interaction.Source.CALL_CENTER
    assert interaction.external_id == "c-1"
    assert interaction.channel is not None
    assert interaction.channel.code == "call_center"
    assert interaction.duration_seconds == 200
    assert interaction.user is None  # agent 8001 is no Kehu user: logged by the system
    assert "咨询产品价格" in interaction.summary
    assert interaction.details["recording_url"] == "https://rec.example.com/c-1.mp3"
    assert interaction.details["ivr_path"] == "1>3"
    # the owner hears of it at once
    notification = Notification.objects.get(user=rep)
    assert "张伟" in notification.text
    assert notification.url == person.get_absolute_url()


def test_landline_with_area_code_matches(client, agent_token, company):
    response = post(client, agent_token, event(caller="010-12345678"))
    assert response.status_code == 201
    assert response.json()["customer_id"] == company.pk
    assert response.json()["match"] == "customer"


def test_contact_phone_matches_the_contacts_organization(client, agent_token, company, other_rep):
    response = post(client, agent_token, event(caller="139 0013 9000"))

    assert response.status_code == 201
    body = response.json()
    assert body["match"] == "contact"
    assert body["customer_id"] == company.pk
    interaction = Interaction.objects.get(pk=body["interaction_id"])
    assert interaction.contact is not None
    assert interaction.contact.name == "李娜"
    assert "李娜" in Notification.objects.get(user=other_rep).text


def test_outbound_call_matches_the_callee(client, agent_token, person):
    body = event(caller="400-800-8888", callee="13800138000", direction="outbound")
    response = post(client, agent_token, body)
    assert response.status_code == 201
    assert response.json()["customer_id"] == person.pk
    assert Interaction.objects.get().direction == "outbound"


def test_agent_that_is_a_user_is_recorded_as_who(client, agent_token, make_user, person, rep):
    desk = make_user(Role.SERVICE_AGENT, username="desk7")
    response = post(client, agent_token, event(agent="desk7"))
    assert response.status_code == 201
    assert Interaction.objects.get().user == desk


def test_agent_is_never_an_integration_account_or_administrator(
    client, agent_token, person, make_user
):
    make_user(Role.ADMIN, username="boss")
    post(client, agent_token, event(call_id="c-a", agent="boss"))
    post(client, agent_token, event(call_id="c-b", agent="callcenter"))
    assert list(Interaction.objects.values_list("user", flat=True)) == [None, None]


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.MARKETER, Role.SERVICE_AGENT, Role.ADMIN])
def test_a_personal_token_is_refused_and_audited(client, make_user, person, role):
    # given: a person's own token, of a role that may or may not log contacts
    user = make_user(role, username="someone")
    # when
    response = post(client, token_for(user), event(agent="rep1"))
    # then: nothing written, nothing learnt, the attempt audited
    assert response.status_code == 403
    assert "customer_id" not in response.json()
    assert not Interaction.objects.exists()
    assert Customer.objects.count() == 1
    assert AuditEvent.objects.filter(action="denied", actor=user, object_type="call").exists()


def test_every_event_is_audited(client, agent_token, agent, person):
    post(client, agent_token, event())
    post(client, agent_token, event())  # a repeated delivery too
    events = AuditEvent.objects.filter(action="call_event", actor=agent)
    assert events.count() == 2
    assert {e.object_id for e in events} == {str(person.pk)}
    assert {e.detail["call_id"] for e in events} == {"c-1"}


def test_ids_outside_the_integration_accounts_scope_are_not_returned(client, make_user, person):
    # an integration account that may only see its own customers (a sales rep's scope)
    robot = make_user(Role.SALES_REP, username="robot", is_integration=True)
    response = post(client, token_for(robot), event())
    assert response.status_code == 201
    body = response.json()
    assert body["customer_id"] is None
    assert body["interaction_id"] is None


def test_repeated_delivery_is_idempotent(client, agent_token, person):
    first = post(client, agent_token, event())
    again = post(client, agent_token, event(notes="changed"))

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["interaction_id"] == first.json()["interaction_id"]
    assert Interaction.objects.count() == 1
    assert Notification.objects.count() == 1
    assert CallEvent.objects.count() == 1


def test_repeated_delivery_of_an_unknown_number_creates_one_lead(client, agent_token):
    post(client, agent_token, event(caller="13912345678"))
    post(client, agent_token, event(caller="13912345678"))
    assert Customer.objects.count() == 1
    assert Interaction.objects.count() == 1


def test_unknown_number_becomes_a_lead_with_the_number_as_first_fact(client, agent_token):
    # given no assignment rule: the lead goes to the public pool
    response = post(client, agent_token, event(caller="139-1234-5678"))

    assert response.status_code == 201
    body = response.json()
    assert body["match"] == "new_lead"
    lead = Customer.objects.get(pk=body["customer_id"])
    assert lead.lifecycle_stage == Customer.Stage.LEAD
    assert lead.source_channel is not None
    assert lead.source_channel.code == "call_center"
    assert lead.owner is None
    assert lead.status == Customer.Status.PUBLIC_POOL
    assert list(lead.phones.values_list("number", flat=True)) == ["+8613912345678"]
    phone_fact = CustomerChange.objects.get(customer=lead, field="phones")
    assert phone_fact.channel is not None
    assert phone_fact.channel.code == "call_center"
    assert phone_fact.new_value == "+8613912345678"
    assert Interaction.objects.get().customer == lead
    # a second call from the new lead's number is now a known customer
    again = post(client, agent_token, event(call_id="c-2", caller="13912345678"))
    assert again.json()["match"] == "customer"
    assert again.json()["customer_id"] == lead.pk


def test_round_robin_within_a_team(client, agent_token, make_user):
    # given a team of two reps and a leader (who may not own customers)
    team = Team.objects.create(name="电销组")
    first, second = make_user(username="rr-a"), make_user(username="rr-b")
    leader = make_user(Role.LEADER, username="rr-boss")
    for user in (first, second, leader):
        MembershipFactory(team=team, user=user)
    LeadAssignment.objects.create(pk=1, rule=LeadAssignment.Rule.ROUND_ROBIN, team=team)

    # when three unknown numbers call
    owners = []
    for n, number in enumerate(["13911110001", "13911110002", "13911110003"]):
        body = post(client, agent_token, event(call_id=f"rr-{n}", caller=number)).json()
        owners.append(Customer.objects.get(pk=body["customer_id"]).owner)

    # then the two reps take turns, and each hears of the lead
    assert owners == [first, second, first]
    assert Customer.objects.filter(team=team).count() == 3
    assert Notification.objects.filter(user=first).count() == 2
    assert "New lead" in Notification.objects.filter(user=second).get().text


def test_fixed_user_rule(client, agent_token, make_user):
    closer = make_user(username="closer")
    LeadAssignment.objects.create(pk=1, rule=LeadAssignment.Rule.FIXED_USER, user=closer)
    body = post(client, agent_token, event(caller="13911110009")).json()
    lead = Customer.objects.get(pk=body["customer_id"])
    assert lead.owner == closer
    assert lead.status == Customer.Status.ACTIVE
    assert Notification.objects.get().user == closer


def test_assignment_rule_is_validated_and_admin_only(admin_user, rep):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError) as exc:
        services.lead_assignment_save(user=admin_user, rule="round_robin")
    assert "team" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.lead_assignment_save(user=rep, rule="public_pool")


def test_token_of_a_leader_is_refused(client, make_user, person):
    leader = make_user(Role.LEADER, username="boss", is_integration=True)
    response = post(client, token_for(leader), event())
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("header", ["Bearer kehu_not-a-token", "", "Bearer "])
def test_unknown_or_missing_token_is_refused(client, person, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(URL, event(), content_type="application/json", **extra)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_session_is_not_enough(client, rep, person):
    client.force_login(rep)
    response = client.post(URL, event(), content_type="application/json")
    assert response.status_code == 401


def test_validation_errors_use_the_standard_body(client, agent_token):
    response = post(
        client,
        agent_token,
        event(caller="12345", direction="sideways", recording_url="ftp://x", call_id=""),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    fields = {e["field"] for e in body["errors"]}
    assert {"direction", "call_id"} <= fields
    assert not CallEvent.objects.exists()


def test_bad_number_and_times_are_422(client, agent_token):
    start = timezone.now()
    response = post(
        client,
        agent_token,
        event(
            caller="12345",
            started_at=start.isoformat(),
            ended_at=(start - timedelta(minutes=1)).isoformat(),
            recording_url="javascript:alert(1)",
        ),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"caller", "ended_at", "recording_url"}
    assert not CallEvent.objects.exists()
    assert not Customer.objects.exists()


def test_a_known_call_takes_few_queries(client, agent_token, person):
    post(client, agent_token, event(call_id="warm-up"))
    with CaptureQueriesContext(connection) as queries:
        response = post(client, agent_token, event(call_id="c-9"))
    assert response.status_code == 201
    # token, receipt (look, insert), channel, phone, agent, interaction (look, insert), receipt
    # update, notification, audit; savepoints aside
    assert len(statements(queries)) <= 11, "\n".join(statements(queries))
    with CaptureQueriesContext(connection) as queries:
        post(client, agent_token, event(call_id="c-9"))
    assert len(statements(queries)) <= 3  # token, receipt, audit


def statements(queries):
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
