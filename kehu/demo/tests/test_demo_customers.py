from collections import Counter
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from kehu.accounts.models import Membership, Role, User
from kehu.core.creditcode import validate_credit_code
from kehu.core.encryption import decrypt
from kehu.core.idcard import parse_id_number
from kehu.core.phones import normalize_phone
from kehu.core.regions import parse_regions
from kehu.customers.models import (
    Channel,
    Contact,
    Customer,
    CustomerChange,
    OrganizationProfile,
    PersonProfile,
    Phone,
)
from kehu.customers.selectors import (
    customer_get_for_user,
    customer_history,
    customer_profile,
    customers_visible_to,
)
from kehu.customers.values import lookup_hash
from kehu.demo import customers_load as demo_load
from kehu.demo.customers import DemoStaff, generate_customers
from kehu.quality.metrics import _phone_prefix, _phone_province, _province_key

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
STAFF = DemoStaff(owners=("a", "b", "c"), service="s", marketing="m", archive="x")


def test_generation_is_deterministic_for_a_seed():
    first = list(generate_customers(50, seed=9, first_id=1, staff=STAFF, now=NOW))
    again = list(generate_customers(50, seed=9, first_id=1, staff=STAFF, now=NOW))
    other = list(generate_customers(50, seed=10, first_id=1, staff=STAFF, now=NOW))
    assert first == again
    assert [c.name for c in first] != [c.name for c in other]


def test_generated_distributions_look_like_a_real_archive():
    customers = list(generate_customers(3000, seed=1, first_id=1, staff=STAFF, now=NOW))
    kinds = Counter(c.kind for c in customers)
    assert 0.2 < kinds["organization"] / len(customers) < 0.3
    surnames = Counter(c.name[0] for c in customers if c.kind == "person")
    assert {s for s, _n in surnames.most_common(5)} <= set("王李张刘陈杨黄赵")
    grades = Counter(c.grade for c in customers)
    assert grades["important"] < grades["special"] < grades["general"]
    assert Counter(c.status for c in customers)["public_pool"] > 100
    assert {c.owner for c in customers} == {"a", "b", "c", None}
    channels = Counter(ch.channel for c in customers for ch in c.changes)
    assert {"visit", "call_center", "business_registry", "purchased_list"} <= set(channels)
    created = [c.created_at for c in customers]
    assert created == sorted(created)
    assert (NOW - created[0]).days >= 700
    assert all(ch.at <= NOW for c in customers for ch in c.changes)
    phones = [p for c in customers for p in [*c.phones, *(n for k in c.contacts for n in k.phones)]]
    assert all(normalize_phone(number) == number for number in phones)


def test_mobiles_mostly_belong_to_the_customers_province_by_the_quality_rule():
    # given the data-quality page's own notion of a number's home area
    customers = list(generate_customers(1000, seed=4, first_id=1, staff=STAFF, now=NOW))
    mobiles = [
        (number, c.region.province)
        for c in customers
        for number in c.phones
        if number.startswith("+861")
    ]
    # when each mobile's area is compared with the province the customer lives in
    areas = [(_phone_province(_phone_prefix(number)), province) for number, province in mobiles]
    matching = sum(area == _province_key(province) for area, province in areas)
    # then most match (5% are numbers from elsewhere, a few of those by chance from there too)
    assert len(mobiles) > 600
    assert 0.92 < matching / len(mobiles) < 0.99


def test_addresses_name_the_district_of_the_region():
    customers = list(generate_customers(60, seed=3, first_id=1, staff=STAFF, now=NOW))
    regions = parse_regions(c.address for c in customers)
    assert [r.adcode for r in regions] == [c.region.adcode for c in customers]


@pytest.mark.django_db
class TestDemoCommand:
    def test_loads_users_of_every_role_and_scoped_customers(self):
        call_command("demo", "--customers", "40")
        assert {u.role for u in User.objects.all()} == set(Role.values) - {Role.ADMIN}
        assert Customer.objects.count() == 40
        assert Customer.objects.filter(kind="organization").exists()
        manager = User.objects.get(username="zhaoqiang")
        colleague = User.objects.get(username="liuyang")
        other_team = User.objects.get(username="chenjing")
        visible = customers_visible_to(manager)
        assert visible.filter(owner=colleague).exists()
        assert not visible.filter(owner=other_team).exists()

    def test_if_empty_does_not_load_twice(self):
        call_command("demo", "--customers", "10")
        call_command("demo", "--customers", "10", "--if-empty")
        assert Customer.objects.count() == 10

    def test_person_profiles_validate_and_agree_with_their_id_numbers(self):
        call_command("demo", "--customers", "200", "--seed", "5")
        people = PersonProfile.objects.select_related("customer")
        assert people.count() > 100
        for person in people:
            parsed = parse_id_number(person.id_number)  # decrypted by the field
            assert parsed.birth_date == person.birth_date
            assert parsed.gender == person.gender
            assert parsed.region_code == person.customer.region_code
            assert person.customer.address.startswith(person.customer.province)
            assert person.id_number_hash == lookup_hash(person.id_number)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number FROM customers_personprofile")
            stored = [row[0] for row in cursor.fetchall()]
        assert all(decrypt(token) and not token[:6].isdigit() for token in stored)  # at rest

    def test_credit_codes_validate_and_are_unique(self):
        call_command("demo", "--customers", "200", "--seed", "5")
        codes = [o.credit_code for o in OrganizationProfile.objects.exclude(credit_code="")]
        assert len(codes) > 20
        assert all(validate_credit_code(code) == code for code in codes)
        assert len(set(codes)) == len(codes)
        contacts = Contact.objects.filter(customer__kind="organization")
        assert contacts.filter(role="decision_maker").count() == OrganizationProfile.objects.count()

    def test_phones_are_normalised_numbers(self):
        call_command("demo", "--customers", "200", "--seed", "5")
        numbers = list(Phone.objects.values_list("number", flat=True))
        assert len(numbers) > 150
        assert all(normalize_phone(number) == number for number in numbers)
        assert Phone.objects.exclude(contact=None).exists()

    def test_history_is_consistent_with_current_values(self):
        call_command("demo", "--customers", "150", "--seed", "5")
        assert not Customer.objects.filter(changes=None).exists()
        kinds = set(CustomerChange.objects.values_list("channel__kind", flat=True))
        assert {Channel.Kind.DIRECT, Channel.Kind.INDIRECT} <= kinds
        for customer in Customer.objects.select_related("person"):
            changes = list(customer.changes.order_by("-changed_at", "-id"))
            latest: dict[str, CustomerChange] = {}
            for change in changes:
                latest.setdefault(change.field, change)
            assert latest["name"].new_value == customer.name
            assert latest["lifecycle_stage"].new_value == customer.lifecycle_stage
            assert latest["address"].new_value == customer.address
            if customer.kind == "person":
                id_change = latest["person.id_number"]
                assert id_change.sensitive
                assert id_change.entries()[0].text("new") == customer.person.id_number
            assert customer.created_at <= customer.updated_at
            assert customer.updated_at == changes[0].changed_at

    def test_public_pool_and_owners_follow_teams(self):
        call_command("demo", "--customers", "300", "--seed", "5")
        pool = Customer.objects.filter(status=Customer.Status.PUBLIC_POOL)
        assert pool.exists()
        assert not pool.exclude(owner=None).exists()
        assert not Customer.objects.filter(owner=None).exclude(status="public_pool").exists()
        teams = dict(Membership.objects.values_list("user_id", "team_id"))
        for owner_id, team_id in Customer.objects.exclude(owner=None).values_list(
            "owner_id", "team_id"
        ):
            assert teams[owner_id] == team_id

    def test_the_same_seed_loads_the_same_archive(self):
        def snapshot() -> list[tuple[str, str]]:
            people = PersonProfile.objects.order_by("customer_id").select_related("customer")
            return [(p.customer.name, p.id_number) for p in people]

        with transaction.atomic():  # load, look, and undo (other apps' rows included)
            call_command("demo", "--customers", "30", "--seed", "11")
            first = snapshot()
            transaction.set_rollback(True)
        call_command("demo", "--customers", "30", "--seed", "11")
        assert snapshot() == first

    def test_loading_in_a_second_process_gives_the_same_rows(self, monkeypatch):
        monkeypatch.setattr(demo_load, "PARALLEL_FROM", 10)
        call_command("demo", "--customers", "25", "--seed", "4")
        assert Customer.objects.count() == 25
        assert CustomerChange.objects.count() > 100

    def test_generated_customers_render_through_the_selectors(self):
        call_command("demo", "--customers", "20", "--seed", "5")
        admin = User.objects.get(username="wangfang")
        for customer_id in Customer.objects.values_list("id", flat=True):
            customer = customer_get_for_user(user=admin, customer_id=customer_id)
            profile = customer_profile(user=admin, customer=customer)
            assert profile.completeness.score > 30
            assert customer_history(user=admin, customer=customer)


@pytest.mark.django_db
def test_demo_is_refused_in_production(settings, monkeypatch):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("demo", "--customers", "3")
    with pytest.raises(CommandError, match="KEHU_DEMO_PASSWORD"):
        call_command("demo", "--customers", "3", "--allow-production")
    assert not User.objects.exists()
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_deploy_check_flags_accounts_with_the_demo_password(make_user):
    from django.core.checks import run_checks

    from kehu.demo.customers import DEMO_PASSWORD_DEFAULT

    def flagged():
        return [m for m in run_checks(include_deployment_checks=True) if m.id == "kehu.W001"]

    make_user(username="safe")
    assert flagged() == []
    user = make_user(username="boss", role="admin")
    user.set_password(DEMO_PASSWORD_DEFAULT)
    user.save()
    assert "boss" in flagged()[0].msg
