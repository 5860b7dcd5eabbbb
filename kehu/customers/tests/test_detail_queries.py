"""The 360° page's query budget: every card filled, and the count does not grow with the
customer's history (more orders, cases, contacts, tags, interactions, changes)."""

import re
from decimal import Decimal

import pytest

from kehu.accounts.models import Membership, Role, Team
from kehu.customers import services
from kehu.interactions import services as interaction_services
from kehu.sales.tests.factories import ProductFactory
from kehu.sales.tests.test_customer_cards_queries import _activity

pytestmark = pytest.mark.django_db

# The page of an organization with every card filled, for the rep who owns it (31): session and
# user (2); the teams the user manages, read once for the request (1); the customer; its tags,
# phones and e-mails (the contacts' too) with the ids of its contacts and shares, in one query;
# its contacts (3); custom fields, read once for the request, and provenance (2); the assign and
# share forms' users, read once (1); the menu's badges with the top bar's bell (1); sales (4),
# loyalty (2), value (1), propensity (1), service (3), knowledge (1); the timeline: interactions,
# their attachments, changes, hand-overs, orders, payments, opportunity moves, case events,
# feedback (9). An admin reads no teams and needs no query for "may see" or "may change" but
# counts the customer's pending duplicates; a team manager who does not own the customer asks
# "may see" and "may change" of the database. Lower these when cards learn to share a query;
# never raise them without naming the new query here.
DETAIL_QUERIES = {"owner": 31, "admin": 31, "team manager": 33}


@pytest.fixture
def busy_org(rep, make_user):
    org = services.customer_create(
        user=rep,
        kind="organization",
        data={"name": "杭州云杉科技有限公司", "tags": ["VIP"], "phones": ["13800138000"]},
    )
    product = ProductFactory.create(code="TEA-01", name="龙井礼盒", list_price=Decimal("99.99"))
    return org, product, make_user(Role.SERVICE_AGENT)


def _more_history(rep, agent, org, product, n):
    _activity(rep, agent, org, product, n)
    for i in range(n):
        services.contact_save(
            user=rep,
            customer=org,
            data={
                "name": f"联系人{n}-{i}",
                "phones": [f"1390013{n:02}{i:02}"],
                "emails": [f"c{n}-{i}@example.com"],
            },
        )
        interaction_services.interaction_log(
            user=rep, customer=org, type="phone_call", summary=f"第{i}次电话"
        )
        services.customer_update(user=rep, customer=org, data={"notes": f"备注{i}"})
    services.customer_update(user=rep, customer=org, data={"tags": ["VIP", "华东", f"批次{n}"]})


@pytest.mark.parametrize("viewer", DETAIL_QUERIES)
def test_the_360_page_keeps_to_its_query_budget(
    viewer,
    client,
    rep,
    admin_user,
    make_user,
    busy_org,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    # given: a customer with something in every card, seen by its owner, an admin or the
    # manager of the owner's team
    org, product, agent = busy_org
    _more_history(rep, agent, org, product, 1)
    manager = make_user(username="boss")
    team = Team.objects.create(name="华东销售部")
    Membership.objects.create(user=manager, team=team, is_manager=True)
    Membership.objects.create(user=rep, team=team)
    client.force_login({"owner": rep, "admin": admin_user, "team manager": manager}[viewer])
    client.get(org.get_absolute_url())  # warm caches (content types, regions)

    # when / then: within the budget
    with django_assert_max_num_queries(DETAIL_QUERIES[viewer]) as few:
        response = client.get(org.get_absolute_url())
    assert response.status_code == 200

    # and: five times the history costs no extra query
    _more_history(rep, agent, org, product, 5)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(org.get_absolute_url())
    assert "第4次电话" in response.text
    # and: each contact shows its own phone and e-mail, not another's nor the customer's
    contacts = re.findall(r'data-testid="contact">(.*?)</li>', response.text, re.S)
    assert len(contacts) == 6
    for n, i in [(1, 0), (5, 0), (5, 4)]:
        [card] = [c for c in contacts if f"联系人{n}-{i}<" in c]
        assert f"c{n}-{i}@example.com" in card
        assert f"139 0013 {n:02}{i:02}" in card
        assert "138 0013 8000" not in card
        assert card.count("@") == 1
