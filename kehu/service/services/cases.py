"""Cases: opening, the SLA clock, transitions, assignment, satisfaction ratings."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import (
    require_case_worker,
)
from kehu.core.exceptions import Conflict
from kehu.customers.models import Channel, Contact, Customer
from kehu.interactions.notifications import Topic, notify
from kehu.loyalty import services as loyalty
from kehu.sales.models import Product
from kehu.service.business_hours import add_business_minutes, business_minutes_between
from kehu.service.models import (
    Case,
    CaseEvent,
    CaseRating,
    CaseType,
    Priority,
)
from kehu.service.ratinglink import RatingLinkProblem, new_nonce, rating_token, rating_token_read
from kehu.service.selectors import (
    business_hours_get,
    sla_policies_get,
)
from kehu.service.services.common import MAX_TEXT, RATEABLE, TRANSITIONS, S, _check_assignee, _event


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
        topic=Topic.SERVICE,
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
    *,
    user: User,
    case: Case,
    assignee: User | None,
    now: datetime | None = None,
    notify_assignee: bool = True,
) -> Case:
    """Give the case to ``assignee`` (None: back to the unassigned queue), who is notified
    unless ``notify_assignee`` is off (a bulk assignment sends one notification for all)."""
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
    if notify_assignee and assignee is not None and assignee != user:
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
        _queue_satisfaction_survey(case.pk)
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


def _queue_satisfaction_survey(case_id: int) -> None:
    """Once the close is committed, the survey chosen for closed cases (``kehu.surveys``)."""
    from kehu.surveys.tasks import satisfaction_after_case

    transaction.on_commit(lambda: satisfaction_after_case(case_id))


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
            topic=Topic.SERVICE,
            user=case.assigned_to,  # type: ignore[arg-type]
            text=_("%(customer)s rated case %(number)s %(score)s/5.")
            % {"customer": case.customer.name, "number": case.number, "score": score},
            url=case.get_absolute_url(),
        )
    return rating
