"""Escalation of cases whose SLA lapsed, by the scheduled job."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.interactions.notifications import Topic, notify
from kehu.service.models import (
    Case,
    CaseEvent,
)
from kehu.service.selectors import (
    cases_breached,
    supervisors_for,
)
from kehu.service.services.common import _event


@dataclass(frozen=True)
class EscalationResult:
    escalated: int
    notified: int


def cases_escalate(*, now: datetime | None = None) -> EscalationResult:
    """Escalate every case past a running SLA deadline to a supervisor, once per deadline.

    The scheduled job runs it every few minutes; it is idempotent: an escalation is a case
    event with a unique key per missed deadline ("response" or "resolution"), so a second run
    finds it and skips the case. Supervisors (see ``supervisors_for``) and the assigned agent
    are notified.
    """
    now = now or timezone.now()
    candidates = list(cases_breached(now=now))
    done = set(
        CaseEvent.objects.filter(
            case__in=[c.pk for c in candidates], kind=CaseEvent.Kind.ESCALATED
        ).values_list("case_id", "key")
    )
    escalated = notified = 0
    for case in candidates:
        missed = (
            "response"
            if case.first_response_at is None and case.response_due_at < now
            else "resolution"
        )
        key = f"sla:{missed}"
        if (case.pk, key) in done:
            continue
        supervisors = supervisors_for(case)
        due = case.response_due_at if missed == "response" else case.resolution_due_at
        text = (
            _("SLA breached: case %(number)s for %(customer)s was not answered by %(due)s.")
            if missed == "response"
            else _("SLA breached: case %(number)s for %(customer)s was not resolved by %(due)s.")
        ) % {
            "number": case.number,
            "customer": case.customer.name,
            "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
        }
        try:
            with transaction.atomic():
                _event(
                    case,
                    CaseEvent.Kind.ESCALATED,
                    by=None,
                    at=now,
                    note=", ".join(str(s) for s in supervisors),
                    key=key,
                )
                Case.objects.filter(pk=case.pk, escalated_at__isnull=True).update(
                    escalated_at=now, updated_at=now
                )
                recipients = {s.pk: s for s in supervisors}
                if case.assigned_to is not None:
                    recipients.setdefault(case.assigned_to.pk, case.assigned_to)
                for recipient in recipients.values():
                    notify(
                        topic=Topic.SERVICE, user=recipient, text=text, url=case.get_absolute_url()
                    )
        except IntegrityError:
            continue  # another run escalated it at the same moment
        escalated += 1
        notified += len(recipients)
    return EscalationResult(escalated=escalated, notified=notified)
