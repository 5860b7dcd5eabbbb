"""The archive's services and selectors: create, update, validation, history, as_of,
encryption, masking, reveal, custom fields, completeness and scope."""

import hashlib
from datetime import timedelta
from functools import partial

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.core.models import AuditEvent
from kehu.customers import services
from kehu.customers.models import Channel, Customer, CustomerChange, PersonProfile
from kehu.customers.selectors import (
    customer_completeness,
    customer_get_for_user,
    customer_history,
    customer_profile,
)
from kehu.customers.tests import factories
from kehu.customers.values import lookup_hash

pytestmark = pytest.mark.django_db

ID_MALE_1990 = "110101199003070011"  # verified in kehu/core/tests
ID_FEMALE_1949 = "11010519491231002X"


def channel(code):
    return Channel.objects.get(code=code)


make_person = partial(factories.make_person, channel="exhibition")


def test_create_person_records_every_fact_with_its_channel(rep):
    customer = make_person(rep, phones="138 0013 8000", **{"person.employer": "华为"})
    assert customer.owner == rep
    assert customer.status == Customer.Status.ACTIVE
    fields = {c.field: c for c in customer.changes.all()}
    assert {"name", "phones", "person.employer"} <= set(fields)
    assert fields["person.employer"].channel is not None
    assert fields["person.employer"].channel.code == "exhibition"
    assert fields["person.employer"].changed_by == rep
    assert customer.phones.get().number == "+8613800138000"


def test_invalid_input_saves_nothing_and_names_every_field(rep):
    with pytest.raises(ValidationError) as exc:
        make_person(
            rep,
            phones="12345",
            emails="not-an-email",
            **{"person.id_number": "110101199003070012", "person.height_cm": "tall"},
        )
    assert set(exc.value.message_dict) == {
        "phones",
        "emails",
        "person.id_number",
        "person.height_cm",
    }
    assert not Customer.objects.exists()
    assert not CustomerChange.objects.exists()


def test_id_number_fills_birth_date_and_gender(rep):
    customer = make_person(rep, **{"person.id_number": ID_FEMALE_1949})
    profile = PersonProfile.objects.get(customer=customer)
    assert profile.gender == "female"
    assert str(profile.birth_date) == "1949-12-31"


def test_id_number_contradicting_the_profile_is_refused(rep):
    customer = make_person(rep, **{"person.gender": "female"})
    with pytest.raises(ValidationError) as exc:
        services.customer_update(
            user=rep, customer=customer, data={"person.id_number": ID_MALE_1990}
        )
    assert "person.id_number" in exc.value.message_dict


def test_gender_contradicting_a_stored_id_number_is_refused(rep):
    customer = make_person(rep, **{"person.id_number": ID_MALE_1990})
    with pytest.raises(ValidationError) as exc:
        services.customer_update(user=rep, customer=customer, data={"person.gender": "female"})
    assert "person.gender" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.customer_update(
            user=rep, customer=customer, data={"person.birth_date": "1991-03-07"}
        )
    assert "person.birth_date" in exc.value.message_dict


def test_sensitive_values_are_encrypted_in_the_database(rep):
    customer = make_person(rep, **{"person.id_number": ID_MALE_1990, "person.income_band": "2万+"})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, income_band, id_number_hash FROM customers_personprofile"
            " WHERE customer_id = %s",
            [customer.pk],
        )
        id_raw, income_raw, id_hash = cursor.fetchone()
        cursor.execute(
            "SELECT old_value, new_value FROM customers_customerchange WHERE field = %s",
            ["person.id_number"],
        )
        history_raw = cursor.fetchone()
    assert ID_MALE_1990 not in id_raw
    assert "2万" not in income_raw
    assert ID_MALE_1990 not in "".join(history_raw)
    # exact-match lookup through the keyed hash, without decrypting
    assert PersonProfile.objects.get(id_number_hash=lookup_hash(ID_MALE_1990)).customer == customer
    # the stored hash is keyed: a plain SHA-256 of the number (guessable from the number
    # space) does not find it
    assert id_hash == lookup_hash(ID_MALE_1990)
    assert id_hash != hashlib.sha256(ID_MALE_1990.encode()).hexdigest()


def test_sensitive_fields_are_masked_for_everyone(rep, make_user):
    customer = make_person(rep, **{"person.id_number": ID_MALE_1990})
    for user in (rep, make_user(Role.ARCHIVE_ADMIN), make_user(Role.LEADER)):
        view = customer_profile(user=user, customer=customer).field("person.id_number")
        assert view.text == "110101********0011"
        assert view.masked


def test_reveal_is_allowed_by_role_and_audited(rep, make_user):
    customer = make_person(
        rep, **{"person.id_number": ID_MALE_1990, "person.home_address": "北京市朝阳区建国路1号"}
    )
    archivist = make_user(Role.ARCHIVE_ADMIN)
    assert customer_profile(user=archivist, customer=customer).field("person.id_number").can_reveal
    value = services.customer_field_reveal(
        user=archivist, customer=customer, field="person.id_number"
    )
    assert value == ID_MALE_1990
    event = AuditEvent.objects.get(action="reveal")
    assert event.actor == archivist
    assert event.detail["field"] == "person.id_number"
    assert event.object_id == str(customer.pk)
    # a rep may reveal the home address of their own customer, not the ID number
    assert services.customer_field_reveal(user=rep, customer=customer, field="person.home_address")
    with pytest.raises(PermissionDenied):
        services.customer_field_reveal(user=rep, customer=customer, field="person.id_number")
    assert AuditEvent.objects.filter(action="reveal").count() == 2


def test_reveal_of_a_non_sensitive_field_is_refused(rep):
    customer = make_person(rep)
    with pytest.raises(ValidationError):
        services.customer_field_reveal(user=rep, customer=customer, field="name")


def test_history_keeps_old_values_and_masks_sensitive_ones(rep):
    customer = make_person(rep, **{"person.employer": "华为", "person.id_number": ID_MALE_1990})
    services.customer_update(
        user=rep, customer=customer, data={"person.employer": "腾讯"}, channel=channel("visit")
    )
    history = customer_history(user=rep, customer=customer, field="person.employer")
    assert [(h.old, h.new) for h in history] == [("华为", "腾讯"), ("", "华为")]
    assert history[0].change.channel == channel("visit")
    id_entry = customer_history(user=rep, customer=customer, field="person.id_number")[0]
    assert id_entry.new == "110101********0011"
    assert not id_entry.can_reveal
    assert customer_history(user=rep, customer=customer, channel="visit")[0].label == "employer"


def test_unchanged_values_write_no_history(rep):
    customer = make_person(rep, **{"person.employer": "华为"})
    before = CustomerChange.objects.count()
    assert (
        services.customer_update(user=rep, customer=customer, data={"person.employer": "华为"})
        == []
    )
    assert CustomerChange.objects.count() == before


def test_as_of_shows_the_archive_as_it_stood(rep):
    customer = make_person(rep, **{"person.employer": "华为"})
    CustomerChange.objects.filter(customer=customer).update(
        changed_at=timezone.now() - timedelta(days=10)
    )
    Customer.objects.filter(pk=customer.pk).update(created_at=timezone.now() - timedelta(days=10))
    customer.refresh_from_db()
    services.customer_update(user=rep, customer=customer, data={"person.employer": "腾讯"})
    customer = customer_get_for_user(user=rep, customer_id=customer.pk)
    five_days_ago = timezone.localdate() - timedelta(days=5)
    past = customer_profile(user=rep, customer=customer, as_of=five_days_ago)
    assert past.field("person.employer").text == "华为"
    assert customer_profile(user=rep, customer=customer).field("person.employer").text == "腾讯"
    with pytest.raises(Http404):
        customer_profile(
            user=rep, customer=customer, as_of=timezone.localdate() - timedelta(days=30)
        )


def test_custom_fields_are_validated_stored_and_sensitive_ones_encrypted(rep, admin_user):
    services.custom_field_save(
        user=admin_user,
        code="wine",
        label="葡萄酒偏好",
        field_type="choice",
        choices=["红", "白"],
        applies_to="person",
    )
    services.custom_field_save(
        user=admin_user,
        code="stores",
        label="门店数",
        field_type="number",
        applies_to="organization",
    )
    services.custom_field_save(
        user=admin_user,
        code="health",
        label="健康状况",
        field_type="text",
        sensitive=True,
    )
    customer = make_person(rep, **{"custom.wine": "红", "custom.health": "良好"})
    assert customer.custom_values == {"wine": "红"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT custom_sensitive FROM customers_customer")
        assert "良好" not in cursor.fetchone()[0]
    view = customer_profile(user=rep, customer=customer)
    assert view.field("custom.wine").text == "红"
    assert view.field("custom.health").masked
    with pytest.raises(ValidationError) as exc:
        services.customer_update(user=rep, customer=customer, data={"custom.wine": "啤酒"})
    assert "custom.wine" in exc.value.message_dict
    with pytest.raises(ValidationError):  # an organization field on a person
        services.customer_update(user=rep, customer=customer, data={"custom.stores": "3"})


def test_only_admins_define_custom_fields(rep):
    with pytest.raises(PermissionDenied):
        services.custom_field_save(user=rep, code="x", label="X", field_type="text")


def test_completeness_counts_the_fields_that_matter(rep):
    customer = make_person(rep)
    low = customer_completeness(customer)
    services.customer_update(
        user=rep,
        customer=customer,
        data={
            "phones": "13800138000",
            "person.id_number": ID_MALE_1990,
            "person.employer": "华为",
            "person.position": "经理",
        },
    )
    high = customer_completeness(Customer.objects.get(pk=customer.pk))
    assert high.score > low.score
    assert "employer" in low.missing
    assert "employer" not in high.missing


def test_archive_and_restore_keep_history(rep):
    customer = make_person(rep)
    services.customer_archive(user=rep, customer=customer)
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ARCHIVED
    services.customer_restore(user=rep, customer=customer)
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ACTIVE
    assert [c.new_value for c in customer.changes.filter(field="status")] == ["active", "archived"]


def test_assign_and_share(rep, other_rep):
    customer = make_person(rep)
    services.customer_share(user=rep, customer=customer, users=[other_rep])
    assert list(customer.shared_with.all()) == [other_rep]
    services.customer_assign(user=rep, customer=customer, owner=None)
    customer.refresh_from_db()
    assert customer.owner is None
    assert customer.status == Customer.Status.PUBLIC_POOL


def test_scope_applies_to_writes(rep, other_rep, make_user):
    customer = make_person(rep)
    with pytest.raises(PermissionDenied):
        services.customer_update(user=other_rep, customer=customer, data={"name": "李四"})
    with pytest.raises(PermissionDenied):
        services.customer_update(user=make_user(Role.LEADER), customer=customer, data={"name": "x"})
    with pytest.raises(PermissionDenied):
        services.customer_create(user=make_user(Role.LEADER), kind="person", data={"name": "x"})


def test_organization_with_credit_code_and_contacts(rep):
    org = services.customer_create(
        user=rep,
        kind="organization",
        data={
            "name": "杭州宏达机械有限公司",
            "organization.credit_code": "91350100M000100Y43",
            "address": "浙江省杭州市西湖区文三路90号",
        },
    )
    assert org.province == "浙江省"
    assert org.city == "杭州市"
    contact = services.contact_save(
        user=rep,
        customer=org,
        data={"name": "王经理", "role": "purchaser", "phones": ["0571-88886666"]},
    )
    assert contact.phones.get().number.startswith("+86571")
    with pytest.raises(ValidationError) as exc:
        services.customer_create(
            user=rep,
            kind="organization",
            data={"name": "重复公司", "organization.credit_code": "91350100M000100Y43"},
        )
    assert "organization.credit_code" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.customer_create(
            user=rep,
            kind="organization",
            data={"name": "坏码公司", "organization.credit_code": "91350100M000100Y44"},
        )
