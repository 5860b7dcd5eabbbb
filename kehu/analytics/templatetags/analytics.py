from typing import Any

from django import template
from django.utils import timezone

from kehu.analytics.models import CustomerValue
from kehu.analytics.selectors import monthly_spend

register = template.Library()


def _sparkline(values: list[float], width: int = 120, height: int = 32) -> str:
    """Polyline points for an inline SVG (server-drawn: no script needed)."""
    top = max(values) or 1.0
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values)
    )


@register.inclusion_tag("analytics/partials/customer_value_card.html")
def customer_value(customer: Any) -> dict[str, Any]:
    """The 360° page's value card: ``{% customer_value customer %}`` (the page has already
    checked that the viewer may see the customer)."""
    value = CustomerValue.objects.filter(customer_id=customer.pk).first()
    spend = monthly_spend(customer=customer, today=timezone.localdate()) if value else []
    return {
        "customer": customer,
        "value": value,
        "spend": spend,
        "sparkline": _sparkline(spend) if spend else "",
    }
