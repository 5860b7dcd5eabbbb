from decimal import Decimal

import pytest

from kehu.customers import services as customer_services
from kehu.sales.tests.factories import ProductFactory


@pytest.fixture
def customer(rep):
    return customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})


@pytest.fixture
def org(rep):
    customer = customer_services.customer_create(
        user=rep, kind="organization", data={"name": "杭州云杉科技有限公司"}
    )
    customer.organization.credit_limit = Decimal("10000.00")
    customer.organization.save()
    customer.organization.refresh_from_db()
    return customer


@pytest.fixture
def product(db):
    return ProductFactory.create(code="TEA-01", name="龙井礼盒", list_price=Decimal("99.99"))
