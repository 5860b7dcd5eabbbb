"""Review cycles, the due list, reviews that change the archive through its history, and
approval by the manager."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.customers.models import Customer, CustomerChange
from kehu.customers.tests.factories import make_organization
from kehu.oversight import selectors, services
from kehu.oversight.models import Review

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def key_org(rep, team):
    org = make_organization(
        rep, name="宁波港华贸易有限公司", grade="important", lifecycle_stage="customer"
    )
    Customer.objects.filter(pk=org.pk).update(created_at=timezone.now() - timedelta(days=70))
    org.refresh_from_db()
    return org


def test_due_by_grade_cycle(key_org, rep):
    # important: every 2 months; created 70 days ago, never reviewed
    assert list(selectors.reviews_due(user=rep)) == [key_org]
    services.review_cycle_set(user=_admin(), grade="important", months=3)
    assert list(selectors.reviews_due(user=rep)) == []


def _admin():
    from kehu.accounts.models import Role
    from kehu.accounts.tests.factories import UserFactory

    return UserFactory(role=Role.ADMIN, username="cycle-admin")


def test_review_without_changes_sets_next_date(key_org, rep):
    review = services.review_complete(
        user=rep,
        customer=key_org,
        data=services.ReviewInput(checks={}, outcome="资料无误"),
    )
    assert review.status == Review.Status.DONE
    assert review.next_review_on == date(2026, 8, 15)  # 2 months on
    key_org.refresh_from_db()
    assert key_org.reviewed_at is not None
    assert list(selectors.reviews_due(user=rep)) == []


def test_change_by_a_rep_waits_for_the_manager(key_org, rep, manager):
    review = services.review_complete(
        user=rep,
        customer=key_org,
        data=services.ReviewInput(
            checks={}, outcome="回款变慢", changes={"grade": "general"}, reason="采购量下降"
        ),
    )
    assert review.status == Review.Status.PENDING
    key_org.refresh_from_db()
    assert key_org.grade == "important"
    with pytest.raises(PermissionDenied):
        services.review_decide(user=rep, review=review, approve=True)
    services.review_decide(user=manager, review=review, approve=True)
    key_org.refresh_from_db()
    assert key_org.grade == "general"
    change = CustomerChange.objects.filter(customer=key_org, field="grade").first()
    assert change is not None
    assert change.old_value == "important"
    assert change.new_value == "general"
    assert "采购量下降" in change.note


def test_change_applies_at_once_without_approval_setting(key_org, rep):
    services.review_settings_update(user=_admin(), review_approval=False)
    review = services.review_complete(
        user=rep,
        customer=key_org,
        data=services.ReviewInput(
            checks={},
            outcome="扩大合作",
            reason="新签年度合同",
            changes={"organization.credit_limit": Decimal("50000")},
        ),
    )
    assert review.status == Review.Status.DONE
    key_org.organization.refresh_from_db()
    assert key_org.organization.credit_limit == Decimal("50000.00")


def test_changes_need_a_reason_and_leader_may_not_review(key_org, rep, leader):
    with pytest.raises(ValidationError) as exc:
        services.review_complete(
            user=rep,
            customer=key_org,
            data=services.ReviewInput(checks={}, outcome="x", changes={"grade": "general"}),
        )
    assert "reason" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.review_complete(
            user=leader, customer=key_org, data=services.ReviewInput(checks={}, outcome="x")
        )


def test_watch_flag(key_org, rep, leader):
    services.watch_set(user=rep, customer=key_org, reason="订单翻倍")
    assert [w.reason for w in selectors.watch_list(user=leader)] == ["订单翻倍"]
    with pytest.raises(PermissionDenied):
        services.watch_clear(user=leader, customer=key_org)


def test_due_reviews_in_the_menu_and_on_the_home_page(client, key_org, rep, leader):
    # given: 宁波港华 is due (important, 70 days old); a general customer 70 days old is not
    general = make_organization(
        rep, name="杭州未到期有限公司", grade="general", lifecycle_stage="customer"
    )
    Customer.objects.filter(pk=general.pk).update(created_at=timezone.now() - timedelta(days=70))
    # when
    client.force_login(rep)
    page = client.get("/").content.decode()
    # then: the menu's badge and the "today" card count it
    assert 'data-testid="nav-badge-oversight" title="Customers due for review">1<' in page
    assert 'data-testid="today-reviews-due">1<' in page
    # once reviewed, it is no longer due
    services.review_complete(
        user=rep, customer=key_org, data=services.ReviewInput(checks={}, outcome="资料无误")
    )
    page = client.get("/customers/").content.decode()
    assert 'data-testid="nav-badge-oversight"' not in page
    # a leader's badge counts the whole archive's: the general one, once its cycle is a month
    client.force_login(leader)
    services.review_cycle_set(user=_admin(), grade="general", months=1)
    page = client.get("/customers/").content.decode()
    assert 'data-testid="nav-badge-oversight" title="Customers due for review">1<' in page


def test_the_cycles_are_read_within_the_due_query(key_org, rep, django_assert_num_queries):
    # the menu asks on every page: the grade's cycle is read in the count's own query
    from kehu.core.counts import counts_in_one_query

    rows = selectors.reviews_due_badge_rows(rep)
    with django_assert_num_queries(1):
        assert counts_in_one_query([rows]) == [1]
    services.review_cycle_set(user=_admin(), grade="important", months=3)
    assert counts_in_one_query([selectors.reviews_due_badge_rows(rep)]) == [0]
