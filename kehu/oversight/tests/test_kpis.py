"""Each KPI's formula on a hand-computed fixture (time frozen at 2026-06-15), targets and
forecast, and scope: a rep's figures are their own, a leader reads everything, writes nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kehu.customers import services as customer_services
from kehu.customers.tests.factories import make_person
from kehu.oversight import kpis, services
from kehu.oversight.models import SalesTarget

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def world(rep, other_rep, team, sell, agent):
    from kehu.sales import services as sales_services
    from kehu.service import services as case_services

    a = make_person(rep, name="甲")
    b = make_person(rep, name="乙")
    c = make_person(rep, name="丙")
    sell(a, "1000", date(2026, 5, 10))
    june5 = sell(a, "500", date(2026, 6, 5))
    sell(a, "300", date(2026, 6, 10))
    sell(b, "200", date(2026, 6, 1))
    sales_services.payment_record(
        user=rep, order=june5, amount=Decimal("400"), received_on=date(2026, 6, 6)
    )
    # another rep's sale, outside the rep's figures
    sell(make_person(other_rep, name="丁"), "9999", date(2026, 6, 2), user=other_rep)
    sales_services.opportunity_create(
        user=rep,
        customer=b,
        name="扩容",
        amount=Decimal("1000"),
        probability=50,
        expected_close_on=date(2026, 6, 20),
    )
    case = case_services.case_open(
        user=agent,
        customer=a,
        type="complaint",
        subject="包装破损",
        description="到货破损",
        product_name="龙井礼盒",
    )
    case_services.case_transition(user=agent, case=case, to_status="resolved", resolution="补发")
    case_services.case_rate(user=agent, case=case, score=5)
    customer_services.customer_update(user=rep, customer=c, data={"lifecycle_stage": "lost"})
    return {"a": a, "b": b, "c": c}


def test_rep_figures_for_june(world, rep):
    board = kpis.dashboard(user=rep, filters=kpis.KpiFilters(period="month"))
    f = board.figures
    assert (board.span.start, board.span.end) == (date(2026, 6, 1), date(2026, 6, 30))
    assert f["orders"] == 3
    assert f["revenue"] == Decimal("1000.00")
    assert f["average_order_value"] == Decimal("333.33")
    assert f["new_customers"] == 1  # 乙's first order; 甲 first bought in May
    assert f["collected"] == Decimal("400.00")
    assert f["repeat_rate"] == 50.0  # 甲 twice of 甲, 乙
    assert f["retention_rate"] == 100.0  # 甲 bought in May and again in June
    assert f["lost_customers"] == 1
    assert f["complaints"] == 1
    assert f["complaint_rate"] == 33.3  # 1 complaint per 3 orders
    assert f["average_rating"] == 5.0
    assert f["satisfied_share"] == 100.0
    assert f["sla_compliance"] == 100.0
    assert f["weighted_pipeline"] == Decimal("500.00")
    # forecast: booked 1,000 + weighted pipeline closing by 30 June 500 + run rate
    # (1,000 / 15 elapsed days = 66.67) × 15 remaining days
    assert f["run_rate_per_day"] == Decimal("66.67")
    assert f["forecast"] == Decimal("2500.05")
    assert board.before["revenue"] == Decimal("1000.00")
    assert board.before["new_customers"] == 1
    assert kpis.change(f["revenue"], board.before["revenue"]) == 0.0
    stages = {row["code"]: row["count"] for row in board.composition["stage"]}
    assert stages["lost"] == 1


def test_leader_sees_everyone(world, leader):
    f = kpis.dashboard(user=leader, filters=kpis.KpiFilters()).figures
    assert f["revenue"] == Decimal("10999.00")
    assert f["orders"] == 4


def test_targets_and_attainment(world, rep, archivist, team):
    services.target_set(
        user=archivist,
        period="month",
        starts_on=date(2026, 6, 1),
        metric="revenue",
        amount=Decimal("2000"),
        owner=rep,
    )
    board = kpis.dashboard(user=rep, filters=kpis.KpiFilters())
    assert board.targets["revenue"] == Decimal("2000")
    assert board.targets["attainment"]["revenue"] == 50.0
    assert board.targets["attainment"]["forecast"] == 125.0
    # the team has no target of its own: its members' targets add up
    assert kpis.targets_for(archivist, board.span, "month", team.pk)["revenue"] == Decimal("2000")
    # a quarter: the rep's month targets in it, unless a quarter target was set
    q = kpis.span_of("quarter", date(2026, 6, 15))
    assert kpis.targets_for(rep, q, "quarter", None)["revenue"] == Decimal("2000")
    services.target_set(
        user=archivist,
        period="quarter",
        starts_on=date(2026, 5, 3),
        metric="revenue",
        amount=Decimal("9000"),
        owner=rep,
    )
    assert SalesTarget.objects.get(period="quarter").starts_on == date(2026, 4, 1)
    assert kpis.targets_for(rep, q, "quarter", None)["revenue"] == Decimal("9000")


def test_leader_may_not_set_targets(world, leader, rep):
    with pytest.raises(PermissionDenied):
        services.target_set(
            user=leader,
            period="month",
            starts_on=date(2026, 6, 1),
            metric="revenue",
            amount=Decimal("1"),
            owner=rep,
        )


def test_manager_sets_targets_for_their_team_only(world, manager, rep, other_rep):
    services.target_set(
        user=manager,
        period="month",
        starts_on=date(2026, 6, 1),
        metric="collected",
        amount=Decimal("1"),
        owner=rep,
    )
    with pytest.raises(PermissionDenied):
        services.target_set(
            user=manager,
            period="month",
            starts_on=date(2026, 6, 1),
            metric="collected",
            amount=Decimal("1"),
            owner=other_rep,
        )


def test_periods():
    assert kpis.span_of("quarter", date(2026, 11, 3)) == kpis.Span(
        date(2026, 10, 1), date(2026, 12, 31)
    )
    assert kpis.previous_span("month", kpis.span_of("month", date(2026, 3, 9))) == kpis.Span(
        date(2026, 2, 1), date(2026, 2, 28)
    )
    assert kpis.span_of("year", date(2026, 5, 5)).days == 365
