from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest

from kehu.basket import selectors, services
from kehu.customers.tests.factories import CustomerFactory
from kehu.sales.models import Order, OrderLine, Product
from kehu.sales.tests.factories import ProductFactory

_numbers = count(1)


def buy(customer, day, *products, status=Order.Status.DELIVERED):
    order = Order.objects.create(
        number=f"T{next(_numbers):08d}", customer=customer, ordered_on=day, status=status
    )
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=p, quantity=Decimal(1), unit_price=p.list_price,
                  amount=p.list_price)
        for p in products
    )  # fmt: skip
    return order


@pytest.fixture(autouse=True)
def _fresh_rule_caches():
    """The selectors keep a run's rules per process; a test database reuses run ids."""
    selectors._pairs.cache_clear()
    selectors._popularity.cache_clear()


@pytest.fixture
def shop(db, rep, other_rep):
    """Diapers are bought with beer far more often than chance; tea with a tea set."""
    p = {
        code: ProductFactory.create(code=code, name=name, category=category)
        for code, name, category in [
            ("DIAPER", "纸尿裤", "母婴"),
            ("BEER", "啤酒", "酒水"),
            ("TEA", "龙井", "茶叶"),
            ("TEASET", "茶具", "茶具"),
            ("RICE", "大米", "食品"),
            ("OLD", "旧款", "食品"),
        ]
    }
    p["OLD"].status = Product.Status.DISCONTINUED
    p["OLD"].save()
    mine = [CustomerFactory.create(owner=rep, name=f"甲{i}") for i in range(6)]
    theirs = [CustomerFactory.create(owner=other_rep, name=f"乙{i}") for i in range(6)]
    start = date(2026, 1, 5)
    for i, customer in enumerate(mine + theirs):
        day = start + timedelta(days=i)
        buy(customer, day, p["DIAPER"], p["BEER"])
        buy(customer, day + timedelta(days=30), p["RICE"], *([p["TEA"]] if i % 2 else []))
        buy(customer, day + timedelta(days=60), p["RICE"], *([p["TEASET"]] if i % 2 else []))
    # diapers without beer for two of mine: the cross-sell targets
    buy(mine[0], start + timedelta(days=90), p["DIAPER"])
    loner = CustomerFactory.create(owner=rep, name="丙")
    buy(loner, start, p["DIAPER"], p["OLD"])
    buy(loner, start, p["BEER"], status=Order.Status.CANCELLED)
    return {"products": p, "mine": mine, "theirs": theirs, "loner": loner}


@pytest.fixture
def mined(shop, admin_user):
    runs = {}
    for level in ("product", "category"):
        run = services.mining_run_request(
            user=admin_user, level=level, min_support=0.05, min_confidence=0.1
        )
        runs[level] = services.mining_run_execute(run_id=run.pk)
    return runs
