"""The public pool: the return rule per grade with its warning, the claim limit, and that
opening the pool to reps shows them nothing they should not see."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.customers import services as customer_services
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_to
from kehu.interactions.models import Notification, Reminder
from kehu.interactions.services import interaction_log
from kehu.pool import services
from kehu.pool.models import PoolClaim
from kehu.pool.selectors import pool_policy_get

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def policy(admin_user):
    return services.pool_policy_save(
        user=admin_user,
        enabled=True,
        days_important=0,
        days_special=60,
        days_general=30,
        warning_days=7,
        claim_limit=2,
    )


def _customer(rep, name="张伟", grade="general", phone=""):
    data = {"name": name, "grade": grade}
    if phone:
        data["phones"] = phone
    return customer_services.customer_create(user=rep, kind="person", data=data)


def _pool(admin_user, rep, n, prefix="公海"):
    customers = [_customer(rep, f"{prefix}{i}", phone=f"1380013800{i}") for i in range(n)]
    for c in customers:
        customer_services.customer_assign(user=admin_user, customer=c, owner=None)
    return customers


def test_general_customer_returns_after_30_days_with_a_warning_first(rep, policy):
    with time_machine.travel(START, tick=False):
        customer = _customer(rep)
    # 24 days later: warned (returns in 6 days), still owned
    with time_machine.travel(START + timedelta(days=24), tick=False):
        result = services.pool_recycle()
        assert (result.returned, result.warned) == (0, 1)
        warning = Reminder.objects.get(kind="pool_warning")
        assert warning.user == rep
        assert warning.due_on == timezone.localdate()
        assert "2026-02-04" in warning.text
        assert services.pool_recycle().warned == 0  # idempotent
    # 31 days later: back in the pool, in history, owner told, warning closed
    with time_machine.travel(START + timedelta(days=31), tick=False):
        result = services.pool_recycle()
    assert result.returned == 1
    customer.refresh_from_db()
    assert customer.owner is None
    assert customer.status == Customer.Status.PUBLIC_POOL
    change = customer.changes.get(field="owner")
    assert (change.old_value, change.new_value, change.changed_by) == ("rep1", "", None)
    assert Notification.objects.get(user=rep).url == customer.get_absolute_url()
    assert Reminder.objects.get(kind="pool_warning").done_at is not None


def test_a_follow_up_resets_the_clock(rep, policy):
    with time_machine.travel(START, tick=False):
        customer = _customer(rep)
    with time_machine.travel(START + timedelta(days=20), tick=False):
        interaction_log(user=rep, customer=customer, type="phone_call", summary="回访")
    with time_machine.travel(START + timedelta(days=35), tick=False):
        assert services.pool_recycle().returned == 0
    with time_machine.travel(START + timedelta(days=51), tick=False):
        assert services.pool_recycle().returned == 1


def test_someone_elses_interaction_does_not_count_as_the_owners_follow_up(rep, make_user, policy):
    agent = make_user(Role.SERVICE_AGENT)
    with time_machine.travel(START, tick=False):
        customer = _customer(rep)
    with time_machine.travel(START + timedelta(days=20), tick=False):
        interaction_log(user=agent, customer=customer, type="complaint", summary="投诉")
    with time_machine.travel(START + timedelta(days=31), tick=False):
        assert services.pool_recycle().returned == 1


def test_days_per_grade_and_zero_means_never(rep, policy):
    with time_machine.travel(START, tick=False):
        important = _customer(rep, "重要客户", grade="important")
        special = _customer(rep, "特殊客户", grade="special")
    with time_machine.travel(START + timedelta(days=45), tick=False):
        services.pool_recycle()
    special.refresh_from_db()
    assert special.owner == rep  # 60 days for special
    with time_machine.travel(START + timedelta(days=400), tick=False):
        services.pool_recycle()
    important.refresh_from_db()
    special.refresh_from_db()
    assert important.owner == rep
    assert special.owner is None


def test_a_customer_handed_over_counts_from_the_hand_over(rep, other_rep, admin_user, policy):
    with time_machine.travel(START, tick=False):
        customer = _customer(rep)
    with time_machine.travel(START + timedelta(days=25), tick=False):
        customer_services.customer_assign(user=admin_user, customer=customer, owner=other_rep)
    with time_machine.travel(START + timedelta(days=40), tick=False):
        assert services.pool_recycle().returned == 0


def test_disabled_policy_moves_nothing(rep, admin_user):
    assert not pool_policy_get().enabled
    with time_machine.travel(START, tick=False):
        _customer(rep)
    with time_machine.travel(START + timedelta(days=400), tick=False):
        assert services.pool_recycle().returned == 0


def test_claim_up_to_the_daily_limit(client, rep, other_rep, admin_user, policy):
    customers = _pool(admin_user, rep, 3)
    client.force_login(other_rep)
    for c in customers[:2]:
        response = client.post(f"/api/v1/pool/{c.pk}/claim")
        assert response.status_code == 200
    assert response.json()["claims_left_today"] == 0
    response = client.post(f"/api/v1/pool/{customers[2].pk}/claim")
    assert response.status_code == 409
    assert "most allowed" in response.json()["message"]
    # the claims are in the history, by the claimer
    change = customers[0].changes.filter(field="owner").order_by("-changed_at", "-id").first()
    assert (change.new_value, change.changed_by) == ("rep2", other_rep)
    # a new day, a new allowance
    PoolClaim.objects.update(claimed_at=timezone.now() - timedelta(days=1))
    assert client.post(f"/api/v1/pool/{customers[2].pk}/claim").status_code == 200


def test_claiming_a_customer_no_longer_in_the_pool_is_404(
    client, rep, other_rep, admin_user, policy
):
    customer = _pool(admin_user, rep, 1)[0]
    client.force_login(rep)
    assert client.post(f"/api/v1/pool/{customer.pk}/claim").status_code == 200
    client.force_login(other_rep)
    assert client.post(f"/api/v1/pool/{customer.pk}/claim").status_code == 404


def test_leader_sees_the_pool_but_may_not_claim(client, make_user, rep, admin_user, policy):
    customer = _pool(admin_user, rep, 1)[0]
    client.force_login(make_user(Role.LEADER))
    assert client.get("/api/v1/pool/").status_code == 200
    assert client.post(f"/api/v1/pool/{customer.pk}/claim").status_code == 403


def test_pool_list_masks_phones_and_never_shows_owned_customers(
    client, rep, other_rep, admin_user, policy
):
    # given an owned customer of rep1 and two pool customers
    owned = _customer(rep, "私有客户", phone="13900139000")
    _pool(admin_user, rep, 2)
    client.force_login(other_rep)
    # when rep2 browses the pool
    rows = client.get("/api/v1/pool/").json()["results"]
    # then only pool customers, with masked phones
    assert sorted(r["name"] for r in rows) == ["公海0", "公海1"]
    assert all("****" in p for r in rows for p in r["phones"])
    page = client.get(reverse("pool:list")).text
    assert "私有客户" not in page
    assert "13800138000" not in page
    assert "138****8000" in page
    # and the archive itself stays closed: no pool customer, no owned customer of others
    assert not customers_visible_to(other_rep).exists()
    assert client.get(owned.get_absolute_url()).status_code == 404
    assert client.get(f"/api/v1/customers/{owned.pk}").status_code == 404
    assert client.post(f"/api/v1/pool/{owned.pk}/claim").status_code == 404


def test_pool_list_queries_do_not_grow(
    client, rep, other_rep, admin_user, policy, django_assert_max_num_queries
):
    _pool(admin_user, rep, 1)
    client.force_login(other_rep)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("pool:list"))
    _pool(admin_user, rep, 5, prefix="更多")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("pool:list"))
    assert response.text.count('data-testid="pool-row"') == 6


def test_claim_in_the_browser(client, rep, other_rep, admin_user, policy):
    customer = _pool(admin_user, rep, 1)[0]
    client.force_login(other_rep)
    response = client.post(reverse("pool:claim", args=[customer.pk]))
    assert response.status_code == 302
    assert response["Location"] == customer.get_absolute_url()
    assert client.get(customer.get_absolute_url()).status_code == 200


def test_policy_page_for_admins_only(client, rep, admin_user):
    client.force_login(rep)
    assert client.get(reverse("pool:policy")).status_code == 403
    client.force_login(admin_user)
    response = client.post(
        reverse("pool:policy"),
        {
            "enabled": "on",
            "days_important": 90,
            "days_special": 45,
            "days_general": 20,
            "warning_days": 5,
            "claim_limit": 3,
        },
    )
    assert response.status_code == 302
    policy = pool_policy_get()
    assert policy.enabled
    assert policy.days_special == 45
    assert policy.claim_limit == 3


def test_policy_service_refuses_non_admins(rep):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.pool_policy_save(user=rep, claim_limit=100)
