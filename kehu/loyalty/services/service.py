"""Service levels by tier: a member's case priority."""

from kehu.loyalty.models import (
    Member,
)

PRIORITY_STEPS = ["low", "normal", "high", "urgent"]


def case_priority_for(*, customer_id: int, priority: str) -> str:
    """The priority a new service case of the customer gets: raised by the member level's
    ``service_priority`` steps (a 钻石卡 complaint is answered first), never lowered. Called
    by ``kehu.service.services.case_open``; its SLA deadlines and queue place follow."""
    steps = (
        Member.objects.filter(customer_id=customer_id)
        .values_list("level__service_priority", flat=True)
        .first()
    )
    if not steps or priority not in PRIORITY_STEPS:
        return priority
    return PRIORITY_STEPS[min(PRIORITY_STEPS.index(priority) + steps, len(PRIORITY_STEPS) - 1)]
