"""The home page per role: the right cards, the right greeting, a bounded number of queries."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import translation

from kehu.accounts.models import Membership, Role, Team
from kehu.customers import services as customer_services
from kehu.customers.models import Customer
from kehu.interactions.services import interaction_log
from kehu.tasks.services import task_create

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # Thursday 10:00 in Shanghai


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def team(make_user, rep, other_rep):
    boss = make_user(username="boss", display_name="王经理")
    team = Team.objects.create(name="华东销售部")
    Membership.objects.create(user=boss, team=team, is_manager=True)
    Membership.objects.create(user=rep, team=team)
    Membership.objects.create(user=other_rep, team=team)
    return boss


def person(user, name, **data):
    return customer_services.customer_create(user=user, kind="person", data={"name": name, **data})


def some_work(rep, n):
    """``n`` customers of ``rep``, each with a task today and an overdue follow-up."""
    for i in range(n):
        customer = person(rep, f"客户{i}", grade="important")
        task_create(user=rep, title=f"电话{i}", due_at=NOW + timedelta(hours=1), customer=customer)
        with time_machine.travel(NOW - timedelta(days=5), tick=False):
            interaction_log(
                user=rep,
                customer=customer,
                type="visit",
                summary="拜访",
                next_follow_up_on=(NOW - timedelta(days=2)).date(),
            )


def test_rep_home(client, rep, django_assert_max_num_queries):
    some_work(rep, 3)
    client.force_login(rep)
    with django_assert_max_num_queries(26):
        response = client.get("/")
    text = response.content.decode()
    assert response.context["role"] == "rep"
    assert 'data-testid="today-count">3<' in text
    assert 'data-testid="today-overdue">3<' in text  # the follow-ups
    assert 'data-testid="card-pipeline"' in text
    assert "You are signed in as Sales rep." in text


def test_money_on_the_home_cards_has_thousands_separators_in_both_languages(client, rep):
    from decimal import Decimal

    from kehu.sales.services import opportunity_create

    customer = person(rep, "千位客户")
    opportunity_create(user=rep, customer=customer, name="大单", amount=Decimal("36000"))
    client.force_login(rep)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            text = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert 'data-testid="pipeline-value">¥36,000.00<' in text, language


def test_rep_home_queries_do_not_grow_with_the_work(client, rep, django_assert_max_num_queries):
    some_work(rep, 12)
    client.force_login(rep)
    with django_assert_max_num_queries(26):
        assert client.get("/").status_code == 200


def test_manager_home_greets_the_team_manager(client, team, rep, other_rep):
    some_work(rep, 2)
    client.force_login(team)
    response = client.get("/")
    text = response.content.decode()
    assert response.context["role"] == "manager"
    assert "You are signed in as Team manager." in text
    rows = {row.member.username: row for row in response.context["cards"]["team"]}
    assert rows["rep1"].overdue_follow_ups == 2
    assert rows["rep2"].logged_this_week == 0  # who logged nothing this week
    assert 'data-testid="logged-nothing"' in text
    with translation.override("zh-hans"):
        zh = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "您已以团队经理身份登录" in zh
    assert "销售代表身份" not in zh


def test_manager_home_query_count(client, team, rep, django_assert_max_num_queries):
    some_work(rep, 4)
    client.force_login(team)
    with django_assert_max_num_queries(26):
        assert client.get("/").status_code == 200


def test_unassigned_leads_on_the_manager_home(client, team, admin_user):
    lead = person(admin_user, "网站线索")
    customer_services.customer_assign(user=admin_user, customer=lead, owner=None)
    client.force_login(team)
    card = client.get("/").context["cards"]["unassigned_leads"]
    assert [c.name for c in card["rows"]] == ["网站线索"]


@pytest.mark.parametrize(
    ("role", "home", "card"),
    [
        (Role.SERVICE_AGENT, "agent", "card-queue"),
        (Role.ARCHIVE_ADMIN, "archivist", "card-archive"),
        (Role.MARKETER, "marketer", "card-segments"),
        (Role.LEADER, "leader", "card-headline"),
        (Role.ADMIN, "leader", "card-headline"),
    ],
)
def test_each_role_has_its_home(
    client, make_user, rep, role, home, card, django_assert_max_num_queries
):
    some_work(rep, 2)
    user = make_user(role, username=f"u-{role}")
    client.force_login(user)
    with django_assert_max_num_queries(26):
        response = client.get("/")
    assert response.context["role"] == home
    assert f'data-testid="{card}"' in response.content.decode()


def test_merged_customers_are_not_in_the_recent_list(client, rep):
    person(rep, "留下的")
    gone = person(rep, "被合并的")
    Customer.objects.filter(pk=gone.pk).update(status=Customer.Status.MERGED)
    client.force_login(rep)
    recent = client.get("/").context["cards"]["recent"]
    assert [c.name for c in recent.recent] == ["留下的"]
    assert recent.visible.count == 1


def test_counts_stop_at_the_cap(rep):
    from kehu.core.pagination import CappedCount, capped_count

    for i in range(3):
        person(rep, f"计数{i}")
    every = Customer.objects.filter(name__startswith="计数")
    assert str(capped_count(every, cap=5)) == "3"
    capped = capped_count(every, cap=2)
    assert (capped.count, capped.capped, str(capped)) == (2, True, "2+")
    assert not capped_count(Customer.objects.none(), cap=5)
    assert str(capped_count(every, cap=1000)) == "3"
    assert str(CappedCount(count=1000, cap=1000, capped=True)) == "1,000+"


def test_first_rows_are_the_ordered_querysets_first_with_their_related_rows(
    rep, django_assert_num_queries
):
    from kehu.core.pagination import first_rows

    for name in ("排序乙", "排序丁", "排序甲", "排序丙", "其他"):
        person(rep, name)
    chosen = Customer.objects.filter(name__startswith="排序")
    expected = list(chosen.order_by("-name", "id").values_list("name", flat=True))
    # when the first two are read, then the whole ordered list (no limit)
    with django_assert_num_queries(2):
        first = first_rows(chosen, ("-name", "id"), 2, ("owner",))
    every = first_rows(chosen, ("-name", "id"), None, ("owner",))
    # then each is the queryset's own order, and the owners came with the rows
    assert [c.name for c in first] == expected[:2]
    assert [c.name for c in every] == expected
    with django_assert_num_queries(0):
        assert {c.owner.username for c in first + every} == {rep.username}


def test_the_agents_queue_card_counts_every_case(agent, rep):
    """The card's figures come from SQL over every open case, not from the first rows."""
    from kehu.core.home import CARD_ROWS, card_queue
    from kehu.service.services import case_open

    customer = person(rep, "投诉客户")
    for i in range(CARD_ROWS + 2):
        case_open(
            user=agent, customer=customer, type="complaint", subject=f"问题{i}",
            description="-", assigned_to=agent,
        )  # fmt: skip
    case_open(user=agent, customer=customer, type="complaint", subject="无人", description="-")
    card = card_queue(agent, NOW.date())
    assert card["mine_count"] == CARD_ROWS + 2
    assert len(card["mine"]) == CARD_ROWS
    assert card["unassigned_count"] == 1
    assert card["breached"] == 0
    # a day later every response deadline has passed
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        later = card_queue(agent, (NOW + timedelta(days=3)).date())
    assert later["breached"] == CARD_ROWS + 3
