"""Opportunities: stage moves (probability, closing, reopening), conversion to an order, win
rate and the sales-performance report on fixed dates."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from kehu.accounts.tests.factories import MembershipFactory, TeamFactory
from kehu.core.exceptions import Conflict
from kehu.sales import selectors, services
from kehu.sales.models import OpportunityMove, PipelineStage
from kehu.sales.services import LineInput

pytestmark = pytest.mark.django_db

D = Decimal


def stage(code):
    return PipelineStage.objects.get(code=code)


def test_default_pipeline():
    assert [s.code for s in selectors.pipeline_stages()] == [
        "qualify", "needs_analysis", "proposal", "negotiation", "won", "lost",
    ]  # fmt: skip


def test_stage_moves_set_probability_and_close_and_reopen(rep, customer):
    with time_machine.travel(date(2026, 5, 1), tick=False):
        opp = services.opportunity_create(
            user=rep, customer=customer, name="年度茶礼采购", amount=D("50000")
        )
    assert (opp.stage.code, opp.probability, opp.closed_on) == ("qualify", 10, None)
    with time_machine.travel(date(2026, 5, 10), tick=False):
        opp = services.opportunity_move(user=rep, opportunity=opp, stage=stage("proposal"))
    assert (opp.probability, opp.weighted_amount) == (50, D("25000.00"))
    with time_machine.travel(date(2026, 5, 20), tick=False):
        opp = services.opportunity_move(
            user=rep, opportunity=opp, stage=stage("lost"), lost_reason="价格高于竞品"
        )
    assert (opp.probability, opp.closed_on, opp.lost_reason) == (
        0,
        date(2026, 5, 20),
        "价格高于竞品",
    )
    opp = services.opportunity_move(user=rep, opportunity=opp, stage=stage("negotiation"))
    assert opp.closed_on is None
    assert opp.probability == 75
    # a move to the same stage records nothing
    services.opportunity_move(user=rep, opportunity=opp, stage=stage("negotiation"))
    moves = OpportunityMove.objects.filter(opportunity=opp).order_by("id")
    assert [(m.from_stage and m.from_stage.code, m.to_stage.code) for m in moves] == [
        (None, "qualify"), ("qualify", "proposal"), ("proposal", "lost"), ("lost", "negotiation"),
    ]  # fmt: skip


def test_other_rep_cannot_move(rep, other_rep, customer):
    opp = services.opportunity_create(user=rep, customer=customer, name="x", amount=D(1))
    with pytest.raises(PermissionDenied):
        services.opportunity_move(user=other_rep, opportunity=opp, stage=stage("won"))


def test_won_opportunity_becomes_one_order_and_stays_won(rep, customer, product):
    opp = services.opportunity_create(user=rep, customer=customer, name="x", amount=D(500))
    with pytest.raises(Conflict):  # not won yet
        services.order_create(
            user=rep, customer=customer, lines=[LineInput(product, D(1))], opportunity=opp
        )
    opp = services.opportunity_move(user=rep, opportunity=opp, stage=stage("won"))
    order = services.order_create(
        user=rep, customer=customer, lines=[LineInput(product, D(5))], opportunity=opp
    )
    assert order.opportunity == opp
    with pytest.raises(Conflict):
        services.order_create(
            user=rep, customer=customer, lines=[LineInput(product, D(1))], opportunity=opp
        )
    with pytest.raises(Conflict):
        services.opportunity_move(user=rep, opportunity=opp, stage=stage("lost"))


@pytest.mark.parametrize(
    ("won", "lost", "rate"),
    [(0, 0, None), (1, 0, D("100.0")), (1, 2, D("33.3")), (2, 1, D("66.7"))],
)
def test_win_rate(won, lost, rate):
    assert selectors.win_rate(won, lost) == rate


def test_sales_performance_per_rep_and_team(rep, other_rep, admin_user, customer, product):
    # given: rep in team A, other_rep in team B, each with a customer
    team_a, team_b = TeamFactory(name="华东"), TeamFactory(name="华南")
    MembershipFactory(user=rep, team=team_a)
    MembershipFactory(user=other_rep, team=team_b)
    from kehu.customers import services as customer_services

    theirs = customer_services.customer_create(user=other_rep, kind="person", data={"name": "李娜"})
    with time_machine.travel(date(2026, 2, 10), tick=False):
        # an order before the period: customer is not new in March
        services.order_create(
            user=rep,
            customer=customer,
            lines=[LineInput(product, D(1))],
            ordered_on=date(2026, 2, 10),
        )
    with time_machine.travel(date(2026, 3, 15), tick=False):
        o1 = services.order_create(user=rep, customer=customer, lines=[LineInput(product, D(10))])
        services.order_create(user=other_rep, customer=theirs, lines=[LineInput(product, D(2))])
        services.payment_record(user=rep, order=o1, amount=D("300"))
        for outcome in ("won", "won", "lost"):
            opp = services.opportunity_create(
                user=rep, customer=customer, name=outcome, amount=D(1)
            )
            services.opportunity_move(
                user=rep, opportunity=opp, stage=stage(outcome), lost_reason="价格"
            )
        services.opportunity_create(
            user=other_rep, customer=theirs, name="open", amount=D(1000), stage=stage("proposal")
        )
        services.opportunity_create(user=rep, customer=customer, name="elsewhere", amount=D(400))
    # when
    report = selectors.sales_performance(
        user=admin_user, start=date(2026, 3, 1), end=date(2026, 3, 31)
    )
    # then
    rows = {r.label: r for r in report.rows}
    mine, theirs_row = rows[str(rep)], rows[str(other_rep)]
    assert (mine.orders, mine.revenue, mine.collected, mine.new_customers) == (
        1,
        D("999.90"),
        D("300.00"),
        0,
    )
    assert (mine.won, mine.lost, mine.win_rate, mine.pipeline_weighted) == (
        2,
        1,
        D("66.7"),
        D("40.00"),
    )
    assert (theirs_row.orders, theirs_row.revenue, theirs_row.new_customers) == (1, D("199.98"), 1)
    assert theirs_row.pipeline_weighted == D("500.00")
    assert report.total.revenue == D("1199.88")
    # per team
    teams = selectors.sales_performance(
        user=admin_user, start=date(2026, 3, 1), end=date(2026, 3, 31), group_by="team"
    )
    assert {r.label: r.revenue for r in teams.rows} == {"华东": D("999.90"), "华南": D("199.98")}
    # a rep's report covers only their own work
    own = selectors.sales_performance(user=rep, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert [r.label for r in own.rows] == [str(rep)]


def test_performance_counts_the_work_a_user_answers_for(rep, other_rep, make_user, product):
    # given: a manager of team A (rep's team); other_rep outside it; each sold once
    from kehu.customers import services as customer_services

    team_a = TeamFactory(name="华东")
    manager = make_user(username="manager")
    MembershipFactory(user=manager, team=team_a, is_manager=True)
    MembershipFactory(user=rep, team=team_a)
    mine = customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})
    theirs = customer_services.customer_create(user=other_rep, kind="person", data={"name": "李娜"})
    services.order_create(user=rep, customer=mine, lines=[LineInput(product, D(1))])
    services.order_create(user=other_rep, customer=theirs, lines=[LineInput(product, D(1))])
    # when: rep's customer is handed to other_rep afterwards
    customer_services.customer_assign(user=manager, customer=mine, owner=other_rep)
    today = timezone.localdate()

    def labels(user):
        report = selectors.sales_performance(user=user, start=today, end=today)
        return sorted(r.label for r in report.rows)

    # then: the sale still counts for rep, who took it; the manager sees the team's work only
    assert labels(rep) == [str(rep)]
    assert labels(manager) == [str(rep)]
    assert labels(other_rep) == [str(other_rep)]
