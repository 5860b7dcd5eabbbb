from datetime import date
from decimal import Decimal
from itertools import count

import pytest

from kehu.customers import services as customer_services
from kehu.sales.models import Order

_numbers = count(1)
TODAY = date(2026, 1, 31)


@pytest.fixture
def buy():
    """Record an order directly (analytics reads orders; how they are taken is sales' job)."""

    def make(customer, day: str, amount: str, status: str = Order.Status.CONFIRMED) -> Order:
        return Order.objects.create(
            number=f"T{next(_numbers):06d}",
            customer=customer,
            ordered_on=date.fromisoformat(day),
            total_amount=Decimal(amount),
            status=status,
            owner=customer.owner,
        )

    return make


@pytest.fixture
def shop(rep, other_rep, buy):
    """Two reps' customers with purchase histories (today is 2026-01-31)."""
    mine = customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})
    steady = customer_services.customer_create(user=rep, kind="person", data={"name": "李娜"})
    theirs = customer_services.customer_create(user=other_rep, kind="person", data={"name": "王芳"})
    for day, amount in [("2025-01-01", "100"), ("2025-07-01", "300"), ("2026-01-01", "200")]:
        buy(mine, day, amount)
    buy(mine, "2025-09-01", "9999", status=Order.Status.CANCELLED)
    for day in ["2025-02-01", "2025-04-01", "2025-06-01", "2025-08-01", "2025-10-01"]:
        buy(steady, day, "80")
    for day in ["2025-03-01", "2025-05-01", "2026-01-20"]:
        buy(theirs, day, "5000")
    return {"mine": mine, "steady": steady, "theirs": theirs}


@pytest.fixture
def refreshed(shop):
    """The shop's figures refreshed as of TODAY."""
    from kehu.analytics import services

    run = services.analytics_run_create()
    run.as_of = TODAY
    run.save()
    services.analytics_run_execute(run_id=run.pk)
    return shop
