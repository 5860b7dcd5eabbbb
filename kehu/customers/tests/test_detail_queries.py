"""The 360° page's query budget: every card filled, and the count does not grow with the
customer's history (more orders, cases, contacts, tags, interactions, changes)."""

from decimal import Decimal

import pytest

from kehu.accounts.models import Role
from kehu.customers import services
from kehu.interactions import services as interaction_services
from kehu.sales.tests.factories import ProductFactory
from kehu.sales.tests.test_customer_cards_queries import _activity

pytestmark = pytest.mark.django_db

# The page of an organization with every card filled, for the rep who owns it (46): session and
# user (2); the customer, its tags, phones, e-mails, shares, contacts and their phones and
# e-mails (8); managed teams, read 4 times (scope, may change, the navigation twice), and "may
# change" (5); custom fields, read 3 times (once per caller of field_specs_for), provenance,
# channels (5); the navigation's badges (3); the assign and share forms' users (2); sales (4),
# loyalty (2), value (1), propensity (1), service (3), knowledge (1); the timeline: interactions,
# their attachments, changes, hand-overs, orders, payments, opportunity moves, case events,
# feedback (9). Lower it when cards learn to share a query; never raise it without naming the
# new query here.
DETAIL_QUERIES = 46


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
        services.contact_save(user=rep, customer=org, data={"name": f"联系人{i}"})
        interaction_services.interaction_log(
            user=rep, customer=org, type="phone_call", summary=f"第{i}次电话"
        )
        services.customer_update(user=rep, customer=org, data={"notes": f"备注{i}"})
    services.customer_update(user=rep, customer=org, data={"tags": ["VIP", "华东", f"批次{n}"]})


def test_the_360_page_keeps_to_its_query_budget(
    client, rep, busy_org, django_assert_max_num_queries, django_assert_num_queries
):
    # given: a customer with something in every card
    org, product, agent = busy_org
    _more_history(rep, agent, org, product, 1)
    client.force_login(rep)
    client.get(org.get_absolute_url())  # warm caches (content types, regions)

    # when / then: within the budget
    with django_assert_max_num_queries(DETAIL_QUERIES) as few:
        response = client.get(org.get_absolute_url())
    assert response.status_code == 200

    # and: five times the history costs no extra query
    _more_history(rep, agent, org, product, 5)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(org.get_absolute_url())
    assert "联系人4" in response.text
    assert "第4次电话" in response.text
