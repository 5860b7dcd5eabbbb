"""Earning, redeeming, expiry, reversal, levels and reconciliation of the points ledger."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from kehu.core.exceptions import Conflict
from kehu.customers import services as customer_services
from kehu.loyalty import redemption, services
from kehu.loyalty.models import EarnRule, Level, LevelChange, Member, PointsEntry
from kehu.sales import services as sales
from kehu.sales.services import LineInput

pytestmark = pytest.mark.django_db


def order(rep, customer, product, quantity="1", price=None, on=None):
    return sales.order_create(
        user=rep,
        customer=customer,
        lines=[
            LineInput(
                product=product,
                quantity=Decimal(quantity),
                unit_price=Decimal(price) if price else None,
            )
        ],
        ordered_on=on,
    )


def pay(rep, o, amount=None, on=None):
    return sales.payment_record(
        user=rep, order=o, amount=Decimal(amount or o.total_amount), received_on=on
    )


def test_the_first_paid_order_enrols_and_earns_a_point_per_yuan(programme, rep, customer, product):
    o = order(rep, customer, product, quantity="3")  # 300.00
    pay(rep, o)
    member = Member.objects.get(customer=customer)
    assert member.via == Member.Via.FIRST_ORDER
    assert member.card_number.startswith("VIP")
    assert member.points_balance == 300
    entry = PointsEntry.objects.get(member=member)
    assert (entry.kind, entry.points, entry.order_id) == ("earn", 300, o.pk)


def test_multipliers_weight_the_lines_and_round_down(programme, rep, customer, product):
    # given: the product earns double, a campaign 1.5×, and 0.5 point per yuan
    programme.points_per_yuan = Decimal("0.5")
    programme.save()
    EarnRule.objects.create(kind="product", product=product, multiplier=Decimal("2"))
    EarnRule.objects.create(kind="campaign", campaign="双十一", multiplier=Decimal("1.5"))
    o = order(rep, customer, product, quantity="1", price="33.33")
    # when
    pay(rep, o)
    # then: 33.33 × 0.5 × 2 × 1.5 = 49.995 → 49
    entry = PointsEntry.objects.get()
    assert entry.points == 49
    assert entry.campaign == "双十一"


def test_a_campaign_outside_its_dates_does_not_count(programme, rep, customer, product):
    EarnRule.objects.create(
        kind="campaign", campaign="春节", multiplier=Decimal("3"), ends_on=date(2020, 1, 1)
    )
    pay(rep, order(rep, customer, product))
    assert PointsEntry.objects.get().points == 100


def test_birthday_month_doubles(programme, rep, customer, product):
    customer.person.birth_date = date(1990, 5, 20)
    customer.person.save()
    with time_machine.travel("2026-05-03", tick=False):
        pay(rep, order(rep, customer, product))
    assert PointsEntry.objects.get().points == 200


def test_spending_upgrades_at_once(programme, rep, customer, product):
    pay(rep, order(rep, customer, product, quantity="2"))
    assert Member.objects.get(customer=customer).level.code == "normal"
    pay(rep, order(rep, customer, product, quantity="10"))  # 1200 yuan in all: silver
    member = Member.objects.get(customer=customer)
    assert member.level.code == "silver"
    reasons = list(LevelChange.objects.filter(member=member).values_list("reason", flat=True))
    assert sorted(reasons) == ["enrolled", "upgrade"]


def test_redeeming_never_overdraws_and_reversal_gives_back(programme, rep, customer, product):
    pay(rep, order(rep, customer, product, quantity="2"))  # 200 points
    member = Member.objects.get(customer=customer)
    services.points_redeem(user=rep, member=member, points=150, reason="赠品")
    with pytest.raises(Conflict):
        services.points_redeem(user=rep, member=member, points=51)
    member.refresh_from_db()
    assert member.points_balance == 50


def test_points_pay_part_of_an_order_and_come_back_when_reversed(programme, rep, customer, product):
    pay(rep, order(rep, customer, product, quantity="60"))  # 6000 points
    second = order(rep, customer, product, quantity="1")  # 100 yuan
    member = Member.objects.get(customer=customer)
    assert redemption.redeemable(order=second, member=member) == 5000  # 50 yuan at 0.01
    payment = redemption.order_points_redeem(user=rep, order=second, points=3000)
    assert payment.method == "points"
    assert payment.amount == Decimal("30.00")
    member.refresh_from_db()
    assert member.points_balance == 3000
    with pytest.raises(ValidationError):
        redemption.order_points_redeem(user=rep, order=second, points=2001)  # over 50 %
    # paying with points earns nothing
    assert not PointsEntry.objects.filter(payment=payment, kind="earn").exists()
    sales.payment_reverse(user=rep, payment=payment, reason="顾客改主意")
    member.refresh_from_db()
    assert member.points_balance == 6000
    second.refresh_from_db()
    sales.order_cancel(user=rep, order=second)


def test_a_points_payment_cannot_be_recorded_by_hand(programme, rep, customer, product):
    with pytest.raises(ValidationError):
        sales.payment_record(
            user=rep, order=order(rep, customer, product), amount=Decimal("1"), method="points"
        )


def test_a_refund_takes_the_points_back(programme, rep, customer, product):
    o = order(rep, customer, product, quantity="2")
    payment = pay(rep, o)
    sales.payment_reverse(user=rep, payment=payment, reason="退款")
    member = Member.objects.get(customer=customer)
    assert member.points_balance == 0
    kinds = sorted(PointsEntry.objects.values_list("kind", "points"))
    assert kinds == [("earn", 200), ("reverse", -200)]
    # reversing twice is not possible in sales; the hook is idempotent anyway
    services.order_payment_reversed(payment=payment, user=rep)
    assert PointsEntry.objects.count() == 2


def test_a_refund_of_points_already_spent_takes_back_what_is_left(
    programme, rep, customer, product
):
    payment = pay(rep, order(rep, customer, product, quantity="2"))
    member = Member.objects.get(customer=customer)
    services.points_redeem(user=rep, member=member, points=150)
    sales.payment_reverse(user=rep, payment=payment, reason="退款")
    member.refresh_from_db()
    assert member.points_balance == 0
    assert PointsEntry.objects.get(kind="reverse").points == -50


def test_expiry_at_the_end_of_the_year_after_earning(programme, rep, customer, product):
    with time_machine.travel("2024-06-01", tick=False):
        pay(rep, order(rep, customer, product, quantity="3"))  # 300 in 2024
    member = Member.objects.get(customer=customer)
    with time_machine.travel("2025-03-01", tick=False):
        pay(rep, order(rep, customer, product, quantity="1"))  # 100 in 2025
        services.points_redeem(user=rep, member=member, points=120)  # spends 2024's first
    assert services.points_expire(today=date(2025, 12, 31)) == 0  # 2024's live through 2025
    assert services.points_expire(today=date(2026, 1, 1)) == 180
    assert services.points_expire(today=date(2026, 1, 2)) == 0  # idempotent
    member.refresh_from_db()
    assert member.points_balance == 100
    assert services.points_expire(today=date(2027, 1, 1)) == 100


def test_downgrade_at_the_review_date_with_a_grace_period(programme, rep, customer, product):
    with time_machine.travel("2025-02-01", tick=False):
        pay(rep, order(rep, customer, product, quantity="60"))  # gold
    member = Member.objects.get(customer=customer)
    assert member.level.code == "gold"
    # not the review date: nothing happens
    assert services.levels_review(today=date(2026, 3, 1))["reviewed"] == 0
    # review on 1 Jan 2026: spending of the last 12 months still counts → kept
    services.levels_review(today=date(2026, 1, 1))
    member.refresh_from_db()
    assert member.level.code == "gold"
    # review on 1 Jan 2027: nothing spent in 2026 → normal
    counts = services.levels_review(today=date(2027, 1, 1))
    member.refresh_from_db()
    assert member.level.code == "normal"
    assert counts["downgraded"] == 1


def test_grace_keeps_a_level_reached_shortly_before_the_review(programme, rep, customer, product):
    with time_machine.travel("2025-12-01", tick=False):
        pay(rep, order(rep, customer, product, quantity="12"))  # silver on 1 Dec
    member = Member.objects.get(customer=customer)
    member.level_since = date(2026, 11, 15)  # pretend the level was reached again recently
    member.save()
    counts = services.levels_review(today=date(2027, 1, 1))
    member.refresh_from_db()
    assert member.level.code == "silver"
    assert counts["kept"] == 1


def test_reconciliation_finds_a_balance_that_disagrees(programme, rep, customer, product):
    pay(rep, order(rep, customer, product))
    assert services.ledger_reconcile().mismatches == []
    Member.objects.update(points_balance=7)
    found = services.ledger_reconcile().mismatches
    assert (found[0]["balance"], found[0]["ledger"]) == (7, 100)


def test_settings_changes_are_audited(programme, admin_user, rep):
    from kehu.core.models import AuditEvent

    services.programme_update(user=admin_user, data={"grace_days": 30})
    event = AuditEvent.objects.get(action="settings_changed", object_type="loyalty.programme")
    assert event.detail == {"changed": ["grace_days"]}
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.programme_update(user=rep, data={"grace_days": 1})
    with pytest.raises(PermissionDenied):
        services.level_save(user=rep, data={"name": "x"}, level=Level.objects.first())


def test_a_diamond_members_complaint_is_answered_first(programme, rep, agent, customer):
    from kehu.loyalty.models import Level
    from kehu.service import services as service

    # given: a 钻石卡 member (service priority 2) and a customer who is not a member
    member = services.member_enrol(user=rep, customer=customer)
    Member.objects.filter(pk=member.pk).update(level=Level.objects.get(code="diamond"))
    other = customer_services.customer_create(user=rep, kind="person", data={"name": "普通客户"})
    # when: both complain at normal priority
    diamond_case = service.case_open(
        user=agent, customer=customer, type="complaint", subject="漏发", description="少一盒"
    )
    plain_case = service.case_open(
        user=agent, customer=other, type="complaint", subject="漏发", description="少一盒"
    )
    # then: the member's case is urgent and due first
    assert (diamond_case.priority, plain_case.priority) == ("urgent", "normal")
    assert diamond_case.response_due_at < plain_case.response_due_at


def test_points_recomputed_from_the_order_lines(programme, rep, customer, product):
    from kehu.loyalty import recompute
    from kehu.sales.tests.factories import ProductFactory

    # given: 0.5 point per yuan, a product that earns double, a cancelled order
    programme.points_per_yuan = Decimal("0.5")
    programme.save()
    double = ProductFactory.create(code="TEA-02", name="碧螺春", list_price=Decimal("33.33"))
    EarnRule.objects.create(kind="product", product=double, multiplier=Decimal("2"))
    other = customer_services.customer_create(user=rep, kind="person", data={"name": "刘芳"})
    order(rep, customer, product, quantity="3")  # 300 × 0.5 = 150
    order(rep, customer, double, quantity="1")  # 33.33 × 0.5 × 2 = 33.33 → 33
    sales.order_cancel(user=rep, order=order(rep, other, product))
    order(rep, other, double, quantity="2")  # 66.66 → 66
    # when: in this process, and asked for two processes inside a transaction (read here too)
    ids, points, read = recompute.points_for_lines()
    again = recompute.points_for_lines(workers=2)
    # then: per line, rounded down, the cancelled order left out
    assert dict(zip(ids.tolist(), points.tolist(), strict=True)) == {
        customer.pk: 183,
        other.pk: 66,
    }
    assert read == 3
    assert again[0].tolist() == ids.tolist()
    assert again[1].tolist() == points.tolist()


def test_key_ranges_cover_every_id_once():
    from kehu.loyalty.recompute import _ranges

    assert _ranges(1, 10, 3) == [(1, 4), (5, 8), (9, 10)]
    assert _ranges(5, 5, 4) == [(5, 5)]
    spans = _ranges(17, 1_000_003, 7)
    assert spans[0][0] == 17
    assert spans[-1][1] == 1_000_003
    assert all(a[1] + 1 == b[0] for a, b in zip(spans, spans[1:], strict=False))
