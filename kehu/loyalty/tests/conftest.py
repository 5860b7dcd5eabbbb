from decimal import Decimal

import pytest

from kehu.customers import services as customer_services
from kehu.loyalty.models import Level, Programme
from kehu.sales.tests.factories import ProductFactory

LEVELS = [
    ("normal", "普通卡", 0, "0"),
    ("silver", "银卡", 1, "1000"),
    ("gold", "金卡", 2, "5000"),
    ("platinum", "白金卡", 3, "20000"),
    ("diamond", "钻石卡", 4, "50000"),
]


@pytest.fixture
def programme(db):
    Programme.objects.update_or_create(pk=1, defaults={"grace_days": 90})
    for code, name, rank, spend in LEVELS:
        Level.objects.create(
            code=code, name=name, rank=rank, min_spend=Decimal(spend), service_priority=rank // 2
        )
    return Programme.objects.get(pk=1)


@pytest.fixture
def customer(rep):
    return customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})


@pytest.fixture
def product(db):
    return ProductFactory.create(code="TEA-01", name="龙井礼盒", list_price=Decimal("100.00"))
