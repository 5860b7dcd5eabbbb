"""Paying part of an order with points (积分抵现): the ledger's debit and the sales payment it
becomes, in one transaction.

It lives apart from ``services`` because it calls ``kehu.sales.services`` (which calls the
loyalty hooks in ``services``): ``redemption`` → ``sales.services`` → ``loyalty.services``
is a line, not a cycle.
"""

from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.exceptions import Conflict
from kehu.loyalty import services
from kehu.loyalty.models import Member, PointsEntry
from kehu.sales import services as sales_services
from kehu.sales.models import Order, Payment


def redeemable(*, order: Order, member: Member) -> int:
    """The most points that may go towards ``order`` now: its outstanding amount within the
    programme's share, and the member's balance."""
    programme = services.programme_get()
    if order.status == Order.Status.CANCELLED or programme.point_value <= 0:
        return 0
    already = sum(
        p.amount
        for p in Payment.objects.filter(
            order=order, method=services.POINTS_METHOD, reversed_at__isnull=True
        )
    )
    cap = order.total_amount * programme.max_redeem_percent / 100 - already
    money = min(order.outstanding, max(cap, Decimal("0")))
    points = int((money / programme.point_value).to_integral_value(rounding=ROUND_DOWN))
    return max(0, min(points, member.points_balance))


@transaction.atomic
def order_points_redeem(*, user: User, order: Order, points: int) -> Payment:
    """Take ``points`` off the member's balance and record them as a payment on ``order``
    (method "points"); reversing that payment gives the points back. ``Conflict`` when the
    balance or the order does not allow it, also when two redemptions race."""
    order = Order.objects.select_for_update().select_related("customer").get(pk=order.pk)
    services.require_member_change(user, order.customer)
    member = Member.objects.filter(customer_id=order.customer_id).first()
    if member is None:
        raise Conflict(_("The customer is not a member."))
    if points <= 0:
        raise ValidationError({"points": [_("Redeem at least 1 point.")]})
    if points > redeemable(order=order, member=member):
        member.refresh_from_db(fields=["points_balance"])
        if points > member.points_balance:
            raise Conflict(_("Not enough points."))
        raise ValidationError(
            {
                "points": [
                    _("At most %(n)s points may go towards this order.")
                    % {"n": redeemable(order=order, member=member)}
                ]
            }
        )
    entry: PointsEntry = services.points_redeem(
        user=user,
        member=member,
        points=points,
        order=order,
        reason=_("Towards order %(order)s") % {"order": order.number},
    )
    amount = (Decimal(points) * services.programme_get().point_value).quantize(Decimal("0.01"))
    payment = sales_services.payment_record(
        user=user,
        order=order,
        amount=amount,
        method=services.POINTS_METHOD,
        reference=f"points:{entry.pk}",
        redemption=True,
    )
    services.redemption_payment_link(entry=entry, payment=payment)
    return payment
