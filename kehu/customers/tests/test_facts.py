"""Marketers and service agents record facts on existing customers (with the channel they came
through, kept in the archive's history), without the right to change the record: not the
archive's own fields, nor sensitive fields they may not reveal; a leader records nothing."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kehu.accounts.models import Role
from kehu.customers import services
from kehu.customers.models import Channel, Customer

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def customer(rep):
    return services.customer_create(user=rep, kind="person", data={"name": "王磊"})


@pytest.mark.parametrize("role", [Role.MARKETER, Role.SERVICE_AGENT])
def test_a_marketer_or_agent_records_facts_with_their_channel(client, make_user, customer, role):
    # given
    finder = make_user(role)
    client.force_login(finder)
    url = reverse("customers:group_edit", args=[customer.pk, "contact_info"])
    # the 360° page offers to edit the contact information, not the overview
    page = client.get(customer.get_absolute_url()).text
    assert 'data-testid="edit-contact_info"' in page
    assert 'data-testid="edit-archive"' not in page
    # when
    response = client.post(
        url,
        {"phones": "139 1111 2222", "emails": "wanglei@example.com", "address": "",
         "change_channel": "after_sales", "change_note": "售后回访时客户提供"},
        **HTMX,
    )  # fmt: skip
    # then
    assert response.status_code == 200
    change = customer.changes.get(field="phones")
    assert change.changed_by == finder
    assert change.channel.code == "after_sales"
    assert change.note == "售后回访时客户提供"
    # the owner is unchanged: recording a fact is not taking the customer
    customer.refresh_from_db()
    assert customer.owner.username == "rep1"


@pytest.mark.parametrize("role", [Role.MARKETER, Role.SERVICE_AGENT])
def test_the_archives_own_fields_are_refused(client, make_user, customer, role):
    finder = make_user(role)
    client.force_login(finder)
    url = reverse("customers:group_edit", args=[customer.pk, "archive"])
    assert client.get(url).status_code == 403
    with pytest.raises(PermissionDenied, match="grade"):
        services.customer_update(user=finder, customer=customer, data={"grade": "important"})
    customer.refresh_from_db()
    assert customer.grade == Customer.Grade.GENERAL
    assert not customer.changes.filter(field="grade").exists()


def test_a_sensitive_field_they_may_not_reveal_is_refused(make_user, customer):
    marketer = make_user(Role.MARKETER)
    with pytest.raises(PermissionDenied, match="ID number"):
        services.customer_update(
            user=marketer, customer=customer, data={"person.id_number": "110101199003070011"}
        )
    assert not customer.changes.filter(field="person.id_number").exists()


def test_the_api_records_a_fact_with_its_channel(client, make_user, customer):
    agent = make_user(Role.SERVICE_AGENT)
    client.force_login(agent)
    response = client.patch(
        f"/api/v1/customers/{customer.pk}",
        {"fields": {"person.employer": "腾讯"}, "channel": "call_center"},
        content_type="application/json",
    )
    assert response.status_code == 200
    change = customer.changes.get(field="person.employer")
    assert (change.changed_by, change.channel.code) == (agent, "call_center")
    refused = client.patch(
        f"/api/v1/customers/{customer.pk}",
        {"fields": {"lifecycle_stage": "customer"}},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_a_leader_records_no_facts(client, make_user, customer):
    leader = make_user(Role.LEADER)
    client.force_login(leader)
    url = reverse("customers:group_edit", args=[customer.pk, "contact_info"])
    assert client.get(url).status_code == 403
    with pytest.raises(PermissionDenied):
        services.customer_update(user=leader, customer=customer, data={"address": "北京"})


def test_no_facts_on_an_archived_customer(make_user, customer, rep):
    services.customer_archive(user=rep, customer=customer)
    with pytest.raises(PermissionDenied):
        services.customer_update(
            user=make_user(Role.MARKETER),
            customer=customer,
            data={"address": "北京"},
            channel=Channel.objects.get(code="marketing_event"),
        )
