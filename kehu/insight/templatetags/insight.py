from typing import Any

from django import template

from kehu.insight.selectors import scores_for_customer

register = template.Library()


@register.inclusion_tag("insight/partials/customer_propensity.html")
def customer_propensity(customer: Any) -> dict[str, Any]:
    """The 360° page's "likely to need" card: ``{% customer_propensity customer %}`` (the page
    has already checked that the viewer may see the customer)."""
    return {"scores": list(scores_for_customer(customer_id=customer.pk)[:5])}
