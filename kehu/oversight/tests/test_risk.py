"""Every risk rule on a known-answer fixture (time frozen at 2026-06-15), levels and reasons,
and alerts once per change."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.customers import services as customer_services
from kehu.interactions.models import Notification
from kehu.oversight import risk
from kehu.oversight.models import CustomerRisk, RiskAlert, RiskLevel, RiskRule
from kehu.oversight.rules import reason_text, rules_all
from kehu.oversight.tests.conftest import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def _rule(code):
    rules_all()
    return RiskRule.objects.get(code=code)


def _only(code):
    rules_all()
    RiskRule.objects.exclude(code=code).update(enabled=False)


def test_overdue_counts_open_amounts_older_than_n_days(org, sell):
    # given: 1,000 open for 70 days, 500 open for 10 days, 300 fully paid 100 days ago
    sell(org, "1000", TODAY - timedelta(days=70), paid="200")
    sell(org, "500", TODAY - timedelta(days=10))
    sell(org, "300", TODAY - timedelta(days=100), paid="300")
    # when
    hits = risk.rule_overdue(_rule("overdue"), TODAY, None)
    # then: only the 800 left on the 70-day-old order is overdue (over 60 days)
    assert hits == {org.pk: {"overdue": "800.00", "oldest_days": 70, "over_days": 60}}


def test_overdue_above_an_amount_only(org, sell):
    sell(org, "1000", TODAY - timedelta(days=70))
    rule = _rule("overdue")
    rule.amount = Decimal("1000")
    assert risk.rule_overdue(rule, TODAY, None) == {}
    rule.amount = Decimal("999.99")
    assert org.pk in risk.rule_overdue(rule, TODAY, None)


def test_credit_limit_used_above_percent(org, sell):
    org.organization.credit_limit = Decimal("1000")
    org.organization.save()
    sell(org, "850", TODAY - timedelta(days=5))
    rule = _rule("credit")  # 90 % by default
    assert risk.rule_credit(rule, TODAY, None) == {}
    sell(org, "100", TODAY)
    hits = risk.rule_credit(rule, TODAY, None)
    assert hits[org.pk] == {
        "outstanding": "950.00",
        "limit": "1000.00",
        "percent": 95.0,
        "exceeded": False,
    }


def test_decline_from_orders_against_previous_period(org, sell):
    # given: 1,000 in the 90 days before the last 90, 400 in the last 90 (a 60 % fall)
    sell(org, "1000", TODAY - timedelta(days=120))
    sell(org, "400", TODAY - timedelta(days=30))
    rule = _rule("decline")  # 90 days, 50 %
    hits = risk.rule_decline(rule, TODAY, None)
    assert hits[org.pk] == {"recent": "400.00", "previous": "1000.00", "fall": 60.0, "days": 90}
    rule.percent = Decimal(61)
    assert risk.rule_decline(rule, TODAY, None) == {}


def test_complaints_and_low_ratings_within_period(org, agent):
    from kehu.service import services as case_services

    rule = _rule("complaints")  # 2 within 90 days
    case = case_services.case_open(
        user=agent, customer=org, type="complaint", subject="漏发", description="少了一箱"
    )
    assert risk.rule_complaints(rule, TODAY, None) == {}
    case_services.case_transition(user=agent, case=case, to_status="resolved", resolution="补发")
    case_services.case_rate(user=agent, case=case, score=2)
    hits = risk.rule_complaints(rule, TODAY, None)
    assert hits[org.pk] == {"complaints": 1, "low_ratings": 1, "days": 90}


def test_slipping_a_tier_with_low_p_alive(org):
    from kehu.analytics.models import CustomerValue

    CustomerValue.objects.create(
        customer=org,
        first_purchase_on=date(2025, 1, 1),
        last_purchase_on=date(2025, 6, 1),
        purchase_days=5,
        orders=5,
        revenue=Decimal("50000"),
        average_order_value=Decimal("10000"),
        recency_days=379,
        r_score=1,
        f_score=5,
        m_score=5,
        segment="important_win_back",
        revenue_rank=1,
        cumulative_share=0.5,
        tier="A",
        suggested_grade="important",
        p_alive=0.2,
        clv_12=Decimal("1200"),
        spend_90=0,
        spend_prev_90=0,
        spend_365=0,
        spend_prev_365=Decimal("50000"),
        computed_at=timezone.now(),
    )
    hits = risk.rule_slipping(_rule("slipping"), TODAY, None)
    assert hits[org.pk] == {"p_alive": 20.0, "clv": "1200.00", "last_purchase": "2025-06-01"}


def test_org_change_of_legal_representative(org, rep):
    customer_services.customer_update(
        user=rep, customer=org, data={"organization.legal_representative": "王强"}
    )
    # The first value (from empty) is not a change of the facts…
    assert risk.rule_org_change(_rule("org_change"), TODAY, None) == {}
    customer_services.customer_update(
        user=rep, customer=org, data={"organization.legal_representative": "李明"}
    )
    hits = risk.rule_org_change(_rule("org_change"), TODAY, None)
    assert hits[org.pk] == {"fields": ["organization.legal_representative"], "on": "2026-06-15"}
    text = reason_text({"rule": "org_change", "figures": hits[org.pk]})
    assert "legal representative" in text


def test_silence_of_an_important_customer(org, rep):
    from kehu.customers.models import Customer
    from kehu.interactions.models import Interaction

    Customer.objects.filter(pk=org.pk).update(
        grade="important", created_at=timezone.now() - timedelta(days=200)
    )
    hits = risk.rule_silence(_rule("silence"), TODAY, None)
    assert hits[org.pk] == {"days": None, "last": None, "over_days": 60}
    Interaction.objects.create(
        customer=org,
        type="call",
        occurred_at=timezone.now() - timedelta(days=61),
        user=rep,
        summary="问候",
    )
    assert risk.rule_silence(_rule("silence"), TODAY, None)[org.pk]["days"] == 61
    Interaction.objects.create(
        customer=org,
        type="call",
        occurred_at=timezone.now() - timedelta(days=59),
        user=rep,
        summary="问候",
    )
    assert risk.rule_silence(_rule("silence"), TODAY, None) == {}


def test_level_is_the_highest_hit_and_reasons_are_kept(org, sell):
    org.organization.credit_limit = Decimal("1000")
    org.organization.save()
    sell(org, "1500", TODAY - timedelta(days=70))
    rule = _rule("credit")
    rule.level = RiskLevel.MEDIUM
    rule.save()
    result = risk.risk_compute(today=TODAY)
    row = CustomerRisk.objects.get(customer=org)
    assert row.level == RiskLevel.HIGH  # the overdue rule's level
    assert sorted(r["rule"] for r in row.reasons) == ["credit", "overdue"]
    assert row.rules == ",credit,overdue,"
    assert result.at_risk == 1


def test_alert_once_per_change_to_owner_and_manager(org, sell, rep, manager):
    _only("overdue")
    sell(org, "1000", TODAY - timedelta(days=70))
    # when: computed twice
    risk.risk_compute(today=TODAY)
    risk.risk_compute(today=TODAY)
    # then: one alert, one notification each for the owner and the team's manager
    assert RiskAlert.objects.filter(customer=org).count() == 1
    assert Notification.objects.filter(user=rep).count() == 1
    assert Notification.objects.filter(user=manager).count() == 1
    # when the customer pays, the risk goes; when it comes back, that is a new change
    order = org.orders.get()
    from kehu.sales import services as sales_services

    payment = sales_services.payment_record(
        user=rep, order=order, amount=Decimal("1000"), received_on=TODAY
    )
    risk.risk_compute(today=TODAY)
    assert not CustomerRisk.objects.filter(customer=org).exists()
    sales_services.payment_reverse(user=rep, payment=payment, reason="退票")
    risk.risk_compute(today=TODAY)
    assert RiskAlert.objects.filter(customer=org).count() == 2


def test_no_storm_many_alerts_one_notification(rep, team, sell, make_user):
    from kehu.customers.tests.factories import make_organization

    _only("overdue")
    for i in range(7):
        sell(make_organization(rep, name=f"公司{i}"), "100", TODAY - timedelta(days=90))
    risk.risk_compute(today=TODAY)
    assert RiskAlert.objects.count() == 7
    notes = Notification.objects.filter(user=rep)
    assert notes.count() == 1
    assert "7" in notes.get().text


def test_alerts_for_more_customers_than_one_query_binds_reach_every_owner(
    rep, other_rep, sell, monkeypatch
):
    from kehu.customers.tests.factories import make_organization
    from kehu.oversight import alerts

    monkeypatch.setattr(alerts, "ID_SLICE", 2)  # 142,208 alerts at 1,000,000 customers
    _only("overdue")
    for i, owner in enumerate([rep, rep, other_rep, other_rep, rep]):
        customer = make_organization(owner, name=f"公司{i}")
        sell(customer, "100", TODAY - timedelta(days=90), user=owner)
    risk.risk_compute(today=TODAY)
    assert RiskAlert.objects.count() == 5
    assert Notification.objects.filter(user=rep).count() == 3  # one per customer, no storm
    assert Notification.objects.filter(user=other_rep).count() == 2


def test_incremental_run_picks_up_new_payments(org, sell, rep):
    _only("overdue")
    order = sell(org, "1000", TODAY - timedelta(days=70))
    first = risk.risk_run(full=False)  # no run before: the whole archive
    assert first.full
    assert CustomerRisk.objects.filter(customer=org).exists()
    from kehu.sales import services as sales_services

    sales_services.payment_record(user=rep, order=order, amount=Decimal("1000"), received_on=TODAY)
    second = risk.risk_run(full=False)
    assert not second.full
    assert not CustomerRisk.objects.filter(customer=org).exists()
