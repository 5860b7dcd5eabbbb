"""The desk: priority and manual escalation, e-mail with the customer (replies out, answers in)."""

import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import (
    require_case_worker,
)
from kehu.core.exceptions import Conflict
from kehu.customers.models import Email
from kehu.interactions.notifications import Topic, notify
from kehu.service.business_hours import add_business_minutes, business_minutes_between
from kehu.service.casemail import case_id_from_addresses, case_id_from_subject, reply_to_address
from kehu.service.models import (
    Case,
    CaseEmail,
    CaseEvent,
    Priority,
)
from kehu.service.selectors import (
    business_hours_get,
    sla_policies_get,
    supervisors_for,
)
from kehu.service.services.cases import _locked
from kehu.service.services.common import MAX_TEXT, S, _event

REASON_MAX = 500


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why: the reason goes on the case history.")]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("At most %(n)s characters.") % {"n": REASON_MAX}]})
    return reason


@transaction.atomic
def case_priority_change(
    *, user: User, case: Case, priority: str, reason: str, now: datetime | None = None
) -> Case:
    """Change an open case's priority by hand, with ``reason`` on its history. Its SLA
    deadlines become the new priority's, counted from when it was opened (time spent waiting on
    the customer still added to the resolution deadline)."""
    require_case_worker(user)
    if priority not in Priority.values:
        raise ValidationError(
            {"priority": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Priority)}]}
        )
    reason = _reason(reason)
    case = _locked(case)
    if not case.is_open:
        raise Conflict(_("Only an open case can change priority."))
    if case.priority == priority:
        return case
    opened = (
        CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.OPENED)
        .values_list("at", flat=True)
        .first()
    ) or case.created_at
    hours = business_hours_get(since=timezone.localdate(opened))
    policies = sla_policies_get()
    old, new = policies[(case.type, case.priority)], policies[(case.type, priority)]
    paused = max(
        business_minutes_between(hours, opened, case.resolution_due_at) - old.resolution_minutes,
        0,
    )
    if case.first_response_at is None:
        case.response_due_at = add_business_minutes(hours, opened, new.response_minutes)
    case.resolution_due_at = add_business_minutes(hours, opened, new.resolution_minutes + paused)
    before = case.get_priority_display()
    case.priority = priority
    case.save()
    _event(
        case,
        CaseEvent.Kind.PRIORITY,
        by=user,
        at=now or timezone.now(),
        note=f"{before} → {case.get_priority_display()}: {reason}",
    )
    return case


@transaction.atomic
def case_escalate_by_hand(
    *, user: User, case: Case, reason: str, now: datetime | None = None
) -> Case:
    """Escalate an open case to its supervisors now, with ``reason`` on its history; they are
    notified. A case may be escalated by hand more than once (each with its reason)."""
    require_case_worker(user)
    reason = _reason(reason)
    case = _locked(case)
    if not case.is_open:
        raise Conflict(_("Only an open case can be escalated."))
    now = now or timezone.now()
    supervisors = [s for s in supervisors_for(case) if s != user]
    _event(
        case,
        CaseEvent.Kind.ESCALATED,
        by=user,
        at=now,
        note=reason + (" → " + ", ".join(str(s) for s in supervisors) if supervisors else ""),
    )
    if case.escalated_at is None:
        case.escalated_at = now
        case.save(update_fields=["escalated_at", "updated_at"])
    text = _("Case %(number)s for %(customer)s was escalated to you by %(user)s: %(reason)s") % {
        "number": case.number,
        "customer": case.customer.name,
        "user": user,
        "reason": reason,
    }
    for supervisor in supervisors:
        notify(topic=Topic.SERVICE, user=supervisor, text=text, url=case.get_absolute_url())
    return case


@transaction.atomic
def case_summary_save(*, user: User, case: Case, summary: str) -> Case:
    """Save the resolution summary the customer reads (rating page, e-mail), apart from the
    internal resolution notes."""
    require_case_worker(user)
    if len(summary) > MAX_TEXT:
        raise ValidationError(
            {"customer_summary": [_("At most %(n)s characters.") % {"n": MAX_TEXT}]}
        )
    case = _locked(case)
    case.customer_summary = summary.strip()
    case.save(update_fields=["customer_summary", "updated_at"])
    return case


def case_customer_addresses(case: Case) -> list[str]:
    """Where a reply goes: the case contact's e-mail addresses, else the customer's."""
    if case.contact_id is not None:
        addresses = list(
            Email.objects.filter(contact_id=case.contact_id).values_list("address", flat=True)
        )
        if addresses:
            return addresses
    return list(
        Email.objects.filter(customer_id=case.customer_id, contact__isnull=True).values_list(
            "address", flat=True
        )
    )


def case_reply(
    *,
    user: User,
    case: Case,
    body: str,
    to: str = "",
    now: datetime | None = None,
) -> CaseEmail:
    """E-mail the customer from the case (Django's e-mail backend: SMTP when configured, the
    console otherwise) and log it on the case history and the customer's timeline. The first
    reply is the case's first response. ``to`` must be one of the customer's addresses
    (default: the first). The mail is sent before anything is written: a failed send records
    nothing and raises ``Conflict``."""
    require_case_worker(user)
    body = body.strip()
    errors: dict[str, list[str]] = {}
    if not body:
        errors["body"] = [_("Write the reply.")]
    elif len(body) > MAX_TEXT:
        errors["body"] = [_("At most %(n)s characters.") % {"n": MAX_TEXT}]
    addresses = case_customer_addresses(case)
    if not addresses:
        errors["to"] = [_("The customer has no e-mail address; add one to the archive first.")]
    elif to and to not in addresses:
        errors["to"] = [_("Choose one of the customer's e-mail addresses.")]
    if errors:
        raise ValidationError(errors)
    if case.status == S.CLOSED:
        raise Conflict(_("The case is closed."))
    to = to or addresses[0]
    subject = f"[{case.number}] {case.subject}"
    reply_to = reply_to_address(case.pk)
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers={"X-Kehu-Case": case.number},
    )
    try:
        message.send(fail_silently=False)
    except (OSError, smtplib.SMTPException) as exc:
        raise Conflict(
            _("The e-mail could not be sent (%(error)s); nothing was recorded.")
            % {"error": exc.__class__.__name__}
        ) from exc
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(case)
        email = CaseEmail.objects.create(
            case=locked,
            direction=CaseEmail.Direction.OUT,
            from_address=message.from_email,
            to_address=to,
            subject=subject,
            body=body,
            message_id=str(message.extra_headers.get("Message-ID", "")),
            at=now,
            by=user,
        )
        if locked.first_response_at is None:
            locked.first_response_at = now
            locked.save(update_fields=["first_response_at", "updated_at"])
        _event(locked, CaseEvent.Kind.EMAIL_OUT, by=user, at=now, note=f"{to}\n{body}")
    return email


@dataclass(frozen=True)
class InboundResult:
    email: CaseEmail | None
    case: Case | None


@transaction.atomic
def case_email_receive(
    *,
    sender: str,
    recipients: list[str],
    subject: str,
    text: str,
    message_id: str = "",
    now: datetime | None = None,
) -> InboundResult:
    """Attach a customer's e-mail to its case: found by the signed reply-to address, or by the
    ``[SR-000123]`` in the subject when the sender is one of the case customer's addresses.
    A case waiting on the customer goes back to in progress; its agent is notified. Unmatched
    mail is refused (``InboundResult`` with no case). Idempotent on ``message_id``."""
    sender_address = parseaddr(sender)[1].lower()
    case_id = case_id_from_addresses([parseaddr(r)[1] for r in recipients])
    if case_id is None:
        number = case_id_from_subject(subject)
        if (
            number is not None
            and Email.objects.filter(
                customer__cases__pk=number, address__iexact=sender_address
            ).exists()
        ):
            case_id = number
    if case_id is None:
        return InboundResult(email=None, case=None)
    case = Case.objects.select_for_update().select_related("customer").filter(pk=case_id).first()
    if case is None:
        return InboundResult(email=None, case=None)
    if message_id:
        seen = CaseEmail.objects.filter(case=case, message_id=message_id[:300]).first()
        if seen is not None:
            return InboundResult(email=seen, case=case)
    now = now or timezone.now()
    email = CaseEmail.objects.create(
        case=case,
        direction=CaseEmail.Direction.IN,
        from_address=sender_address[:254],
        to_address=", ".join(recipients)[:254],
        subject=subject[:300],
        body=text[:MAX_TEXT],
        message_id=message_id[:300],
        at=now,
    )
    _event(
        case, CaseEvent.Kind.EMAIL_IN, by=None, at=now, note=f"{sender_address}\n{text[:MAX_TEXT]}"
    )
    if case.status == S.WAITING:
        hours = business_hours_get(since=timezone.localdate(case.waiting_since or now))
        if case.waiting_since is not None:
            paused = business_minutes_between(hours, case.waiting_since, now)
            case.resolution_due_at = add_business_minutes(hours, case.resolution_due_at, paused)
        case.waiting_since = None
        case.status = S.IN_PROGRESS
        case.save()
        _event(
            case,
            CaseEvent.Kind.STATUS,
            by=None,
            at=now,
            from_status=S.WAITING,
            to_status=S.IN_PROGRESS,
        )
    if case.assigned_to is not None:
        notify(
            topic=Topic.SERVICE,
            user=case.assigned_to,
            text=_("The customer answered on case %(number)s: %(subject)s")
            % {"number": case.number, "subject": subject[:120]},
            url=case.get_absolute_url(),
        )
    return InboundResult(email=email, case=case)
