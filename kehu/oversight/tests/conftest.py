from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kehu.accounts.models import Membership, Team
from kehu.customers import services as customer_services
from kehu.sales import services as sales_services
from kehu.sales.tests.factories import ProductFactory

TODAY = date(2026, 6, 15)
NOON = datetime(2026, 6, 15, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def frozen():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def team(rep):
    team = Team.objects.create(name="华东销售部")
    Membership.objects.create(user=rep, team=team)
    return team


@pytest.fixture
def manager(make_user, team):
    boss = make_user(username="boss2", display_name="赵经理")
    Membership.objects.create(user=boss, team=team, is_manager=True)
    return boss


@pytest.fixture
def product(db):
    return ProductFactory.create(code="TEA-01", name="龙井礼盒", list_price=Decimal("100.00"))


@pytest.fixture
def org(rep, team):
    return customer_services.customer_create(
        user=rep, kind="organization", data={"name": "杭州云杉科技有限公司"}
    )


@pytest.fixture
def sell(rep, product):
    def sell(customer, amount, on, paid=Decimal(0), user=None):
        order = sales_services.order_create(
            user=user or rep,
            customer=customer,
            lines=[
                sales_services.LineInput(
                    product=product, quantity=Decimal(1), unit_price=Decimal(amount)
                )
            ],
            ordered_on=on,
        )
        if paid:
            sales_services.payment_record(
                user=user or rep, order=order, amount=Decimal(paid), received_on=on
            )
        return order

    return sell


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The dashboard is cached by scope and the newest row ids, which repeat between tests.
    from django.core.cache import cache

    from kehu.oversight.services import review_cycles_forget

    cache.clear()
    review_cycles_forget()
    yield
    cache.clear()
    review_cycles_forget()
