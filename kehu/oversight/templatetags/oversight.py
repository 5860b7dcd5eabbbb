"""The 360° page's risk and review card, and labels for the oversight pages."""

from typing import Any

from django import template

from kehu.customers.models import Customer
from kehu.oversight import selectors
from kehu.oversight.rules import _fact_label

register = template.Library()


@register.filter
def fact_label(code: str) -> str:
    return _fact_label(code)


@register.filter
def fact_value(value: str, code: str) -> str:
    """A stored value as shown: the label of a grade or stage, else the value."""
    if code == "grade" and value in Customer.Grade.values:
        return str(Customer.Grade(value).label)
    if code == "lifecycle_stage" and value in Customer.Stage.values:
        return str(Customer.Stage(value).label)
    return value


@register.inclusion_tag("oversight/partials/customer_card.html")
def customer_risk(customer: Customer) -> dict[str, Any]:
    """``{% customer_risk customer %}``: the 360° page's risk and review card, loaded after the
    page (htmx) so the page's own queries stay few."""
    return {"customer": customer}


@register.filter
def pct(value: Any) -> str:
    """A share as "12.5%", or "—" when there is none."""
    return "—" if value is None else f"{value}%"


@register.inclusion_tag("oversight/partials/my_day_reviews.html")
def my_reviews_due(user: Any) -> dict[str, Any]:
    """ "My day": how many of the user's own customers are due (or overdue) for review."""
    from django.utils import timezone

    return {"due": selectors.own_reviews_due_count(user=user, today=timezone.localdate())}
