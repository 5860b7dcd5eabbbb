"""Cases within the user's scope: the queue, lists, one case, its SLA state and events."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case as When_
from django.db.models import Count, F, Q, QuerySet
from django.db.models import When as WhenClause
from django.http import Http404
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.pagination import first_rows
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_q
from kehu.service.models import (
    Case,
    CaseEvent,
    CaseRating,
)
from kehu.service.selectors.common import OPEN_STATUSES, RUNNING_STATUSES
from kehu.service.selectors.settings import service_settings_get


def cases_visible_to(user: User) -> QuerySet[Case]:
    """Cases of the customers ``user`` may see (checked through each case's customer)."""
    return Case.objects.filter(customers_visible_q(user, prefix="customer__"))


def _with_next_due(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate ``next_due_at``: the response deadline until someone responded, then the
    resolution deadline."""
    return queryset.annotate(
        next_due_at=When_(
            WhenClause(first_response_at__isnull=True, then=F("response_due_at")),
            default=F("resolution_due_at"),
        )
    )


def case_get_for_user(*, user: User, case_id: int) -> Case:
    """A case of a customer ``user`` may see, with what its page needs; else 404."""
    case = (
        cases_visible_to(user)
        .select_related("customer", "contact", "channel", "assigned_to", "opened_by")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    return case


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""  # "" every status; "open" new, in progress and waiting
    type: str = ""
    priority: str = ""
    assigned_to_id: int | None = None
    unassigned: bool = False
    customer_id: int | None = None
    breached: bool | None = None
    q: str = ""


def breached_q(now: datetime) -> Q:
    """Open cases past a deadline whose clock runs (not waiting on the customer)."""
    response = Q(first_response_at__isnull=True, response_due_at__lt=now)
    resolution = Q(resolution_due_at__lt=now)
    return Q(status__in=RUNNING_STATUSES) & (response | resolution)


def case_list(*, user: User, filters: CaseFilters, now: datetime | None = None) -> QuerySet[Case]:
    """Cases ``user`` may see, newest first, with ``next_due_at``."""
    queryset = cases_visible_to(user)
    if filters.status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        queryset = queryset.filter(status=filters.status)
    exact = {
        "type": filters.type,
        "priority": filters.priority,
        "assigned_to_id": filters.assigned_to_id,
        "customer_id": filters.customer_id,
    }
    queryset = queryset.filter(**{k: v for k, v in exact.items() if v not in (None, "")})
    if filters.unassigned:
        queryset = queryset.filter(assigned_to__isnull=True)
    if filters.breached is not None:
        q = breached_q(now or timezone.now())
        queryset = queryset.filter(q) if filters.breached else queryset.exclude(q)
    if filters.q:
        queryset = queryset.filter(
            Q(subject__icontains=filters.q)
            | Q(description__icontains=filters.q)
            | Q(customer__name__icontains=filters.q)
        )
    return (
        _with_next_due(queryset)
        .select_related("customer", "contact", "channel", "assigned_to", "opened_by")
        .order_by("-created_at", "-id")
    )


class SlaState:
    MET = "met"  # resolved within both deadlines
    MISSED = "missed"  # resolved, but a deadline was missed
    PAUSED = "paused"  # waiting on the customer
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"


def sla_state(case: Case, *, now: datetime, warn_before: timedelta) -> str:
    """Where the case stands against its next deadline."""
    if not case.is_open:
        return SlaState.MISSED if any(sla_breaches(case, now=now)) else SlaState.MET
    if case.status == Case.Status.WAITING and case.first_response_at is not None:
        return SlaState.PAUSED
    due = case.response_due_at if case.first_response_at is None else case.resolution_due_at
    if due < now:
        return SlaState.BREACHED
    if due - now <= warn_before:
        return SlaState.AT_RISK
    return SlaState.OK


def sla_breaches(case: Case, *, now: datetime) -> tuple[bool, bool]:
    """(response deadline missed, resolution deadline missed), for open and finished cases."""
    response = (case.first_response_at or now) > case.response_due_at
    if case.resolved_at is not None:
        resolution = case.resolved_at > case.resolution_due_at
    elif case.status == Case.Status.WAITING and case.waiting_since is not None:
        resolution = case.waiting_since > case.resolution_due_at
    else:
        resolution = now > case.resolution_due_at
    return response, resolution


@dataclass(frozen=True)
class QueueRow:
    case: Case
    due_at: datetime
    state: str
    is_response: bool  # the deadline shown is the first response's


@dataclass(frozen=True)
class Queue:
    rows: list[QueueRow]
    breached: int
    at_risk: int


QUEUE_SCOPES = ("mine", "unassigned", "all")
QUEUE_LIMIT = 200


def case_queue_counts(*, user: User, now: datetime | None = None) -> dict[str, int]:
    """The home card's figures, in one query over every open case (no row limit): the user's
    open cases, the unassigned ones, and of both, how many have breached their running
    deadline and how many are within the warning time of it."""
    now = now or timezone.now()
    warn = timedelta(minutes=service_settings_get().warn_before_minutes)
    mine, unassigned = Q(assigned_to=user), Q(assigned_to__isnull=True)
    running = ~Q(status=Case.Status.WAITING, first_response_at__isnull=False)
    figures = _with_next_due(
        cases_visible_to(user).filter(mine | unassigned, status__in=OPEN_STATUSES)
    ).aggregate(
        mine=Count("pk", filter=mine),
        unassigned=Count("pk", filter=unassigned),
        breached=Count("pk", filter=running & Q(next_due_at__lt=now)),
        at_risk=Count("pk", filter=running & Q(next_due_at__gte=now, next_due_at__lte=now + warn)),
    )
    return {key: value or 0 for key, value in figures.items()}


def case_queue(
    *, user: User, scope: str = "mine", now: datetime | None = None, limit: int = 0
) -> Queue:
    """Open cases by their next SLA deadline, soonest (most overdue) first; two queries.

    ``mine``: assigned to ``user``; ``unassigned``: nobody's yet; ``all``: every open case
    ``user`` may see. Waiting cases, whose clock stands still, come after the running ones.
    """
    now = now or timezone.now()
    queryset = cases_visible_to(user).filter(status__in=OPEN_STATUSES)
    if scope == "mine":
        queryset = queryset.filter(assigned_to=user)
    elif scope == "unassigned":
        queryset = queryset.filter(assigned_to__isnull=True)
    cases = first_rows(
        _with_next_due(queryset).annotate(
            waiting_last=When_(
                WhenClause(status=Case.Status.WAITING, first_response_at__isnull=False, then=1),
                default=0,
            )
        ),
        ("waiting_last", "next_due_at", "id"),
        limit or QUEUE_LIMIT,
        ("customer", "assigned_to"),
    )
    warn = timedelta(minutes=service_settings_get().warn_before_minutes)
    rows = [
        QueueRow(
            case=case,
            due_at=case.next_due_at,
            state=sla_state(case, now=now, warn_before=warn),
            is_response=case.first_response_at is None,
        )
        for case in cases
    ]
    return Queue(
        rows=rows,
        breached=sum(1 for r in rows if r.state == SlaState.BREACHED),
        at_risk=sum(1 for r in rows if r.state == SlaState.AT_RISK),
    )


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).select_related("by").order_by("at", "id")


def case_rating_of(case: Case) -> CaseRating | None:
    return CaseRating.objects.filter(case=case).select_related("rated_by").first()


def cases_open_of(customer: Customer) -> QuerySet[Case]:
    """The customer's open cases, soonest deadline first (the caller checked visibility)."""
    return (
        _with_next_due(Case.objects.filter(customer=customer, status__in=OPEN_STATUSES))
        .select_related("assigned_to")
        .order_by("next_due_at", "id")
    )


def cases_breached(*, now: datetime) -> QuerySet[Case]:
    """Every open case past a running deadline, for the escalation job."""
    return Case.objects.filter(breached_q(now)).select_related("customer", "assigned_to")
