from typing import Any

from django import template
from django.utils import timezone

from kehu.customers.selectors import customer_can_change
from kehu.sales import selectors

register = template.Library()


@register.inclusion_tag("sales/partials/customer_sales.html", takes_context=True)
def customer_sales(context: dict[str, Any], customer: Any) -> dict[str, Any]:
    """The sales cards of the 360° page: orders and lifetime totals, receivables with ageing,
    open opportunities. ``{% customer_sales customer %}``"""
    request = context["request"]
    can_change = context.get("can_change")
    if can_change is None:
        can_change = customer_can_change(user=request.user, customer=customer)
    return {
        "customer": customer,
        "summary": selectors.customer_sales_summary(customer=customer),
        "receivables": selectors.customer_receivables(
            customer=customer, as_of=timezone.localdate()
        ),
        "opportunities": selectors.customer_open_opportunities(customer=customer),
        "can_change": can_change,
    }
