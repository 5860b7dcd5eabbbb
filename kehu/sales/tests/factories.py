from decimal import Decimal

import factory

from kehu.sales.models import Product


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    class Meta:
        model = Product
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"产品{n}")
    category = "茶叶"
    unit = "盒"
    list_price = Decimal("100.00")
