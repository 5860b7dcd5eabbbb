"""The count of customers due for review (home card, menu badge, a rep's own count), found
through indexes part by part, against the rule worked out customer by customer."""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kehu.core.counts import counts_in_one_query
from kehu.core.pagination import CappedCount
from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_person
from kehu.oversight import selectors, services
from kehu.oversight.models import ReviewCycle, ReviewSchedule
from kehu.oversight.tests.conftest import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

DEFAULTS = {"important": 2, "special": 3, "general": 12}
# The frozen day, and month ends where a cycle counted back is cut short (31 → 28 or 30).
DAYS = [TODAY, date(2026, 2, 28), date(2026, 3, 31), date(2026, 5, 31), date(2026, 4, 30)]


def _months_back(day: date, months: int) -> date:
    """The same day ``months`` earlier, or that month's last day if it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    while True:
        try:
            return date(year, month + 1, day.day)
        except ValueError:
            day -= timedelta(days=1)


def _due_by_rule(customer: Customer, today: date, cycles: dict[str, int], due_on: dict) -> bool:
    """The rule as written, one customer at a time: an active customer or prospect whose
    scheduled date has come, or (never scheduled) whose last review — or creation — is on or
    before the day its grade's cycle (its row, else the default) counted back from today."""
    if customer.status != "active" or customer.lifecycle_stage not in ("customer", "prospect"):
        return False
    if customer.pk in due_on:
        return due_on[customer.pk] <= today
    months = cycles.get(customer.grade, DEFAULTS[customer.grade])
    last = timezone.localdate(customer.reviewed_at or customer.created_at)
    return last <= _months_back(today, months)


def _moment(rng: random.Random, today: date) -> datetime:
    """A moment some days before ``today``, often on a day's first or last second (Shanghai
    time), where a cutoff falls."""
    day = today - timedelta(days=rng.choice([rng.randrange(0, 800), *range(25, 100), 365, 366]))
    clock = rng.choice([time(0, 0), time(23, 59, 59), time(12, 30)])
    return timezone.make_aware(datetime.combine(day, clock))


@pytest.fixture
def archive(rep, other_rep, team):
    """Customers of every kind the rule tells apart: grades, stages, statuses, reviewed or
    not, scheduled in the past, today or later or not at all, owned in and out of the team."""
    rng = random.Random(17)
    owners = [rep, rep, other_rep, None]
    for n in range(160):
        customer = make_person(rep, name=f"客户{n}", owner=rng.choice(owners))
        fields = {
            "grade": rng.choice(["important", "special", "general"]),
            "lifecycle_stage": rng.choice(["customer", "customer", "prospect", "lead", "lost"]),
            "status": rng.choice(["active"] * 6 + ["public_pool", "archived"]),
            "created_at": _moment(rng, rng.choice(DAYS)),
            "reviewed_at": rng.choice([None, _moment(rng, rng.choice(DAYS))]),
            "team": team if customer.owner_id == rep.pk else None,
        }
        Customer.objects.filter(pk=customer.pk).update(**fields)
        offset = rng.choice([None, None, None, -40, -1, 0, 1, 30])
        if offset is not None:
            day = rng.choice(DAYS) + timedelta(days=offset)
            ReviewSchedule.objects.create(customer=customer, due_on=day)
    return list(Customer.objects.all())


def _admin():
    from kehu.accounts.models import Role
    from kehu.accounts.tests.factories import UserFactory

    return UserFactory(role=Role.ADMIN, username="cycle-admin")


def _reviewable():
    return Customer.objects.filter(status="active", lifecycle_stage__in=["customer", "prospect"])


def _expected(customers, today, *, scope=lambda c: True) -> int:
    cycles = dict(ReviewCycle.objects.values_list("grade", "months"))
    due_on = dict(ReviewSchedule.objects.values_list("customer_id", "due_on"))
    return sum(1 for c in customers if scope(c) and _due_by_rule(c, today, cycles, due_on))


@pytest.mark.parametrize(
    "cycles",
    [{}, {"special": 1, "general": 60}, {"important": 5, "special": 1, "general": 1}],
    ids=["defaults", "special-monthly", "all-changed"],
)
def test_the_count_is_the_rule_customer_by_customer(archive, rep, leader, manager, cycles):
    # given
    for grade, months in cycles.items():
        services.review_cycle_set(user=_admin(), grade=grade, months=months)
    for today in DAYS:
        expected = _expected(archive, today)
        assert 0 < expected < len(archive)  # the fixture has customers due and not due
        # when / then: the parts, counted whole and sliced at every size
        rows = _reviewable()
        assert selectors.reviews_due_rows(rows, today).count() == expected
        for cap in (1, expected - 1, expected, expected + 1):
            assert selectors.reviews_due_rows(rows, today)[:cap].count() == min(cap, expected)
        # the list, the leader's home card, the rep's own count, a manager's team
        assert len(selectors.reviews_due(user=leader, today=today)) == expected
        assert selectors.home_card(user=leader, today=today, cap=1000)["due"] == CappedCount(
            expected, 1000, False
        )
        mine = _expected(archive, today, scope=lambda c: c.owner_id == rep.pk)
        assert selectors.own_reviews_due_count(user=rep, today=today) == mine
        assert len(selectors.reviews_due(user=rep, today=today)) == mine
        teams = _expected(archive, today, scope=lambda c: c.team_id is not None)
        assert selectors.home_card(user=manager, today=today, cap=1000)["due"] == CappedCount(
            teams, 1000, False
        )


def test_the_dashboards_card_shows_customers_due_of_the_users_own(archive, rep, manager):
    for user, scope in (
        (rep, lambda c: c.owner_id == rep.pk),
        (manager, lambda c: c.team_id is not None),
    ):
        due = {c.pk for c in selectors.reviews_due(user=user, today=TODAY)}
        assert len(due) == _expected(archive, TODAY, scope=scope) > 8
        first = selectors.reviews_due_first(user=user, today=TODAY)
        assert len(first) == 8
        assert {c.pk for c in first} <= due
        scheduled = set(
            ReviewSchedule.objects.filter(due_on__lte=TODAY, customer__in=due).values_list(
                "customer_id", flat=True
            )
        )
        # those whose scheduled day has come first, then by grade, 重要 first
        every = selectors.reviews_due_first(user=user, today=TODAY, limit=1000)
        assert sorted(c.pk for c in every) == sorted(due)
        assert {c.pk for c in every[: len(scheduled)]} == scheduled
        ranks = [list(DEFAULTS).index(c.grade) for c in every[len(scheduled) :]]
        assert ranks == sorted(ranks)
        assert len(set(ranks)) > 1


def test_a_grade_without_its_cycle_row_counts_its_default(archive, leader):
    # given: the general grade's row is gone (the rule falls back to 12 months)
    ReviewCycle.objects.filter(grade="general").delete()
    # then
    for today in DAYS:
        due = selectors.home_card(user=leader, today=today, cap=1000)["due"]
        assert due == CappedCount(_expected(archive, today), 1000, False)


def test_the_badge_counts_the_rule_in_one_query(archive, rep, django_assert_num_queries):
    expected = _expected(archive, TODAY, scope=lambda c: c.owner_id == rep.pk)
    rows = selectors.reviews_due_badge_rows(rep)
    with django_assert_num_queries(1):
        assert counts_in_one_query([rows]) == [min(expected, selectors.BADGE_CAP)]


def test_next_review_is_the_first_day_the_customer_is_due(archive):
    # every reviewable customer is due on its next review date and not the day before
    cycles = dict(ReviewCycle.objects.values_list("grade", "months"))
    due_on = dict(ReviewSchedule.objects.values_list("customer_id", "due_on"))
    reviewable = [
        c for c in archive if c.status == "active" and c.lifecycle_stage in ("customer", "prospect")
    ]
    for customer in reviewable:
        next_on = selectors.customer_next_review(customer=customer)
        assert _due_by_rule(customer, next_on, cycles, due_on)
        assert not _due_by_rule(customer, next_on - timedelta(days=1), cycles, due_on)


def test_next_review_after_a_months_end(rep):
    # given: reviewed on 31 December, important (every 2 months): February has no 31st
    customer = make_person(rep, name="月末客户", grade="important", lifecycle_stage="customer")
    reviewed = datetime(2025, 12, 31, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    Customer.objects.filter(pk=customer.pk).update(reviewed_at=reviewed)
    customer.refresh_from_db()
    # then: not due on 28 February (two months before is 28 December), due on 1 March
    assert selectors.customer_next_review(customer=customer) == date(2026, 3, 1)
    rows = _reviewable()
    assert selectors.reviews_due_rows(rows, date(2026, 2, 28)).count() == 0
    assert selectors.reviews_due_rows(rows, date(2026, 3, 1)).count() == 1


def test_the_cards_risk_counts_are_the_live_risks_of_the_users_scope(archive, rep, leader, manager):
    # given: a risk level for two customers in three, archived and pooled ones too
    from kehu.oversight.kpis import risk_counts
    from kehu.oversight.models import CustomerRisk

    level = {c.pk: 1 + n % 3 for n, c in enumerate(archive) if n % 3}
    now = timezone.now()
    CustomerRisk.objects.bulk_create(
        CustomerRisk(customer_id=pk, level=lv, since=now, computed_at=now)
        for pk, lv in level.items()
    )
    for user, scope in (
        (leader, lambda c: True),
        (manager, lambda c: c.team_id is not None),
        (rep, lambda c: c.owner_id == rep.pk),
    ):
        live = [c for c in archive if c.status != "archived" and scope(c)]
        expected = {
            name: sum(1 for c in live if level.get(c.pk) == n)
            for name, n in (("high", 3), ("medium", 2))
        }
        # when
        card = selectors.home_card(user=user, today=TODAY, cap=1000)["risks"]
        # then: the card counts what the rule says, as the dashboard's exact count does
        assert min(expected.values()) > 0
        assert card == {name: CappedCount(n, 1000, False) for name, n in expected.items()}, user
        assert {name: risk_counts(user, None)[name] for name in card} == expected
    # and at the cap, the card says there are more
    capped = selectors.home_card(user=leader, today=TODAY, cap=1)
    assert capped["risks"]["high"] == CappedCount(1, 1, True)
    assert str(capped["due"]) == "1+"
