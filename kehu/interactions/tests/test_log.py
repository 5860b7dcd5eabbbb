from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.customers import services as customer_services
from kehu.customers.models import Channel, Customer
from kehu.interactions.models import Interaction
from kehu.interactions.services import interaction_log
from kehu.interactions.timeline import customer_timeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(rep):
    return customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})


def test_log_with_facts_records_them_with_the_interactions_channel(rep, customer):
    exhibition = Channel.objects.get(code="exhibition")
    interaction, created = interaction_log(
        user=rep,
        customer=customer,
        type="exhibition",
        summary="在展会上交换名片",
        channel=exhibition,
        facts={"phones": "13800138000"},
        next_follow_up_on=timezone.localdate() + timedelta(days=3),
    )
    assert created
    change = customer.changes.get(field="phones")
    assert change.channel == exhibition
    assert Customer.objects.get(pk=customer.pk).phones.get().number == "+8613800138000"


def test_bad_fact_rolls_back_the_interaction(rep, customer):
    with pytest.raises(ValidationError):
        interaction_log(
            user=rep, customer=customer, type="visit", summary="拜访", facts={"phones": "123"}
        )
    assert not Interaction.objects.exists()


def test_external_id_makes_delivery_idempotent(customer):
    first, created = interaction_log(
        user=None,
        customer=customer,
        type="phone_call",
        summary="来电",
        direction="inbound",
        source="call_center",
        external_id="call-1",
    )
    again, created_again = interaction_log(
        user=None,
        customer=customer,
        type="phone_call",
        summary="来电",
        direction="inbound",
        source="call_center",
        external_id="call-1",
    )
    assert created
    assert not created_again
    assert first.pk == again.pk


def test_leader_may_not_log(make_user, customer):
    with pytest.raises(PermissionDenied):
        interaction_log(user=make_user(Role.LEADER), customer=customer, type="visit", summary="x")


def test_validation_names_fields(rep, customer):
    with pytest.raises(ValidationError) as exc:
        interaction_log(
            user=rep,
            customer=customer,
            type="fax",
            summary=" ",
            next_follow_up_on=timezone.localdate() - timedelta(days=1),
        )
    assert set(exc.value.message_dict) == {"type", "summary", "next_follow_up_on"}


def test_timeline_merges_interactions_and_changes_newest_first(rep, customer):
    interaction_log(
        user=rep,
        customer=customer,
        type="visit",
        summary="第一次拜访",
        occurred_at=timezone.now() - timedelta(days=2),
    )
    customer_services.customer_update(user=rep, customer=customer, data={"grade": "important"})
    items = customer_timeline(user=rep, customer=customer)
    # the grade change, the creation (both today), then the visit two days ago
    assert [i.kind for i in items] == ["change", "change", "interaction"]
    assert items[0].body == "grade"
    only = customer_timeline(user=rep, customer=customer, kinds={"interaction"})
    assert [i.body for i in only] == ["第一次拜访"]
