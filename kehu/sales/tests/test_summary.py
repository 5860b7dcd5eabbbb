"""The daily sales summary: the sales-performance report read from it equals the report summed
from the raw orders, payments and opportunities, after random sequences of orders taken and
cancelled, payments and opportunity moves (property-style: several seeds, random periods), and
``kehu sales rebuild-summary`` re-creates the same summary."""

import contextlib
import random
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import F, Sum

from kehu.accounts.models import Role, User
from kehu.accounts.tests.factories import MembershipFactory, TeamFactory
from kehu.core.exceptions import Conflict
from kehu.customers import services as customer_services
from kehu.sales import selectors, services
from kehu.sales.models import Opportunity, Order, PipelineStage, SalesDaily
from kehu.sales.services import LineInput
from kehu.sales.summary import summary_rebuild
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

D = Decimal
FIRST_DAY = date(2026, 1, 1)
LAST_DAY = date(2026, 4, 30)


def _report_facts(report):
    rows = sorted(
        (r.key or 0, r.label, r.orders, r.revenue, r.collected, r.new_customers, r.won, r.lost,
         r.pipeline_weighted)
        for r in report.rows
    )  # fmt: skip
    t = report.total
    return rows, (t.orders, t.revenue, t.collected, t.new_customers, t.won, t.lost)


def _assert_same_reports(admin_user, rng, periods=12):
    for _ in range(periods):
        start = FIRST_DAY + timedelta(days=rng.randrange(0, 120))
        end = start + timedelta(days=rng.randrange(0, 60))
        for group_by in ("rep", "team"):
            for currency in ("CNY", "USD"):
                args = {"user": admin_user, "start": start, "end": end, "group_by": group_by,
                        "currency": currency}  # fmt: skip
                summary = selectors.sales_performance(**args, source="summary")
                rows = selectors.sales_performance(**args, source="rows")
                assert _report_facts(summary) == _report_facts(rows), (start, end, group_by)


@pytest.fixture
def sellers(make_user):
    """Two reps in two teams, a rep without a team and a manager: keys with and without teams."""
    east, south = TeamFactory(name="华东"), TeamFactory(name="华南")
    a, b, c = (make_user(Role.SALES_REP) for _ in range(3))
    MembershipFactory(user=a, team=east)
    MembershipFactory(user=b, team=south)
    boss = make_user(Role.ADMIN)
    MembershipFactory(user=boss, team=east)
    return [a, b, c, boss]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_report_from_summary_equals_report_from_rows(seed, sellers, admin_user):
    rng = random.Random(seed)
    prices = ("19.90", "128.00", "0.35", "4299.00")
    products = [ProductFactory.create(list_price=D(p)) for p in prices]
    customers = [
        (seller, customer_services.customer_create(
            user=seller, kind="person", data={"name": f"客户{seller.pk}-{i}"}))
        for seller in sellers for i in range(3)
    ]  # fmt: skip
    stages = {s.code: s for s in PipelineStage.objects.all()}
    orders: list[tuple[User, Order]] = []
    opportunities: list[tuple[User, Opportunity]] = []
    for step in range(80):
        today = FIRST_DAY + timedelta(days=step + step // 2)
        with time_machine.travel(today, tick=False):
            action = rng.random()
            if action < 0.4 or not orders:
                seller, customer = rng.choice(customers)
                currency = rng.choice(["CNY", "CNY", "USD"])
                lines = [
                    LineInput(rng.choice(products), D(rng.randrange(1, 7)),
                              unit_price=None if currency == "CNY" else D("17.77"),
                              discount_percent=D(rng.choice([0, 0, 5, 12.5])))
                    for _ in range(rng.randrange(1, 4))
                ]  # fmt: skip
                orders.append(
                    (seller, services.order_create(
                        user=seller, customer=customer, lines=lines,
                        ordered_on=today - timedelta(days=rng.randrange(0, 20)),
                        currency=currency))
                )  # fmt: skip
            elif action < 0.55:
                seller, order = rng.choice(orders)
                with contextlib.suppress(Conflict):  # paid already: stays in the report
                    services.order_cancel(user=seller, order=order)
            elif action < 0.75:
                seller, order = rng.choice(orders)
                order.refresh_from_db()
                if (
                    order.outstanding > 0
                    and order.status != "cancelled"
                    and order.ordered_on <= today
                ):
                    amount = min(order.outstanding, D(rng.randrange(1, 500)) + D("0.37"))
                    received = min(today, order.ordered_on + timedelta(days=rng.randrange(0, 9)))
                    points = rng.random() < 0.25  # settles the order; no money collected
                    services.payment_record(
                        user=seller, order=order, amount=amount, received_on=received,
                        method="points" if points else "bank_transfer", redemption=points,
                    )  # fmt: skip
            elif action < 0.80:
                # corrections: an order's lines re-priced, a payment reversed or corrected
                seller, order = rng.choice(orders)
                order.refresh_from_db()
                paid = list(order.payments.filter(reversed_at__isnull=True))
                if paid and rng.random() < 0.5:
                    payment = rng.choice(paid)
                    if rng.random() < 0.5:
                        services.payment_reverse(user=seller, payment=payment, reason="录错")
                    else:
                        services.payment_correct(
                            user=seller, payment=payment, reason="金额录错",
                            amount=min(payment.amount, D("1.11")),
                            received_on=min(today, order.ordered_on + timedelta(days=1)),
                            method="cash",
                        )  # fmt: skip
                elif order.status == "confirmed":
                    lines = [
                        LineInput(rng.choice(products), D(rng.randrange(1, 9)),
                                  unit_price=D(rng.choice(["17.77", "2500.00"])),
                                  discount_percent=D(rng.choice([0, 10])))
                        for _ in range(rng.randrange(1, 3))
                    ]  # fmt: skip
                    with contextlib.suppress(ValidationError):  # less than paid: refused
                        services.order_update(
                            user=seller, order=order, lines=lines, reason="客户改单",
                            ordered_on=order.ordered_on - timedelta(days=rng.randrange(0, 3)),
                        )  # fmt: skip
            elif action < 0.85 or not opportunities:
                seller, customer = rng.choice(customers)
                opportunities.append(
                    (seller, services.opportunity_create(
                        user=seller, customer=customer, name="商机",
                        amount=D(rng.randrange(100, 9999)),
                        stage=stages[rng.choice(["qualify", "proposal", "won", "lost"])],
                        currency=rng.choice(["CNY", "USD"]), lost_reason="预算取消"))
                )  # fmt: skip
            else:
                seller, opportunity = rng.choice(opportunities)
                code = rng.choice(["qualify", "negotiation", "won", "lost", "lost"])
                with contextlib.suppress(Conflict):  # became an order: stays won
                    services.opportunity_move(
                        user=seller, opportunity=opportunity, stage=stages[code],
                        lost_reason="价格太高",
                    )  # fmt: skip
                if rng.random() < 0.3:  # handed to another seller (closed ones too)
                    services.opportunity_update(
                        user=sellers[3], opportunity=opportunity,
                        data={"owner": rng.choice([seller, sellers[3]]),
                              "amount": D(rng.randrange(1, 99))},
                        reason="交接",
                    )  # fmt: skip
    # the maintained summary gives the raw rows' report for any period, key and currency
    _assert_same_reports(sellers[3], rng)
    _assert_same_reports(sellers[0], rng, periods=4)  # a rep: their own work only
    # and a rebuild re-creates the same figures (from fewer rows)
    whole = {"user": admin_user, "start": FIRST_DAY, "end": LAST_DAY + timedelta(days=60)}
    keys = [("rep", "CNY"), ("team", "USD")]
    maintained = {
        (g, c): _report_facts(
            selectors.sales_performance(**whole, group_by=g, currency=c, source="summary")
        )
        for g, c in keys
    }
    summary_rebuild()
    for (g, c), facts in maintained.items():
        rebuilt = selectors.sales_performance(**whole, group_by=g, currency=c, source="summary")
        assert _report_facts(rebuilt) == facts
    _assert_same_reports(admin_user, rng, periods=4)


def test_services_write_the_summary_in_their_transaction(rep, customer, product):
    # given: an order of 999.90 on 10 March, 300 received on 12 March
    with time_machine.travel(date(2026, 3, 15), tick=False):
        order = services.order_create(
            user=rep, customer=customer, lines=[LineInput(product, D(10))],
            ordered_on=date(2026, 3, 10),
        )  # fmt: skip
        services.payment_record(
            user=rep, order=order, amount=D("300"), received_on=date(2026, 3, 12)
        )
        other = services.order_create(user=rep, customer=customer, lines=[LineInput(product, D(1))])
        # when: the second order is cancelled
        services.order_cancel(user=rep, order=other)
    # then: day 10 has one order, day 12 the payment, day 15 nets to nothing
    rows = {
        r.day: (r.orders, r.revenue, r.new_customers, r.collected)
        for r in SalesDaily.objects.filter(owner=rep).order_by("day", "pk")
    }
    assert rows[date(2026, 3, 10)] == (1, D("999.90"), 1, D("0.00"))
    assert rows[date(2026, 3, 12)] == (0, D("0.00"), 0, D("300.00"))
    assert rows[date(2026, 3, 15)] == (0, D("0.00"), 0, D("0.00"))


def test_points_settle_the_order_but_are_not_collected(rep, customer, product, admin_user):
    # given: an order of 299.97 paid 100 in points and 50 by bank transfer
    with time_machine.travel(date(2026, 3, 15), tick=False):
        order = services.order_create(user=rep, customer=customer, lines=[LineInput(product, D(3))])
        services.payment_record(
            user=rep, order=order, amount=D("100"), method="points", redemption=True
        )
        services.payment_record(user=rep, order=order, amount=D("50"))
    order.refresh_from_db()
    # then: the customer owes what neither paid; the report collected only the money
    assert order.outstanding == D("149.97")
    collected = lambda: SalesDaily.objects.aggregate(s=Sum("collected"))["s"]  # noqa: E731
    assert collected() == D("50.00")
    args = {"user": admin_user, "start": date(2026, 3, 1), "end": date(2026, 3, 31)}
    for source in ("summary", "rows"):
        report = selectors.sales_performance(**args, source=source)
        assert report.total.collected == D("50.00"), source
    summary_rebuild()
    assert collected() == D("50.00")


def test_a_refused_payment_leaves_the_summary_alone(rep, customer, product):
    with time_machine.travel(date(2026, 3, 15), tick=False):
        order = services.order_create(user=rep, customer=customer, lines=[LineInput(product, D(1))])
        before = list(SalesDaily.objects.values_list("day", "orders", "revenue", "collected"))
        with pytest.raises(ValidationError):  # more than is outstanding
            services.payment_record(user=rep, order=order, amount=D("1000000"))
    assert list(SalesDaily.objects.values_list("day", "orders", "revenue", "collected")) == before


def test_rebuild_summary_command(rep, customer, product):
    with time_machine.travel(date(2026, 3, 15), tick=False):
        services.order_create(user=rep, customer=customer, lines=[LineInput(product, D(3))])
    SalesDaily.objects.all().delete()
    out = StringIO()
    call_command("sales", "rebuild-summary", stdout=out)
    assert "1 rows" in out.getvalue()
    row = SalesDaily.objects.get()
    assert (row.day, row.owner_id, row.orders, row.revenue) == (
        date(2026, 3, 15), rep.pk, 1, D("299.97"),
    )  # fmt: skip


def test_the_migration_takes_counted_points_back_out(rep, customer, product):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("kehu.sales.migrations.0013_collected_without_points")
    # given: a summary kept before the fix (the 100 in points counted as collected)
    with time_machine.travel(date(2026, 3, 15), tick=False):
        order = services.order_create(user=rep, customer=customer, lines=[LineInput(product, D(3))])
        services.payment_record(
            user=rep, order=order, amount=D("100"), method="points", redemption=True
        )
        services.payment_record(user=rep, order=order, amount=D("50"))
    SalesDaily.objects.update(collected=F("collected") + D("100"))
    # when / then: the migration leaves the money only
    migration.take_points_out(apps, None)
    assert SalesDaily.objects.aggregate(s=Sum("collected"))["s"] == D("50.00")
