"""The dashboard's fast path (the daily sales summary, both periods read together) gives the
same figures as the raw computation, one function per figure over the orders, payments and
cases: after orders, payments, a reversal, cancellations, a reassignment, an order from a won
opportunity, a backfilled order dated months back, and after the nightly rebuild; and the
composition (customers by stage, grade and value tier) counted in one pass equals the grouped
count, with archived, pooled and reassigned customers and value tiers."""

from datetime import date
from decimal import Decimal

import pytest

from kehu.customers.tests.factories import make_person
from kehu.oversight import kpis

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def history(rep, other_rep, team, sell, agent):
    from kehu.sales import services as sales_services
    from kehu.sales.models import PipelineStage
    from kehu.service import services as case_services

    a = make_person(rep, name="甲")
    b = make_person(rep, name="乙")
    c = make_person(other_rep, name="丙")
    for customer, amount, on in [
        (a, "100", date(2026, 3, 3)),
        (a, "200", date(2026, 4, 9)),
        (a, "300", date(2026, 5, 10)),
        (b, "400", date(2026, 5, 20)),
        (a, "500", date(2026, 6, 2)),
        (b, "600", date(2026, 6, 3)),
        (b, "700", date(2026, 6, 14)),
    ]:
        sell(customer, amount, on, paid=Decimal(amount) / 2)
    sell(c, "800", date(2026, 6, 1), user=other_rep)
    sell(c, "900", date(2026, 5, 1), paid=Decimal("900"), user=other_rep)
    # cancellations: this month's and last month's
    sales_services.order_cancel(user=rep, order=sell(a, "50", date(2026, 6, 5)))
    sales_services.order_cancel(user=rep, order=sell(b, "60", date(2026, 5, 6)))
    # a payment recorded, then reversed
    late = sell(b, "70", date(2026, 6, 12))
    payment = sales_services.payment_record(
        user=rep, order=late, amount=Decimal("70"), received_on=date(2026, 6, 13)
    )
    sales_services.payment_reverse(user=rep, payment=payment, reason="重复登记")
    # an order taken from its rep (nobody owns it now): its figures move with it
    moved = sell(a, "80", date(2026, 6, 8))
    sales_services.order_assign(user=rep, order=moved, owner=None, reason="交接")
    # a won opportunity that became an order (the forecast's run rate leaves it out)
    opportunity = sales_services.opportunity_create(
        user=rep, customer=b, name="扩容", amount=Decimal("1000"), probability=50
    )
    sales_services.opportunity_move(
        user=rep,
        opportunity=opportunity,
        stage=PipelineStage.objects.get(outcome=PipelineStage.Outcome.WON),
    )
    sell_from(sales_services, rep, b, opportunity)
    sales_services.opportunity_create(
        user=rep,
        customer=a,
        name="续约",
        amount=Decimal("2000"),
        probability=30,
        expected_close_on=date(2026, 6, 25),
    )
    # a backfill: an order entered today, dated in March (before 甲's first order)
    sell(make_person(rep, name="丁"), "990", date(2026, 3, 1))
    case = case_services.case_open(
        user=agent, customer=a, type="complaint", subject="包装破损", description="到货破损"
    )
    case_services.case_transition(user=agent, case=case, to_status="resolved", resolution="补发")
    case_services.case_rate(user=agent, case=case, score=3)
    # The composition: grades, stages and value tiers; an archived customer (out of every
    # count), one in the public pool (the leader's only), one handed from rep to rep.
    from kehu.customers import services as customer_services

    customer_services.customer_update(
        user=rep, customer=a, data={"grade": "important", "lifecycle_stage": "customer"}
    )
    gone = make_person(rep, name="戊", grade="special")
    customer_services.customer_archive(user=rep, customer=gone)
    pooled = make_person(rep, name="己", lifecycle_stage="prospect")
    customer_services.customer_assign(user=rep, customer=pooled, owner=None)
    handed = make_person(other_rep, name="庚", grade="important")
    customer_services.customer_assign(user=other_rep, customer=handed, owner=rep)
    for customer, tier in [(a, "A"), (b, "B"), (c, "C"), (gone, "A"), (pooled, "B"), (handed, "C")]:
        value_of(customer, tier)
    return {"a": a, "b": b}


def value_of(customer, tier):
    """The value analytics' row of ``customer`` (only the tier matters here)."""
    from django.utils import timezone

    from kehu.analytics.models import CustomerValue

    CustomerValue.objects.create(
        customer=customer,
        first_purchase_on=date(2026, 3, 1),
        last_purchase_on=date(2026, 6, 1),
        purchase_days=2,
        orders=2,
        revenue=Decimal("1000"),
        average_order_value=Decimal("500"),
        recency_days=14,
        r_score=3,
        f_score=3,
        m_score=3,
        segment="important_value",
        revenue_rank=1,
        cumulative_share=0.5,
        tier=tier,
        suggested_grade="general",
        spend_90=0,
        spend_prev_90=0,
        spend_365=0,
        spend_prev_365=0,
        computed_at=timezone.now(),
    )


def sell_from(sales_services, rep, customer, opportunity):
    from kehu.sales.models import Product

    return sales_services.order_create(
        user=rep,
        customer=customer,
        lines=[
            sales_services.LineInput(
                product=Product.objects.get(code="TEA-01"),
                quantity=Decimal(1),
                unit_price=Decimal("1000"),
            )
        ],
        ordered_on=date(2026, 6, 11),
        opportunity=opportunity,
    )


def both(user, **filters):
    fast = kpis.dashboard(user=user, filters=kpis.KpiFilters(**filters))
    raw = kpis.dashboard(user=user, filters=kpis.KpiFilters(**filters), precomputed=False)
    return fast, raw


@pytest.mark.parametrize("period", ["month", "quarter", "year"])
def test_the_fast_path_equals_the_raw_computation(
    history, rep, other_rep, manager, leader, team, period
):
    for user in (rep, other_rep, manager, leader):
        fast, raw = both(user, period=period)
        assert fast.figures == raw.figures, (user.username, period)
        assert fast.before == raw.before, (user.username, period)
        assert fast.composition == raw.composition, (user.username, period)
    # an earlier period, and one team
    for filters in ({"on": date(2026, 5, 15)}, {"team_id": team.pk}):
        fast, raw = both(leader, period=period, **filters)
        assert (fast.figures, fast.before) == (raw.figures, raw.before), filters
        assert fast.composition == raw.composition, filters


def counts(board, kind):
    return {row["code"]: row["count"] for row in board.composition[kind] if row["count"]}


def test_known_composition_of_the_fixture(history, rep, leader):
    mine, everyone = both(rep)[0], both(leader)[0]
    # the rep: 甲 (important customer), 乙, 丁, 庚 (handed over); 戊 archived, 己 in the pool
    assert counts(mine, "stage") == {"customer": 1, "lead": 3}
    assert counts(mine, "grade") == {"important": 2, "general": 2}
    assert counts(mine, "tier") == {"A": 1, "B": 1, "C": 1}
    # the leader: also 丙 (the other rep's) and 己 (the pool)
    assert counts(everyone, "stage") == {"customer": 1, "lead": 4, "prospect": 1}
    assert counts(everyone, "tier") == {"A": 1, "B": 2, "C": 2}


def test_known_figures_of_the_fixture(history, rep, leader):
    fast, _raw = both(rep)
    f = fast.figures
    # June, the rep's own: 500 + 600 + 700 + 70 + 1,000 (the 50 cancelled, the 80 handed over)
    assert f["orders"] == 5
    assert f["revenue"] == Decimal("2870.00")
    assert f["collected"] == Decimal("900.00")  # 250 + 300 + 350; the 70 reversed
    assert f["repeat_rate"] == 50.0  # 乙 bought three times; 甲 once (its 80 was handed over)
    assert f["retention_rate"] == 100.0  # 甲 and 乙 bought in May and in June
    assert f["booked"] == Decimal("2870.00")
    # run rate: (2,870 − 1,000 from the opportunity) ÷ 15 days
    assert f["run_rate_per_day"] == Decimal("124.67")
    assert fast.before["new_customers"] == 1  # 乙 in May; 丁's backfilled March order is March's


def test_the_nightly_rebuild_keeps_the_figures(history, rep, leader):
    from kehu.sales.tasks import nightly_summary_rebuild

    before = {u.pk: both(u, period="quarter")[0] for u in (rep, leader)}
    nightly_summary_rebuild.call_local()
    for user in (rep, leader):
        fast, raw = both(user, period="quarter")
        assert fast.figures == before[user.pk].figures == raw.figures
        assert fast.before == before[user.pk].before == raw.before
        assert fast.composition == before[user.pk].composition == raw.composition
