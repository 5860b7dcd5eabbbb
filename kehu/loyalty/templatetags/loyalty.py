"""Loyalty's cards on other apps' pages: the member card on the 360° page, points on the order
page, care tasks on "my day". Each page has already checked that the viewer sees the customer."""

from typing import Any

from django import template
from django.utils import timezone

from kehu.core.access import can_manage_loyalty
from kehu.customers.selectors import customer_can_change
from kehu.loyalty import redemption, selectors
from kehu.loyalty.models import Level, Member

register = template.Library()


@register.inclusion_tag("loyalty/partials/member_card.html", takes_context=True)
def member_card(context: Any, customer: Any) -> dict[str, Any]:
    """``{% member_card customer %}``: level, progress to the next, balance, recent ledger."""
    user = context["request"].user
    card = selectors.member_card(customer=customer, today=timezone.localdate())
    may_enrol = False
    if card.member is None:
        # the 360° page has answered "may change" already (``can_change``)
        can_change = context.get("can_change")
        if can_change is None:
            can_change = customer_can_change(user=user, customer=customer)
        may_enrol = (can_change or can_manage_loyalty(user)) and Level.objects.exists()
    return {
        "customer": customer,
        "card": card,
        "can_enrol": may_enrol,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("loyalty/partials/order_points.html", takes_context=True)
def order_points(context: Any, order: Any) -> dict[str, Any]:
    """``{% order_points order %}``: the member's balance and a form to pay with points."""
    member = Member.objects.filter(customer_id=order.customer_id).select_related("level").first()
    return {
        "order": order,
        "member": member,
        "redeemable": redemption.redeemable(order=order, member=member) if member else 0,
        "can_change": context.get("can_change", False),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("loyalty/partials/my_care.html", takes_context=True)
def my_care_tasks(context: Any) -> dict[str, Any]:
    """``{% my_care_tasks %}``: the user's open care tasks ("my day")."""
    return {
        "care_tasks": selectors.care_tasks_mine(user=context["request"].user),
        "csrf_token": context.get("csrf_token"),
    }
