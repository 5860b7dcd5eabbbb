"""The test makers build customers as the application does: with their profile."""

import pytest

from kehu.customers.models import Customer
from kehu.customers.tests.factories import CustomerFactory, make_organization, make_person

pytestmark = pytest.mark.django_db


def test_a_factory_customer_has_its_profile(rep):
    person = CustomerFactory.create(owner=rep)
    organization = CustomerFactory.create(kind=Customer.Kind.ORGANIZATION, owner=None)
    assert person.person.customer_id == person.pk
    assert organization.organization.customer_id == organization.pk
    assert person.status == Customer.Status.ACTIVE
    assert organization.status == Customer.Status.PUBLIC_POOL


def test_a_customer_cannot_be_built_without_the_service():
    with pytest.raises(TypeError):
        CustomerFactory.build()


def test_the_makers_record_the_facts_with_their_channel(rep):
    person = make_person(rep, "李娜", phones="13800138000", channel="exhibition")
    organization = make_organization(rep)
    assert person.phones.get().number == "+8613800138000"
    change = person.changes.get(field="name")
    assert change.channel is not None
    assert change.channel.code == "exhibition"
    assert organization.owner == rep
    assert organization.name == "华为技术有限公司"


def test_live_customers_are_neither_archived_nor_merged(rep):
    active, pool, archived, merged = (make_person(rep, name) for name in "甲乙丙丁")
    Customer.objects.filter(pk=pool.pk).update(status=Customer.Status.PUBLIC_POOL, owner=None)
    Customer.objects.filter(pk=archived.pk).update(status=Customer.Status.ARCHIVED)
    Customer.objects.filter(pk=merged.pk).update(status=Customer.Status.MERGED, merged_into=active)
    assert set(Customer.objects.live()) == {active, pool}
    by_status = {c.pk for c in Customer.objects.filter(status__in=Customer.LIVE_STATUSES)}
    assert by_status == {active.pk, pool.pk}
