"""Order dates outside a sane range are refused (audit finding 8)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kehu.sales import services
from kehu.sales.models import Order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("ordered_on", [date(1, 1, 1), date(1899, 12, 31), date(9999, 12, 31)])
def test_an_order_date_out_of_range_is_refused(rep, customer, product, ordered_on):
    line = services.LineInput(product=product, quantity=Decimal(1))
    with pytest.raises(ValidationError) as refused:
        services.order_create(user=rep, customer=customer, lines=[line], ordered_on=ordered_on)
    assert "ordered_on" in refused.value.message_dict
    assert not Order.objects.exists()


def test_an_order_date_in_range_is_kept(rep, customer, product):
    line = services.LineInput(product=product, quantity=Decimal(1))
    order = services.order_create(
        user=rep, customer=customer, lines=[line], ordered_on=date(1990, 5, 1)
    )
    assert order.ordered_on == date(1990, 5, 1)
