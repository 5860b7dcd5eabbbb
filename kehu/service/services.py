# Over 500 lines: waits for issue #16's Conflict and ip_address changes (branch refa); then a
# services/ package (cases, SLA, e-mail, ratings and feedback).
"""Every write of the service module: cases and their SLA clock, escalation, satisfaction,
customer feedback, and the settings behind them.

Callers fetch customers and cases through the scoped selectors first; these functions check
what the role may do.
"""

import smtplib
from dataclasses import dataclass
from datetime import date, datetime, time
from email.utils import parseaddr
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.core.access import (
    can_record_feedback,
    can_work_cases,
    require,
    require_account_admin,
    require_case_worker,
)
from kehu.core.audit import setting_changed
from kehu.core.exceptions import Conflict
from kehu.customers.models import Channel, Contact, Customer, Email
from kehu.interactions.notifications import notify
from kehu.loyalty import services as loyalty
from kehu.sales.models import Product
from kehu.service.business_hours import add_business_minutes, business_minutes_between
from kehu.service.casemail import case_id_from_addresses, case_id_from_subject, reply_to_address
from kehu.service.models import (
    Case,
    CaseEmail,
    CaseEvent,
    CaseRating,
    CaseType,
    Feedback,
    Priority,
    ServiceSettings,
    SlaPolicy,
    SpecialDay,
)
from kehu.service.ratinglink import RatingLinkProblem, new_nonce, rating_token, rating_token_read
from kehu.service.selectors import (
    business_hours_get,
    cases_breached,
    service_settings_get,
    sla_policies_get,
    supervisors_for,
)

SETTINGS_REFUSED = gettext_lazy("Only administrators may change the service settings.")

S = Case.Status
# Allowed moves; a resolved case may be reopened, a closed one is final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.NEW: (S.IN_PROGRESS, S.WAITING, S.RESOLVED),
    S.IN_PROGRESS: (S.WAITING, S.RESOLVED),
    S.WAITING: (S.IN_PROGRESS, S.RESOLVED),
    S.RESOLVED: (S.CLOSED, S.IN_PROGRESS),
    S.CLOSED: (),
}
RATEABLE = (S.RESOLVED, S.CLOSED)
MAX_TEXT = 10000


def _event(
    case: Case,
    kind: str,
    *,
    by: User | None,
    at: datetime,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    key: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        customer_id=case.customer_id,
        kind=kind,
        by=by,
        at=at,
        from_status=from_status,
        to_status=to_status,
        note=note,
        key=key,
    )


def _check_assignee(assignee: User | None, errors: dict[str, list[str]]) -> None:
    if assignee is not None and not (assignee.is_active and can_work_cases(assignee)):
        errors["assigned_to"] = [_("Cases can be assigned only to active service staff.")]


# --- cases ------------------------------------------------------------------------------------


@transaction.atomic
def case_open(
    *,
    user: User,
    customer: Customer,
    type: str,
    subject: str,
    description: str,
    priority: str = Priority.NORMAL,
    channel: Channel | None = None,
    contact: Contact | None = None,
    product: Product | None = None,
    product_code: str = "",
    product_name: str = "",
    assigned_to: User | None = None,
    now: datetime | None = None,
) -> Case:
    """Open a case for ``customer`` (fetched through a scoped selector), with its SLA deadlines
    counted in business hours from now. Deadlines are fixed when the case opens: changing the
    SLA later does not move them."""
    require_case_worker(user)
    if product is not None:  # the catalogue's code and name, as they are today
        product_code, product_name = product.code, product.name
    errors: dict[str, list[str]] = {}
    if type not in CaseType.values:
        errors["type"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(CaseType)}]
    if priority not in Priority.values:
        errors["priority"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Priority)}]
    if not subject.strip():
        errors["subject"] = [_("Say in a few words what it is about.")]
    elif len(subject) > 200:
        errors["subject"] = [_("At most %(n)s characters.") % {"n": 200}]
    if not description.strip():
        errors["description"] = [_("Describe the request.")]
    elif len(description) > MAX_TEXT:
        errors["description"] = [_("At most %(n)s characters.") % {"n": MAX_TEXT}]
    if contact is not None and contact.customer_id != customer.pk:
        errors["contact"] = [_("This contact belongs to another customer.")]
    if len(product_code) > 60:
        errors["product_code"] = [_("At most %(n)s characters.") % {"n": 60}]
    if len(product_name) > 200:
        errors["product_name"] = [_("At most %(n)s characters.") % {"n": 200}]
    _check_assignee(assigned_to, errors)
    if errors:
        raise ValidationError(errors)
    # service levels by tier: a member's level may raise the priority (docs/loyalty.md)
    priority = loyalty.case_priority_for(customer_id=customer.pk, priority=priority)
    now = now or timezone.now()
    hours = business_hours_get(since=timezone.localdate(now))
    sla = sla_policies_get()[(type, priority)]
    case = Case.objects.create(
        customer=customer,
        contact=contact,
        type=type,
        priority=priority,
        channel=channel,
        subject=subject.strip(),
        description=description.strip(),
        product=product,
        product_code=product_code.strip(),
        product_name=product_name.strip(),
        assigned_to=assigned_to,
        opened_by=user,
        response_due_at=add_business_minutes(hours, now, sla.response_minutes),
        resolution_due_at=add_business_minutes(hours, now, sla.resolution_minutes),
    )
    _event(case, CaseEvent.Kind.OPENED, by=user, at=now, to_status=S.NEW)
    if assigned_to is not None and assigned_to != user:
        _notify_assigned(case, assigned_to)
    return case


def _notify_assigned(case: Case, assignee: User) -> None:
    notify(
        user=assignee,
        text=_("Case %(number)s for %(customer)s is assigned to you: %(subject)s")
        % {"number": case.number, "customer": case.customer.name, "subject": case.subject},
        url=case.get_absolute_url(),
    )


def _locked(case: Case) -> Case:
    """The case re-read under a row lock, so two agents' moves apply one after the other."""
    return Case.objects.select_for_update().select_related("customer").get(pk=case.pk)


@transaction.atomic
def case_assign(
    *, user: User, case: Case, assignee: User | None, now: datetime | None = None
) -> Case:
    """Give the case to ``assignee`` (None: back to the unassigned queue)."""
    require_case_worker(user)
    errors: dict[str, list[str]] = {}
    _check_assignee(assignee, errors)
    if errors:
        raise ValidationError(errors)
    case = _locked(case)
    if not case.is_open:
        raise Conflict(
            _("This case is %(status)s; it can no longer be reassigned.")
            % {"status": case.get_status_display()}
        )
    if case.assigned_to_id == (assignee.pk if assignee else None):
        return case
    case.assigned_to = assignee
    case.save(update_fields=["assigned_to", "updated_at"])
    _event(
        case,
        CaseEvent.Kind.ASSIGNED,
        by=user,
        at=now or timezone.now(),
        note=str(assignee) if assignee else _("unassigned"),
    )
    if assignee is not None and assignee != user:
        _notify_assigned(case, assignee)
    return case


@transaction.atomic
def case_transition(
    *,
    user: User,
    case: Case,
    to_status: str,
    resolution: str = "",
    note: str = "",
    customer_summary: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Move the case along its allowed transitions (``TRANSITIONS``). ``resolution`` is the
    internal note; ``customer_summary`` (when given) what the customer reads.

    The first move out of "new" is the first response. Waiting on the customer stops the
    resolution clock: on leaving it, the deadline moves on by the business time spent waiting.
    Resolving needs a resolution and issues the one-time satisfaction link. Raises ``Conflict``
    for a move the current status does not allow.
    """
    require_case_worker(user)
    if to_status not in S.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if len(note) > MAX_TEXT or len(resolution) > MAX_TEXT or len(customer_summary or "") > MAX_TEXT:
        raise ValidationError({"note": [_("At most %(n)s characters.") % {"n": MAX_TEXT}]})
    case = _locked(case)
    from_status = case.status
    if to_status not in TRANSITIONS[from_status]:
        raise Conflict(
            _("A case that is “%(from)s” cannot become “%(to)s”.")
            % {"from": case.get_status_display(), "to": S(to_status).label}
        )
    resolution = resolution.strip()
    if to_status == S.RESOLVED and not (resolution or case.resolution):
        raise ValidationError({"resolution": [_("Say how the case was resolved.")]})
    now = now or timezone.now()
    if case.first_response_at is None:
        case.first_response_at = now
    if from_status == S.WAITING and case.waiting_since is not None:
        hours = business_hours_get(since=timezone.localdate(case.waiting_since))
        paused = business_minutes_between(hours, case.waiting_since, now)
        case.resolution_due_at = add_business_minutes(hours, case.resolution_due_at, paused)
        case.waiting_since = None
    if to_status == S.WAITING:
        case.waiting_since = now
    if customer_summary is not None:
        case.customer_summary = customer_summary.strip()
    if to_status == S.RESOLVED:
        case.resolved_at = now
        if resolution:
            case.resolution = resolution
        if not hasattr_rating(case):
            case.rating_nonce = new_nonce()
    if to_status == S.CLOSED:
        case.closed_at = now
    if from_status == S.RESOLVED and to_status == S.IN_PROGRESS:
        case.resolved_at = None
        case.rating_nonce = ""
    case.status = to_status
    case.save()
    _event(
        case,
        CaseEvent.Kind.STATUS,
        by=user,
        at=now,
        from_status=from_status,
        to_status=to_status,
        note=note.strip() or (resolution if to_status == S.RESOLVED else ""),
    )
    return case


def hasattr_rating(case: Case) -> bool:
    return CaseRating.objects.filter(case=case).exists()


def case_rating_link(*, user: User, case: Case) -> str:
    """The token of the case's one-time satisfaction link, for the customer; a resolved or
    closed case without a rating only. Issues a nonce if the case has none."""
    require_case_worker(user)
    if case.status not in RATEABLE:
        raise Conflict(_("A case can be rated once it is resolved."))
    if hasattr_rating(case):
        raise Conflict(_("This case has been rated already."))
    if not case.rating_nonce:
        case.rating_nonce = new_nonce()
        case.save(update_fields=["rating_nonce", "updated_at"])
    return rating_token(case_id=case.pk, nonce=case.rating_nonce)


def _rate(
    case: Case, *, score: int, comment: str, source: str, by: User | None, now: datetime
) -> CaseRating:
    errors: dict[str, list[str]] = {}
    if not isinstance(score, int) or not 1 <= score <= 5:
        errors["score"] = [_("Choose a score from 1 to 5.")]
    if len(comment) > 2000:
        errors["comment"] = [_("At most %(n)s characters.") % {"n": 2000}]
    if errors:
        raise ValidationError(errors)
    if case.status not in RATEABLE:
        raise Conflict(_("A case can be rated once it is resolved."))
    try:
        with transaction.atomic():
            rating = CaseRating.objects.create(
                case=case,
                customer_id=case.customer_id,
                score=score,
                comment=comment.strip(),
                source=source,
                rated_by=by,
            )
    except IntegrityError:
        raise Conflict(_("This case has been rated already.")) from None
    case.rating_nonce = ""
    case.save(update_fields=["rating_nonce", "updated_at"])
    _event(case, CaseEvent.Kind.RATED, by=by, at=now, note=f"{score}/5 {comment.strip()}".strip())
    return rating


@transaction.atomic
def case_rate(
    *, user: User, case: Case, score: int, comment: str = "", now: datetime | None = None
) -> CaseRating:
    """Record the customer's satisfaction as told to the agent (on the phone, in person)."""
    require_case_worker(user)
    case = _locked(case)
    return _rate(
        case,
        score=score,
        comment=comment,
        source=CaseRating.Source.AGENT,
        by=user,
        now=now or timezone.now(),
    )


def case_for_rating_token(token: str) -> Case:
    """The case a public satisfaction link is for; raises ``RatingLinkProblem`` when the link
    is forged, expired or spent."""
    case_id, nonce = rating_token_read(token)
    case = Case.objects.filter(pk=case_id).select_related("customer", "assigned_to").first()
    if case is None:
        raise RatingLinkProblem("invalid")
    if not nonce or nonce != case.rating_nonce or hasattr_rating(case):
        raise RatingLinkProblem("used")
    return case


@transaction.atomic
def case_rate_by_token(*, token: str, score: int, comment: str = "") -> CaseRating:
    """The customer rates through the public link; it works once."""
    case = case_for_rating_token(token)
    case = _locked(case)
    # Read again under the lock: two submissions of one link must not both count.
    if case.rating_nonce != rating_token_read(token)[1]:
        raise RatingLinkProblem("used")
    rating = _rate(
        case,
        score=score,
        comment=comment,
        source=CaseRating.Source.CUSTOMER,
        by=None,
        now=timezone.now(),
    )
    if case.assigned_to_id is not None:
        notify(
            user=case.assigned_to,  # type: ignore[arg-type]
            text=_("%(customer)s rated case %(number)s %(score)s/5.")
            % {"customer": case.customer.name, "number": case.number, "score": score},
            url=case.get_absolute_url(),
        )
    return rating


# --- the desk: priority, manual escalation, e-mail with the customer ------------------------

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
        notify(user=supervisor, text=text, url=case.get_absolute_url())
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
            user=case.assigned_to,
            text=_("The customer answered on case %(number)s: %(subject)s")
            % {"number": case.number, "subject": subject[:120]},
            url=case.get_absolute_url(),
        )
    return InboundResult(email=email, case=case)


# --- escalation -------------------------------------------------------------------------------


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
                    notify(user=recipient, text=text, url=case.get_absolute_url())
        except IntegrityError:
            continue  # another run escalated it at the same moment
        escalated += 1
        notified += len(recipients)
    return EscalationResult(escalated=escalated, notified=notified)


# --- feedback ---------------------------------------------------------------------------------

PRODUCT_ONLY = ("satisfaction", "lifecycle_opinion", "understands_product", "preferences")


@transaction.atomic
def feedback_record(
    *,
    user: User,
    customer: Customer,
    kind: str,
    content: str,
    product: Product | None = None,
    product_code: str = "",
    product_name: str = "",
    satisfaction: int | None = None,
    lifecycle_opinion: str = "",
    understands_product: bool | None = None,
    preferences: str = "",
    market_type: str = "",
    question_type: str = "",
    solution: str = "",
    case: Case | None = None,
) -> Feedback:
    """Keep what the customer said about a product, the market or the company (客户知识).

    A ``product`` from the catalogue sets the code and name; without one, they are free text
    (a product the catalogue does not list)."""
    require(user, can_record_feedback, _("Your role may not record customer feedback."))
    if product is not None:
        product_code, product_name = product.code, product.name
    errors: dict[str, list[str]] = {}
    kinds = Feedback.Kind
    if kind not in kinds.values:
        errors["kind"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(kinds)}]
    if not content.strip():
        errors["content"] = [_("Write what the customer said.")]
    elif len(content) > MAX_TEXT:
        errors["content"] = [_("At most %(n)s characters.") % {"n": MAX_TEXT}]
    if kind == kinds.PRODUCT_COMMENT and not (product_name.strip() or product_code.strip()):
        errors["product_name"] = [_("Name the product the comment is about.")]
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        errors["satisfaction"] = [_("Choose a score from 1 to 5.")]
    if lifecycle_opinion and lifecycle_opinion not in Feedback.LifecycleOpinion.values:
        errors["lifecycle_opinion"] = [_("Unknown life-cycle stage.")]
    if kind == kinds.QUESTION and question_type not in Feedback.QuestionType.values:
        errors["question_type"] = [_("Choose the question's type.")]
    if kind == kinds.MARKET_COMMENT and not market_type.strip():
        errors["market_type"] = [_("Say which market the comment is about.")]
    if case is not None and case.customer_id != customer.pk:
        errors["case"] = [_("This case belongs to another customer.")]
    for name, value in (("product_code", product_code), ("market_type", market_type)):
        if len(value) > 60:
            errors[name] = [_("At most %(n)s characters.") % {"n": 60}]
    if errors:
        raise ValidationError(errors)
    is_product = kind == kinds.PRODUCT_COMMENT
    return Feedback.objects.create(
        customer=customer,
        kind=kind,
        case=case,
        product=product,
        product_code=product_code.strip(),
        product_name=(product_name.strip() or product_code.strip())[:200],
        satisfaction=satisfaction if is_product else None,
        lifecycle_opinion=lifecycle_opinion if is_product else "",
        understands_product=understands_product if is_product else None,
        preferences=preferences.strip() if is_product else "",
        market_type=market_type.strip() if kind == kinds.MARKET_COMMENT else "",
        question_type=question_type if kind == kinds.QUESTION else "",
        content=content.strip(),
        solution=solution.strip() if kind == kinds.QUESTION else "",
        recorded_by=user,
    )


# --- settings ---------------------------------------------------------------------------------


@transaction.atomic
def service_settings_save(
    *,
    user: User,
    work_weekdays: list[int],
    day_starts_at: time,
    day_ends_at: time,
    warn_before_minutes: int,
    default_supervisor: User | None = None,
) -> ServiceSettings:
    """Change business hours and escalation; administrators only. Open cases keep the
    deadlines they were given."""
    require_account_admin(user, SETTINGS_REFUSED)
    errors: dict[str, list[str]] = {}
    if not work_weekdays or any(d not in range(7) for d in work_weekdays):
        errors["work_weekdays"] = [_("Choose at least one working day.")]
    if day_ends_at <= day_starts_at:
        errors["day_ends_at"] = [_("Business hours must end after they start.")]
    if default_supervisor is not None and not default_supervisor.is_active:
        errors["default_supervisor"] = [_("This user is disabled.")]
    if errors:
        raise ValidationError(errors)
    row = service_settings_get()
    row.work_weekdays = sorted(set(work_weekdays))
    row.day_starts_at = day_starts_at
    row.day_ends_at = day_ends_at
    row.warn_before_minutes = warn_before_minutes
    row.default_supervisor = default_supervisor
    row.save()
    setting_changed(actor=user, what=row)
    return row


@transaction.atomic
def sla_policies_save(*, user: User, minutes: dict[tuple[str, str], tuple[int, int]]) -> None:
    """Set (response, resolution) business minutes per (type, priority); admins only."""
    require_account_admin(user, SETTINGS_REFUSED)
    errors: dict[str, list[str]] = {}
    for (case_type, priority), (response, resolution) in minutes.items():
        field = f"{case_type}_{priority}"
        if (case_type, priority) not in {(t, p) for t in CaseType for p in Priority}:
            errors[field] = [_("Unknown type or priority.")]
        elif response <= 0:
            errors[field] = [_("The response time must be more than zero.")]
        elif resolution < response:
            errors[field] = [_("The resolution time cannot be shorter than the response time.")]
    if errors:
        raise ValidationError(errors)
    policies = sla_policies_get()
    changed: list[SlaPolicy] = []
    for key, (response, resolution) in minutes.items():
        policy = policies[key]
        policy.response_minutes, policy.resolution_minutes = response, resolution
        changed.append(policy)
    SlaPolicy.objects.bulk_update(changed, ["response_minutes", "resolution_minutes", "updated_at"])
    for policy in changed:
        setting_changed(actor=user, what=policy, changed=["response_minutes", "resolution_minutes"])


@transaction.atomic
def special_day_save(*, user: User, day: date, kind: str, name: str = "") -> SpecialDay:
    """Mark ``day`` a holiday or a make-up working day (replacing what it was)."""
    require_account_admin(user, SETTINGS_REFUSED)
    if kind not in SpecialDay.Kind.values:
        raise ValidationError({"kind": [_("Choose holiday or make-up working day.")]})
    row, _created = SpecialDay.objects.update_or_create(
        date=day, defaults={"kind": kind, "name": name.strip()[:60]}
    )
    setting_changed(actor=user, what=row)
    return row


@transaction.atomic
def special_day_delete(*, user: User, day_id: int) -> None:
    require_account_admin(user, SETTINGS_REFUSED)
    for row in SpecialDay.objects.filter(pk=day_id):
        setting_changed(actor=user, what=row, deleted=True)
        row.delete()


def minutes_from_hours(value: Any) -> int:
    """Business hours (a number, halves allowed) as whole minutes."""
    return round(float(value) * 60)


def hours_from_minutes(minutes: int) -> float:
    return round(minutes / 60, 2)
