from typing import Any

from django import template
from django.utils import timezone

from kehu.core.access import can_record_feedback, can_work_cases
from kehu.service.selectors import cases_open_of, customer_service

register = template.Library()

CALLER_CASES = 5


@register.inclusion_tag("service/partials/customer_cards.html", takes_context=True)
def customer_service_cards(context: dict[str, Any], customer: Any) -> dict[str, Any]:
    """The service cards of the 360° page: open cases, satisfaction, feedback."""
    user = context["request"].user
    return {
        "customer": customer,
        "service": customer_service(customer=customer),
        "can_work": can_work_cases(user),
        "can_feedback": can_record_feedback(user),
        "now": timezone.now(),
    }


@register.simple_tag
def open_cases_of(customer: Any) -> list[Any]:
    """The customer's open cases for the screen-pop (the lookup already scoped the customer)."""
    return list(cases_open_of(customer)[:CALLER_CASES])
