"""Orders and payments: totals and rounding, partial payments, ageing on fixed dates, credit
limit usage, cancellation rules."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.core.exceptions import Conflict
from kehu.sales import selectors, services
from kehu.sales.models import Order
from kehu.sales.services import LineInput, line_amount
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "expected"),
    [
        ("3", "99.99", "0", "299.97"),
        ("1", "10.005", "0", "10.01"),  # half up, not banker's rounding
        ("3", "33.33", "10", "89.99"),  # 89.991 → 89.99
        ("2.5", "19.99", "12.5", "43.73"),  # 43.728125 → 43.73
        ("1", "0.05", "50", "0.03"),  # 0.025 → 0.03
        ("7", "100", "100", "0.00"),
    ],
)
def test_line_amount_rounds_half_up_to_the_fen(quantity, price, discount, expected):
    assert line_amount(
        quantity=D(quantity), unit_price=D(price), discount_percent=D(discount)
    ) == D(expected)


def test_order_total_is_the_sum_of_rounded_lines(rep, customer, product):
    other = ProductFactory.create(code="CUP", list_price=D("33.33"))
    with time_machine.travel(date(2026, 3, 1), tick=False):
        order = services.order_create(
            user=rep,
            customer=customer,
            lines=[
                LineInput(product=product, quantity=D("3")),  # list price 99.99
                LineInput(product=other, quantity=D("3"), discount_percent=D("10")),
                LineInput(product=other, quantity=D("1"), unit_price=D("0.005")),
            ],
        )
    order.refresh_from_db()
    assert [line.amount for line in order.lines.all()] == [D("299.97"), D("89.99"), D("0.01")]
    assert order.total_amount == D("389.97")
    assert order.number == f"SO{order.pk:09d}"
    assert order.ordered_on == date(2026, 3, 1)
    assert order.owner == rep
    assert order.currency == "CNY"
    assert isinstance(order.total_amount, Decimal)


def test_order_refuses_bad_lines_and_other_reps_customers(rep, other_rep, customer, product):
    with pytest.raises(ValidationError) as exc:
        services.order_create(user=rep, customer=customer, lines=[])
    assert "lines" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.order_create(
            user=rep,
            customer=customer,
            lines=[LineInput(product=product, quantity=D(1), discount_percent=D(120))],
        )
    usd = ProductFactory.create(code="USD-1", currency="USD")
    with pytest.raises(ValidationError):  # a USD list price cannot fill a CNY order
        services.order_create(user=rep, customer=customer, lines=[LineInput(usd, D(1))])
    with pytest.raises(PermissionDenied):
        services.order_create(user=other_rep, customer=customer, lines=[LineInput(product, D(1))])
    assert not Order.objects.exists()


def _order(rep, customer, product, day, quantity="10"):
    with time_machine.travel(day, tick=False):
        return services.order_create(
            user=rep, customer=customer, lines=[LineInput(product, D(quantity))], ordered_on=day
        )


def test_partial_payments_and_no_overpayment(rep, customer, product):
    order = _order(rep, customer, product, date(2026, 1, 10))  # 999.90
    with time_machine.travel(date(2026, 1, 20), tick=False):
        services.payment_record(user=rep, order=order, amount=D("400"))
        with pytest.raises(ValidationError) as exc:
            services.payment_record(user=rep, order=order, amount=D("600"))
        assert "599.90" in str(exc.value)
        services.payment_record(user=rep, order=order, amount=D("599.90"))
    order.refresh_from_db()
    assert order.paid_amount == D("999.90")
    assert order.outstanding == D("0.00")
    with pytest.raises(Conflict):
        services.order_cancel(user=rep, order=order)


def test_payment_dates_must_be_between_order_and_today(rep, customer, product):
    order = _order(rep, customer, product, date(2026, 1, 10))
    with time_machine.travel(date(2026, 1, 20), tick=False):
        with pytest.raises(ValidationError):
            services.payment_record(
                user=rep, order=order, amount=D(1), received_on=date(2026, 1, 9)
            )
        with pytest.raises(ValidationError):
            services.payment_record(
                user=rep, order=order, amount=D(1), received_on=date(2026, 1, 21)
            )


def test_cancelled_orders_take_no_payments_and_owe_nothing(rep, customer, product):
    order = _order(rep, customer, product, date(2026, 1, 10))
    services.order_cancel(user=rep, order=order)
    with pytest.raises(Conflict):
        services.payment_record(user=rep, order=order, amount=D(1), received_on=date(2026, 1, 11))
    assert selectors.customer_receivables(customer=customer, as_of=date(2026, 2, 1)) == []


def test_ageing_buckets_on_fixed_dates(rep, customer, product):
    # given four orders of 999.90 at different ages on 2026-04-30, one partly paid
    as_of = date(2026, 4, 30)
    _order(rep, customer, product, date(2026, 4, 30))  # 0 days
    _order(rep, customer, product, date(2026, 3, 31))  # 30 days → 0–30
    partly = _order(rep, customer, product, date(2026, 3, 30))  # 31 days → 31–60
    _order(rep, customer, product, date(2026, 1, 30))  # 90 days → 61–90
    _order(rep, customer, product, date(2026, 1, 29))  # 91 days → 90+
    with time_machine.travel(date(2026, 4, 1), tick=False):
        services.payment_record(user=rep, order=partly, amount=D("500"))
    # when
    [rec] = selectors.customer_receivables(customer=customer, as_of=as_of)
    # then
    assert rec.buckets == {
        "d0_30": D("1999.80"),
        "d31_60": D("499.90"),
        "d61_90": D("999.90"),
        "d90_plus": D("999.90"),
    }
    assert rec.outstanding == D("4499.50")
    assert rec.credit_limit is None
    assert rec.credit_used_percent is None
    # a day earlier the payment had not arrived yet, and the youngest order did not exist
    [before] = selectors.customer_receivables(customer=customer, as_of=date(2026, 3, 31))
    assert before.outstanding == D("999.90") * 4


BOUNDARIES = [(0, "d0_30"), (30, "d0_30"), (31, "d31_60"), (60, "d31_60"), (61, "d61_90"),
    (90, "d61_90"), (91, "d90_plus"), (400, "d90_plus")]  # fmt: skip


@pytest.mark.parametrize(("boundary", "bucket"), BOUNDARIES)
def test_ageing_bucket_boundaries(boundary, bucket):
    assert selectors.ageing_bucket(boundary) == bucket


def test_credit_limit_usage(rep, org, product):
    # credit limit 10,000.00; 9 × 999.90 = 8,999.10 owed → 90.0 %
    for _ in range(9):
        _order(rep, org, product, date(2026, 2, 1))
    [rec] = selectors.customer_receivables(customer=org, as_of=date(2026, 2, 2))
    assert rec.credit_limit == D("10000.00")
    assert rec.credit_used_percent == D("90.0")
    assert not rec.over_limit
    _order(rep, org, product, date(2026, 2, 2), quantity="11")
    [rec] = selectors.customer_receivables(customer=org, as_of=date(2026, 2, 2))
    assert rec.credit_used_percent == D("101.0")  # 10,098.99 owed
    assert rec.over_limit


def test_credit_limit_shows_with_nothing_owed(org):
    [rec] = selectors.customer_receivables(customer=org, as_of=date(2026, 2, 2))
    assert rec.outstanding == 0
    assert rec.credit_used_percent == D("0.0")


def test_lifetime_totals_leave_cancelled_orders_out(rep, customer, product):
    _order(rep, customer, product, date(2026, 1, 1))
    second = _order(rep, customer, product, date(2026, 2, 1), quantity="1")
    services.order_cancel(user=rep, order=second)
    summary = selectors.customer_sales_summary(customer=customer)
    [total] = summary.totals
    assert (total.orders, total.revenue, total.currency) == (1, D("999.90"), "CNY")
    assert summary.last_ordered_on == date(2026, 1, 1)
    assert len(summary.recent) == 2
