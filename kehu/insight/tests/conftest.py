import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.customers.models import Customer, PersonProfile
from kehu.sales.models import Order, OrderLine
from kehu.sales.tests.factories import ProductFactory

# The planted effect: customers with a master's degree buy the early-education category in a
# 60-day window with probability 0.5, everyone else with 0.05.
HORIZON = 60
EFFECT_DEGREE = "硕士"


@pytest.fixture
def synthetic_archive(db):
    """600 people (a known fixture for the cross-tab too): province, gender and degree cycle
    through fixed values; tea orders at random; early-education orders per the planted effect
    in each of the last three 60-day windows."""
    rng = random.Random(7)
    tea = ProductFactory.create(code="TEA-1", category="茶叶")
    edu = ProductFactory.create(code="EDU-1", category="早教", name="早教课程")
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"客户{i}",
            kind=Customer.Kind.PERSON,
            status=Customer.Status.ACTIVE,
            grade=Customer.Grade.IMPORTANT if i % 10 == 0 else Customer.Grade.GENERAL,
            province=("浙江省", "江苏省", "广东省")[i % 3],
        )
        for i in range(600)
    )
    PersonProfile.objects.bulk_create(
        PersonProfile(
            customer=c,
            gender=("male", "female")[i % 2],
            highest_degree=EFFECT_DEGREE if i % 10 < 3 else ("本科", "大专")[i % 2],
            birth_date=date(1980 + i % 20, 1 + i % 12, 1),
        )
        for i, c in enumerate(customers)
    )
    today = timezone.localdate()
    orders, _lines = [], []
    for i, c in enumerate(customers):
        for _n in range(rng.randint(0, 3)):
            orders.append((c, today - timedelta(days=rng.randint(1, 400)), tea))
        p = 0.5 if i % 10 < 3 else 0.05
        for window in range(3):
            if rng.random() < p:
                start = today - timedelta(days=HORIZON * (window + 1))
                orders.append((c, start + timedelta(days=rng.randint(0, HORIZON - 1)), edu))
    made = Order.objects.bulk_create(
        Order(
            number=f"T{n:06d}",
            customer=c,
            ordered_on=day,
            total_amount=Decimal("100.00"),
        )
        for n, (c, day, _product) in enumerate(orders)
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=o,
            product=product,
            quantity=Decimal(1),
            unit_price=Decimal("100.00"),
            amount=Decimal("100.00"),
        )
        for o, (_c, _day, product) in zip(made, orders, strict=True)
    )
    return customers
