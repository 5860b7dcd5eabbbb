"""Batch rows into the archive's tables (``kehu.customers.bulk``): the column lists are the
models' own, and a batch of rows reads back through the ORM as written."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, models
from django.utils import timezone

from kehu.core.bulk import bulk_insert, datetime_adapter
from kehu.customers import bulk
from kehu.customers.models import (
    Channel,
    Contact,
    Customer,
    CustomerChange,
    Email,
    OrganizationProfile,
    PersonProfile,
    Phone,
)

pytestmark = pytest.mark.django_db


def _names(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields}


@pytest.mark.parametrize(
    ("model", "columns", "key"),
    [
        (Customer, bulk.CUSTOMER_FIELDS, None),
        (PersonProfile, bulk.PERSON_FIELDS, "customer"),
        (OrganizationProfile, bulk.ORGANIZATION_FIELDS, "customer"),
        (Contact, bulk.CONTACT_FIELDS, None),
        (Phone, bulk.PHONE_FIELDS, None),
        (Email, bulk.EMAIL_FIELDS, None),
        (CustomerChange, bulk.CHANGE_FIELDS, None),
    ],
)
def test_every_column_is_written_or_may_stay_empty(model, columns, key):
    # given the column list a batch writer fills, in the model's own order
    declared = [f.name for f in model._meta.concrete_fields if f.name in columns]
    assert list(columns) == declared
    # then every column it leaves out is one the database fills or that may be NULL
    left_out = _names(model) - set(columns) - {key}
    for name in left_out:
        field = model._meta.get_field(name)
        assert field.null or isinstance(field, models.AutoField), f"{model.__name__}.{name}"


def test_a_column_that_must_be_filled_cannot_be_left_out():
    with pytest.raises(TypeError, match="Customer.name"):
        bulk.columns(Customer, leave_out=("name",))
    with pytest.raises(TypeError, match="no column"):
        bulk.columns(Customer, leave_out=("tags",))


def test_a_row_of_the_wrong_length_is_refused():
    with connection.cursor() as cursor, pytest.raises(ValueError, match="3 values for 4"):
        bulk_insert(cursor, Phone, bulk.PHONE_FIELDS, [(1, None, "+8613800000000")])


def test_a_batch_reads_back_through_the_orm(rep):
    # given one customer's rows, built in the order of the column lists
    now = timezone.now()
    at = datetime_adapter()(now)
    ops = connection.ops
    channel = Channel.objects.first()
    customer_id = (Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    contact_id = (Contact.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    custom = Customer._meta.get_field("custom_values").get_db_prep_save({"vip": 1}, connection)
    row: dict[str, Any] = dict.fromkeys(bulk.CUSTOMER_FIELDS, "")
    row.update(
        id=customer_id, created_at=at, updated_at=at, name="测试批量", kind=Customer.Kind.PERSON,
        lifecycle_stage=Customer.Stage.LEAD, grade=Customer.Grade.GENERAL,
        status=Customer.Status.ACTIVE,
        owner=rep.pk, team=None, source_channel=channel.pk if channel else None, city="杭州市",
        custom_values=custom, archived_at=None,
    )  # fmt: skip
    person: dict[str, Any] = dict.fromkeys(bulk.PERSON_FIELDS, "")
    person.update(birth_date=ops.adapt_datefield_value(date(1990, 5, 1)), height_cm=172,
                  weight_kg=None, employer="西湖茶厂")  # fmt: skip
    change: dict[str, Any] = dict.fromkeys(bulk.CHANGE_FIELDS)
    change.update(customer=customer_id, field="name", old_value="", new_value="测试批量",
                  sensitive=False, changed_at=at, note="批量")  # fmt: skip
    contact: dict[str, Any] = dict.fromkeys(bulk.CONTACT_FIELDS, "")
    contact.update(id=contact_id, created_at=at, updated_at=at, customer=customer_id,
                   name="王经理", role=Contact.Role.OTHER, birthday=None)  # fmt: skip
    tags = bulk.tag_ids(["批量标签"])
    rows = bulk.CustomerRows(
        customers=[tuple(row[n] for n in bulk.CUSTOMER_FIELDS)],
        people=[(customer_id, *(person[n] for n in bulk.PERSON_FIELDS))],
        organizations=[],
        contacts=[tuple(contact[n] for n in bulk.CONTACT_FIELDS)],
        phones=[(customer_id, None, "+8613800001111", ""),
                (customer_id, contact_id, "+8613900002222", "")],
        emails=[(customer_id, None, "pi@example.cn")],
        tags=[(customer_id, tags["批量标签"])],
        shares=[],
        changes=[tuple(change[n] for n in bulk.CHANGE_FIELDS)],
    )  # fmt: skip

    # when they go in as one batch
    with connection.cursor() as cursor:
        bulk.customer_rows_insert(cursor, rows)

    # then the ORM reads every value back in its own field
    customer = Customer.objects.select_related("person").get(pk=customer_id)
    assert (customer.name, customer.owner_id, customer.city) == ("测试批量", rep.pk, "杭州市")
    assert customer.custom_values == {"vip": 1}
    assert customer.created_at == now
    assert customer.person.birth_date == date(1990, 5, 1)
    assert (customer.person.height_cm, customer.person.employer) == (172, "西湖茶厂")
    assert customer.merged_into_id is None
    assert customer.reviewed_at is None
    assert list(customer.tags.values_list("name", flat=True)) == ["批量标签"]
    assert Contact.objects.get(pk=contact_id).name == "王经理"
    assert sorted(Phone.objects.filter(customer=customer).values_list("number", "contact")) == [
        ("+8613800001111", None),
        ("+8613900002222", contact_id),
    ]
    assert customer.emails.get().address == "pi@example.cn"
    assert customer.changes.get().note == "批量"


def test_an_organization_profile_row(rep):
    customer = Customer.objects.create(name="批量公司", kind=Customer.Kind.ORGANIZATION)
    org: dict[str, Any] = dict.fromkeys(bulk.ORGANIZATION_FIELDS, "")
    org.update(registered_capital=connection.ops.adapt_decimalfield_value(Decimal("100.50"), 14, 2),
               founded_on=None, credit_limit=None, industry="茶叶")  # fmt: skip
    with connection.cursor() as cursor:
        bulk_insert(cursor, OrganizationProfile, ("customer", *bulk.ORGANIZATION_FIELDS),
                    [(customer.pk, *(org[n] for n in bulk.ORGANIZATION_FIELDS))])  # fmt: skip
    profile = OrganizationProfile.objects.get(pk=customer.pk)
    assert (profile.registered_capital, profile.industry) == (Decimal("100.50"), "茶叶")
