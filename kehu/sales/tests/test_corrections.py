"""Correctable sales records: orders before delivery, payments reversed or corrected (never
deleted), opportunities' details and owner, a lost reason required; each change kept with who
and why, and the daily sales summary equal to a rebuild from the rows afterwards."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.accounts.models import Role
from kehu.core.exceptions import Conflict
from kehu.sales import selectors, services
from kehu.sales.models import (
    Opportunity,
    Order,
    Payment,
    PipelineStage,
    SalesCorrection,
    SalesDaily,
)
from kehu.sales.services import LineInput
from kehu.sales.summary import summary_rebuild
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 3, 20)


def _summary():
    rows = SalesDaily.objects.values_list(
        "day", "owner_id", "team_id", "currency", "orders", "revenue", "new_customers",
        "collected", "won", "lost",
    )  # fmt: skip
    totals: dict[tuple, list] = {}
    for day, owner, team, currency, *facts in rows:
        key = (day, owner, team, currency)
        totals[key] = [a + b for a, b in zip(totals.get(key, [0] * 6), facts, strict=True)]
    return {k: v for k, v in totals.items() if any(v)}


def _assert_summary_equals_rebuild():
    maintained = _summary()
    summary_rebuild()
    assert _summary() == maintained


@pytest.fixture
def order(rep, customer, product):
    with time_machine.travel(TODAY, tick=False):
        return services.order_create(
            user=rep, customer=customer, lines=[LineInput(product, D(10))],
            ordered_on=date(2026, 3, 10),
        )  # fmt: skip


def stage(code):
    return PipelineStage.objects.get(code=code)


def test_an_order_is_corrected_with_who_and_why_and_the_summary_follows(rep, order, product):
    # given: 10 × 99.99 on 10 March
    other = ProductFactory.create(code="CUP-02", name="茶杯", list_price=D("12.50"))
    # when: the rep re-prices it with a discount, adds a line and moves the date
    with time_machine.travel(TODAY, tick=False):
        services.order_update(
            user=rep, order=order, reason="客户要求九折",
            lines=[LineInput(product, D(10), D("90.00"), D(10)), LineInput(other, D(2))],
            ordered_on=date(2026, 3, 12),
        )  # fmt: skip
    # then
    order.refresh_from_db()
    assert order.total_amount == D("835.00")  # 10 × 90 × 0.9 + 2 × 12.50
    assert [(line.product.code, line.amount) for line in order.lines.all()] == [
        ("TEA-01", D("810.00")), ("CUP-02", D("25.00")),
    ]  # fmt: skip
    correction = SalesCorrection.objects.get(order=order)
    assert (correction.kind, correction.changed_by, correction.reason) == (
        "order",
        rep,
        "客户要求九折",
    )
    assert correction.changes["total_amount"] == ["999.9", "835"]
    assert correction.changes["ordered_on"] == ["2026-03-10", "2026-03-12"]
    assert "CUP-02" in correction.changes["lines"][1]
    days = {k[0]: v for k, v in _summary().items()}
    assert date(2026, 3, 10) not in days
    assert days[date(2026, 3, 12)][:2] == [1, D("835.00")]
    _assert_summary_equals_rebuild()


def test_an_order_correction_needs_a_reason_and_an_undelivered_order(rep, order, product):
    with pytest.raises(ValidationError) as caught:
        services.order_update(user=rep, order=order, reason=" ", lines=[LineInput(product, D(1))])
    assert "reason" in caught.value.message_dict
    services.order_mark_delivered(user=rep, order=order)
    with pytest.raises(Conflict):
        services.order_update(user=rep, order=order, reason="改", lines=[LineInput(product, D(1))])
    assert Order.objects.get(pk=order.pk).total_amount == D("999.90")


def test_an_order_cannot_drop_below_what_was_paid(rep, order, product):
    with time_machine.travel(TODAY, tick=False):
        services.payment_record(user=rep, order=order, amount=D("500"))
        with pytest.raises(ValidationError) as caught:
            services.order_update(
                user=rep, order=order, reason="改", lines=[LineInput(product, D(1))]
            )
    assert "Reverse the payment first" in str(caught.value)
    assert not SalesCorrection.objects.exists()


def test_another_rep_may_not_correct_the_order(other_rep, order, product):
    with pytest.raises(PermissionDenied):
        services.order_update(
            user=other_rep, order=order, reason="改", lines=[LineInput(product, D(1))]
        )


def test_a_payment_is_reversed_not_deleted_and_receivable_and_summary_stay_exact(
    rep, order, customer
):
    with time_machine.travel(TODAY, tick=False):
        payment = services.payment_record(
            user=rep, order=order, amount=D("300"), received_on=date(2026, 3, 15)
        )
        # when
        services.payment_reverse(user=rep, payment=payment, reason="重复录入")
        # then: still there, marked, and the order owes the whole amount again
        payment.refresh_from_db()
        assert payment.is_reversed
        assert payment.reversed_by == rep
        assert payment.reversal_reason == "重复录入"
        order.refresh_from_db()
        assert (order.paid_amount, order.outstanding) == (D("0.00"), D("999.90"))
        [receivable] = selectors.customer_receivables(customer=customer)
        assert receivable.outstanding == D("999.90")
        assert {k[0]: v for k, v in _summary().items()}.get(date(2026, 3, 15)) is None
        with pytest.raises(Conflict):
            services.payment_reverse(user=rep, payment=payment, reason="again")
    _assert_summary_equals_rebuild()


def test_a_reversal_needs_a_reason(rep, order):
    with time_machine.travel(TODAY, tick=False):
        payment = services.payment_record(user=rep, order=order, amount=D("300"))
    with pytest.raises(ValidationError):
        services.payment_reverse(user=rep, payment=payment, reason="")
    assert not Payment.objects.get(pk=payment.pk).is_reversed


def test_a_payment_is_corrected_by_a_linked_new_one(rep, order):
    with time_machine.travel(TODAY, tick=False):
        wrong = services.payment_record(
            user=rep, order=order, amount=D("300"), received_on=date(2026, 3, 15)
        )
        right = services.payment_correct(
            user=rep, payment=wrong, reason="金额录错", amount=D("30"),
            received_on=date(2026, 3, 16), method="cash",
        )  # fmt: skip
    wrong.refresh_from_db()
    order.refresh_from_db()
    assert wrong.is_reversed
    assert wrong.corrected_by == right
    assert order.paid_amount == D("30.00")
    correction = SalesCorrection.objects.get(payment=wrong)
    assert correction.kind == "payment_corrected"
    assert correction.changes["amount"] == ["300", "30"]
    days = {k[0]: v for k, v in _summary().items()}
    assert days[date(2026, 3, 16)][3] == D("30.00")
    assert date(2026, 3, 15) not in days
    _assert_summary_equals_rebuild()


def test_a_refused_correction_writes_nothing(rep, order):
    with time_machine.travel(TODAY, tick=False):
        wrong = services.payment_record(user=rep, order=order, amount=D("300"))
        with pytest.raises(ValidationError):  # more than the order
            services.payment_correct(
                user=rep, payment=wrong, reason="x", amount=D("5000"), received_on=TODAY,
                method="cash",
            )  # fmt: skip
    assert not Payment.objects.get(pk=wrong.pk).is_reversed
    assert Order.objects.get(pk=order.pk).paid_amount == D("300.00")


def test_a_lost_reason_is_required(rep, customer):
    opp = services.opportunity_create(user=rep, customer=customer, name="年度采购", amount=D(5000))
    with pytest.raises(ValidationError) as caught:
        services.opportunity_move(user=rep, opportunity=opp, stage=stage("lost"), lost_reason=" ")
    assert "lost_reason" in caught.value.message_dict
    assert Opportunity.objects.get(pk=opp.pk).stage.code != "lost"
    with pytest.raises(ValidationError):
        services.opportunity_create(
            user=rep, customer=customer, name="x", amount=D(1), stage=stage("lost")
        )
    services.opportunity_move(user=rep, opportunity=opp, stage=stage("lost"), lost_reason="价格")
    assert Opportunity.objects.get(pk=opp.pk).lost_reason == "价格"
    with pytest.raises(ValidationError):
        services.opportunity_update(user=rep, opportunity=opp, data={"lost_reason": ""})


def test_an_opportunity_is_edited_and_handed_to_another_owner(rep, make_user, customer):
    manager = make_user(Role.ADMIN)
    with time_machine.travel(TODAY, tick=False):
        opp = services.opportunity_create(user=rep, customer=customer, name="年度采购", amount=D(5))
        services.opportunity_move(user=rep, opportunity=opp, stage=stage("won"))
        services.opportunity_update(
            user=rep, opportunity=opp, reason="合同金额",
            data={"amount": D("12000"), "probability": 100, "expected_close_on": TODAY,
                  "competitors": "金蝶"},
        )  # fmt: skip
        services.opportunity_update(
            user=rep, opportunity=opp, data={"owner": manager}, reason="交接"
        )
    opp.refresh_from_db()
    assert (opp.amount, opp.owner, opp.competitors) == (D("12000.00"), manager, "金蝶")
    changes = [c.changes for c in selectors.corrections_of(opportunity=opp)]
    assert changes[0] == {"owner": [str(rep), str(manager)]}
    assert changes[1]["amount"] == ["5", "12000"]
    # the won count moved to the new owner
    won = {k[1]: v[4] for k, v in _summary().items()}
    assert won == {manager.pk: 1}
    _assert_summary_equals_rebuild()


def test_an_opportunity_cannot_go_to_someone_who_may_not_change_the_customer(
    rep, other_rep, customer
):
    opp = services.opportunity_create(user=rep, customer=customer, name="x", amount=D(5))
    with pytest.raises(ValidationError):
        services.opportunity_update(user=rep, opportunity=opp, data={"owner": other_rep})
    with pytest.raises(PermissionDenied):
        services.opportunity_update(user=other_rep, opportunity=opp, data={"amount": D(1)})


def test_a_product_change_is_kept(archivist, product):
    services.product_save(
        user=archivist, code=product.code, product=product, data={"list_price": D("109.00")}
    )
    correction = SalesCorrection.objects.get(product=product)
    assert correction.changes == {"list_price": ["99.99", "109"]}
    assert correction.changed_by == archivist
