"""Every write of intake: call events, lead assignment, web forms and their submissions.

Integrations act as the system (``user=None`` in the archive's services): a call event or a
form submission is not limited by anyone's record scope. Whoever calls these has authenticated
the integration (a token whose user may log contacts) or is the public form's edge (rate limit,
honeypot, size limit already applied).
"""

from kehu.intake.services.calls import CallResult, call_event_receive
from kehu.intake.services.forms import web_form_save, web_form_submit
from kehu.intake.services.leads import (
    lead_assignment_save,
    lead_handover_decide,
    lead_routing_rule_delete,
    lead_routing_rule_save,
)

__all__ = [
    "CallResult",
    "call_event_receive",
    "lead_assignment_save",
    "lead_handover_decide",
    "lead_routing_rule_delete",
    "lead_routing_rule_save",
    "web_form_save",
    "web_form_submit",
]
