"""The 360° page's sales and service cards: a fixed number of queries, whatever the number of
orders, payments, opportunities, cases, ratings and feedback (one round trip per card list)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.sales import selectors, services
from kehu.sales.services import LineInput
from kehu.service import services as service_services
from kehu.service.selectors import customer_service

pytestmark = pytest.mark.django_db


def _activity(rep, agent, customer, product, n):
    for i in range(n):
        order = services.order_create(
            user=rep, customer=customer, lines=[LineInput(product, Decimal(2))]
        )
        services.payment_record(user=rep, order=order, amount=Decimal(1))
        services.opportunity_create(user=rep, customer=customer, name=f"商机{i}", amount=Decimal(5))
        case = service_services.case_open(
            user=agent, customer=customer, type="complaint", subject=f"投诉{i}", description="d"
        )
        service_services.case_transition(
            user=agent, case=case, to_status="resolved", resolution="已处理"
        )
        service_services.case_rate(user=agent, case=case, score=1 + i % 5)


@pytest.mark.parametrize("n", [1, 6])
def test_card_selectors_take_a_fixed_number_of_queries(
    n, rep, make_user, org, product, django_assert_num_queries
):
    agent = make_user(Role.SERVICE_AGENT)
    _activity(rep, agent, org, product, n)
    org.organization  # noqa: B018 (the page has it from the customer's query)
    with django_assert_num_queries(2):  # lifetime totals, latest orders
        summary = selectors.customer_sales_summary(customer=org)
    with django_assert_num_queries(1):  # open orders (no payment can be dated after today)
        [receivables] = selectors.customer_receivables(customer=org, as_of=timezone.localdate())
    with django_assert_num_queries(1):
        opportunities = selectors.customer_open_opportunities(customer=org)
    with django_assert_num_queries(3):  # open cases, latest ratings with the average, feedback
        service = customer_service(customer=org)
    assert summary.totals[0].orders == n
    assert receivables.outstanding == n * (Decimal("199.98") - 1)
    assert len(opportunities) == n
    assert len(service.ratings) == min(n, 5)
    assert service.average_score == sum(1 + i % 5 for i in range(n)) / n


def test_receivables_as_of_a_past_day_take_back_later_payments(rep, org, product):
    today = timezone.localdate()
    order = services.order_create(
        user=rep, customer=org, lines=[LineInput(product, Decimal(2))],
        ordered_on=today - timedelta(days=3),
    )  # fmt: skip
    services.payment_record(user=rep, order=order, amount=Decimal(50))
    [earlier] = selectors.customer_receivables(customer=org, as_of=today - timedelta(days=1))
    [now] = selectors.customer_receivables(customer=org, as_of=today)
    assert (earlier.outstanding, now.outstanding) == (Decimal("199.98"), Decimal("149.98"))
