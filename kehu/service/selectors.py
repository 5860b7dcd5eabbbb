# Over 500 lines: waits for issue #16's access changes (branch refa) in this app; then a
# selectors/ package (cases, SLA, ratings and feedback, reports).
"""Reads of service cases, SLA settings and customer feedback, scoped by the customers a user
may see (``customers_visible_to``): a case or a comment is visible exactly when its customer is."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, F, Q, QuerySet, Window
from django.db.models import Case as When_
from django.db.models import When as WhenClause
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Membership, Role, User
from kehu.core.access import CASE_WORKER_ROLES
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_to
from kehu.interactions.timeline import TimelineItem, register
from kehu.service.business_hours import BusinessHours
from kehu.service.models import (
    Case,
    CaseEvent,
    CaseRating,
    CaseType,
    Feedback,
    Priority,
    ServiceSettings,
    SlaPolicy,
    SpecialDay,
)

OPEN_STATUSES = (Case.Status.NEW, Case.Status.IN_PROGRESS, Case.Status.WAITING)
# Statuses whose SLA clock runs; waiting on the customer stops it.
RUNNING_STATUSES = (Case.Status.NEW, Case.Status.IN_PROGRESS)

# Business minutes (response, resolution) by type and priority, used until an admin edits them.
HOUR = 60
DAY = 9 * HOUR  # one business day of the default 09:00–18:00
DEFAULT_SLA: dict[tuple[str, str], tuple[int, int]] = {
    (CaseType.COMPLAINT, Priority.URGENT): (1 * HOUR, 1 * DAY),
    (CaseType.COMPLAINT, Priority.HIGH): (2 * HOUR, 2 * DAY),
    (CaseType.COMPLAINT, Priority.NORMAL): (4 * HOUR, 3 * DAY),
    (CaseType.COMPLAINT, Priority.LOW): (1 * DAY, 5 * DAY),
    (CaseType.AFTER_SALES, Priority.URGENT): (2 * HOUR, 1 * DAY),
    (CaseType.AFTER_SALES, Priority.HIGH): (4 * HOUR, 3 * DAY),
    (CaseType.AFTER_SALES, Priority.NORMAL): (1 * DAY, 5 * DAY),
    (CaseType.AFTER_SALES, Priority.LOW): (2 * DAY, 10 * DAY),
    (CaseType.QUESTION, Priority.URGENT): (2 * HOUR, 1 * DAY),
    (CaseType.QUESTION, Priority.HIGH): (4 * HOUR, 2 * DAY),
    (CaseType.QUESTION, Priority.NORMAL): (1 * DAY, 3 * DAY),
    (CaseType.QUESTION, Priority.LOW): (2 * DAY, 5 * DAY),
}


# --- settings ---------------------------------------------------------------------------------


def service_settings_get() -> ServiceSettings:
    """The business hours and escalation settings (the single row, made on first use)."""
    row = ServiceSettings.objects.select_related("default_supervisor").order_by("pk").first()
    return row if row is not None else ServiceSettings.objects.create()


def special_days_upcoming(*, since: date) -> QuerySet[SpecialDay]:
    return SpecialDay.objects.filter(date__gte=since).order_by("date")


def business_hours_get(*, since: date | None = None) -> BusinessHours:
    """The configured business hours with holidays and make-up days from ``since`` on."""
    row = service_settings_get()
    since = since or timezone.localdate() - timedelta(days=31)
    holidays: set[date] = set()
    workdays: set[date] = set()
    for day, kind in SpecialDay.objects.filter(date__gte=since).values_list("date", "kind"):
        (holidays if kind == SpecialDay.Kind.HOLIDAY else workdays).add(day)
    return BusinessHours(
        zone=ZoneInfo(settings.TIME_ZONE),
        weekdays=frozenset(int(d) for d in row.work_weekdays),
        start=row.day_starts_at,
        end=row.day_ends_at,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
    )


def sla_policies_get() -> dict[tuple[str, str], SlaPolicy]:
    """Every (type, priority) SLA; missing ones are made with the defaults."""
    policies = {(p.case_type, p.priority): p for p in SlaPolicy.objects.all()}
    missing = [
        SlaPolicy(case_type=t, priority=p, response_minutes=r, resolution_minutes=s)
        for (t, p), (r, s) in DEFAULT_SLA.items()
        if (t, p) not in policies
    ]
    if missing:
        SlaPolicy.objects.bulk_create(missing, ignore_conflicts=True)
        policies = {(p.case_type, p.priority): p for p in SlaPolicy.objects.all()}
    return policies


def case_workers() -> QuerySet[User]:
    """Active users a case may be assigned to."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(role__in=CASE_WORKER_ROLES) | Q(is_superuser=True))
        .order_by("username")
    )


def supervisors_for(case: Case) -> list[User]:
    """Who hears of a breached case: the managers of the assigned agent's teams, else the
    default supervisor, else the administrators."""
    if case.assigned_to_id is not None:
        teams = Membership.objects.filter(user_id=case.assigned_to_id).values("team_id")
        managers = list(
            User.objects.filter(
                is_active=True,
                memberships__team_id__in=teams,
                memberships__is_manager=True,
            )
            .exclude(pk=case.assigned_to_id)
            .distinct()
            .order_by("pk")
        )
        if managers:
            return managers
    row = service_settings_get()
    if row.default_supervisor is not None and row.default_supervisor.is_active:
        return [row.default_supervisor]
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
        .order_by("pk")
    )


# --- cases ------------------------------------------------------------------------------------


def cases_visible_to(user: User) -> QuerySet[Case]:
    """Cases of the customers ``user`` may see."""
    return Case.objects.filter(customer__in=customers_visible_to(user).values("pk"))


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


def case_queue(*, user: User, scope: str = "mine", now: datetime | None = None) -> Queue:
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
    cases = list(
        _with_next_due(queryset)
        .annotate(
            waiting_last=When_(
                WhenClause(status=Case.Status.WAITING, first_response_at__isnull=False, then=1),
                default=0,
            )
        )
        .select_related("customer", "assigned_to")
        .order_by("waiting_last", "next_due_at", "id")[:QUEUE_LIMIT]
    )
    warn = timedelta(minutes=service_settings_get().warn_before_minutes)
    rows = [
        QueueRow(
            case=case,
            due_at=case.next_due_at,  # type: ignore[attr-defined]
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


# --- the 360° page ----------------------------------------------------------------------------

CARD_ITEMS = 5


@dataclass(frozen=True)
class CustomerService:
    open_cases: list[Case]
    ratings: list[CaseRating]
    average_score: float | None
    feedback: list[Feedback]


def customer_service(*, customer: Customer) -> CustomerService:
    """The service cards of a customer's 360° page (the caller fetched ``customer`` through a
    scoped selector); three queries: the latest ratings carry the average of all of them (a
    window over the customer's ratings, computed before the limit)."""
    ratings: list[CaseRating] = list(
        CaseRating.objects.filter(customer=customer)
        .select_related("case")
        .annotate(overall=Window(Avg("score")))
        .order_by("-created_at", "-id")[:CARD_ITEMS]
    )
    return CustomerService(
        open_cases=list(cases_open_of(customer)[: CARD_ITEMS * 2]),
        ratings=ratings,
        average_score=float(ratings[0].overall) if ratings else None,  # type: ignore[attr-defined]
        feedback=list(
            Feedback.objects.filter(customer=customer).order_by("-created_at", "-id")[:CARD_ITEMS]
        ),
    )


# --- feedback ---------------------------------------------------------------------------------


def feedback_visible_to(user: User) -> QuerySet[Feedback]:
    return Feedback.objects.filter(customer__in=customers_visible_to(user).values("pk"))


@dataclass(frozen=True)
class FeedbackFilters:
    kind: str = ""
    question_type: str = ""
    product: str = ""  # a product code, or part of a product's name
    customer_id: int | None = None
    q: str = ""


def feedback_list(*, user: User, filters: FeedbackFilters) -> QuerySet[Feedback]:
    """Feedback on customers ``user`` may see, newest first; ``q`` searches every text."""
    queryset = feedback_visible_to(user)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.question_type:
        queryset = queryset.filter(question_type=filters.question_type)
    if filters.customer_id is not None:
        queryset = queryset.filter(customer_id=filters.customer_id)
    if filters.product:
        queryset = queryset.filter(
            Q(product_code=filters.product) | Q(product_name__icontains=filters.product)
        )
    if filters.q:
        q = filters.q
        queryset = queryset.filter(
            Q(content__icontains=q)
            | Q(solution__icontains=q)
            | Q(preferences__icontains=q)
            | Q(market_type__icontains=q)
            | Q(product_name__icontains=q)
            | Q(customer__name__icontains=q)
        )
    return queryset.select_related("customer", "recorded_by", "case").order_by("-created_at", "-id")


def feedback_get_for_user(*, user: User, feedback_id: int) -> Feedback:
    row = (
        feedback_visible_to(user)
        .select_related("customer", "recorded_by", "case")
        .filter(pk=feedback_id)
        .first()
    )
    if row is None:
        raise Http404
    return row


@dataclass(frozen=True)
class ProductRow:
    product_code: str
    product_name: str
    comments: int
    average_satisfaction: float | None
    scores: dict[int, int]  # 1..5 → how many comments gave it
    understands: int  # comments saying the customer understands how it works
    understands_known: int  # comments that say either way
    lifecycle: dict[str, int]
    cases: int
    open_cases: int
    complaints: int
    average_case_rating: float | None


def product_report(*, user: User, since: date | None = None) -> list[ProductRow]:
    """Per product: product comments (satisfaction, understanding, life-cycle opinions) and
    cases (how many, open, complaints, their ratings), over customers ``user`` may see. Three
    grouped queries, however many products."""
    feedback = feedback_visible_to(user).filter(kind=Feedback.Kind.PRODUCT_COMMENT)
    cases = cases_visible_to(user).exclude(product_name="", product_code="")
    if since is not None:
        feedback = feedback.filter(created_at__date__gte=since)
        cases = cases.filter(created_at__date__gte=since)
    keys = ("product_code", "product_name")
    comment_rows = feedback.values(*keys).annotate(
        comments=Count("id"),
        average=Avg("satisfaction"),
        understands=Count("id", filter=Q(understands_product=True)),
        understands_known=Count("id", filter=Q(understands_product__isnull=False)),
        **{f"s{n}": Count("id", filter=Q(satisfaction=n)) for n in range(1, 6)},
        **{
            f"l_{v}": Count("id", filter=Q(lifecycle_opinion=v))
            for v in Feedback.LifecycleOpinion.values
        },
    )
    case_rows = cases.values(*keys).annotate(
        cases=Count("id"),
        open_cases=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        complaints=Count("id", filter=Q(type=CaseType.COMPLAINT)),
        rating=Avg("rating__score"),
    )
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in comment_rows:
        merged[(row["product_code"], row["product_name"])] = dict(row)
    for row in case_rows:
        merged.setdefault((row["product_code"], row["product_name"]), {}).update(row)
    result = [
        ProductRow(
            product_code=code,
            product_name=name,
            comments=row.get("comments", 0),
            average_satisfaction=row.get("average"),
            scores={n: row.get(f"s{n}", 0) for n in range(1, 6)},
            understands=row.get("understands", 0),
            understands_known=row.get("understands_known", 0),
            lifecycle={v: row.get(f"l_{v}", 0) for v in Feedback.LifecycleOpinion.values},
            cases=row.get("cases", 0),
            open_cases=row.get("open_cases", 0),
            complaints=row.get("complaints", 0),
            average_case_rating=row.get("rating"),
        )
        for (code, name), row in merged.items()
    ]
    result.sort(key=lambda r: (-(r.comments + r.cases), r.product_name, r.product_code))
    return result


# --- timeline source --------------------------------------------------------------------------

TIMELINE_EVENT_KINDS = (
    CaseEvent.Kind.OPENED,
    CaseEvent.Kind.STATUS,
    CaseEvent.Kind.RATED,
    CaseEvent.Kind.ESCALATED,
    CaseEvent.Kind.EMAIL_OUT,
    CaseEvent.Kind.EMAIL_IN,
)
STATUS_TITLES: dict[str, Any] = {
    Case.Status.IN_PROGRESS: _("Case in progress"),
    Case.Status.WAITING: _("Case waiting on the customer"),
    Case.Status.RESOLVED: _("Case resolved"),
    Case.Status.CLOSED: _("Case closed"),
}


def _event_title(event: CaseEvent) -> Any:
    if event.kind == CaseEvent.Kind.OPENED:
        return _("Case opened: %(type)s") % {"type": event.case.get_type_display()}
    if event.kind == CaseEvent.Kind.RATED:
        return _("Case rated")
    if event.kind == CaseEvent.Kind.ESCALATED:
        return _("Case escalated")
    if event.kind == CaseEvent.Kind.EMAIL_OUT:
        return _("Reply e-mailed to the customer")
    if event.kind == CaseEvent.Kind.EMAIL_IN:
        return _("The customer answered by e-mail")
    if event.from_status == Case.Status.RESOLVED and event.to_status == Case.Status.IN_PROGRESS:
        return _("Case reopened")
    return STATUS_TITLES.get(event.to_status, _("Case updated"))


@register("case", _("Service cases"))
def case_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    """Cases opened, moved and rated; one query."""
    rows = CaseEvent.objects.filter(customer=customer, kind__in=TIMELINE_EVENT_KINDS)
    if before is not None:
        rows = rows.filter(at__lt=before)
    return [
        TimelineItem(
            kind="case",
            at=event.at,
            title=_event_title(event),
            body=f"{event.case.number} {event.case.subject}"
            + (f"\n{event.note}" if event.note else ""),
            by=str(event.by) if event.by else "",
            url=event.case.get_absolute_url(),
            detail=event.kind,
        )
        for event in rows.select_related("case", "by").order_by("-at", "-id")[:limit]
    ]


@register("feedback", _("Customer feedback"))
def feedback_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    rows = Feedback.objects.filter(customer=customer)
    if before is not None:
        rows = rows.filter(created_at__lt=before)
    items = []
    for row in rows.select_related("recorded_by").order_by("-created_at", "-id")[:limit]:
        title = row.get_kind_display()
        if row.product_name:
            title = f"{title} · {row.product_name}"
        items.append(
            TimelineItem(
                kind="feedback",
                at=row.created_at,
                title=title,
                body=row.content,
                by=str(row.recorded_by) if row.recorded_by else "",
                detail=row.kind,
            )
        )
    return items
