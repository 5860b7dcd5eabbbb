"""``/api/v1/oversight``: every figure of the dashboards (for BI tools), risks and alerts, the
receivables ageing, reviews, targets, growth and decline, the service figures, the risk rules.
Figures are scoped like the pages: a leader reads everything and writes nothing."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.core.access import require_account_admin, require_archive_admin
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.core.schemas import CustomerRef, RecordId
from kehu.customers.api.schemas import UserRef
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get_for_user, customers_visible_to
from kehu.oversight import kpis, selectors, services
from kehu.oversight.access import require_reader
from kehu.oversight.models import Review, RiskAlert, RiskRule, SalesTarget
from kehu.oversight.rules import reason_text, rules_all

router = Router(tags=["oversight"])


# --- schemas --------------------------------------------------------------------------------


class ReasonOut(Schema):
    rule: str
    level: int
    figures: dict[str, Any]
    on: str
    text: str


class RiskOut(Schema):
    level: int
    level_label: str
    since: datetime
    computed_at: datetime
    reasons: list[ReasonOut]


class AlertOut(Schema):
    id: int
    customer: CustomerRef
    level: int
    previous_level: int
    raised_at: datetime
    reasons: list[ReasonOut]
    acknowledged_at: datetime | None
    acknowledged_by: UserRef | None
    note: str


class CustomerRiskOut(Schema):
    customer_id: int
    risk: RiskOut | None
    alerts: list[AlertOut]


class RiskCustomerOut(Schema):
    id: int
    name: str
    owner: UserRef | None
    team_id: int | None
    risk: RiskOut


class AcknowledgeIn(Schema):
    note: str


class AcknowledgedOut(Schema):
    acknowledged: int


class DashboardIn(Schema):
    period: Literal["month", "quarter", "year"] = "month"
    on: date | None = None
    team_id: int | None = None


class DashboardOut(Schema):
    period: str
    start: date
    end: date
    previous_start: date
    previous_end: date
    team_id: int | None
    figures: dict[str, Any]
    previous: dict[str, Any]
    targets: dict[str, Any]
    composition: dict[str, Any]
    risks: dict[str, int]
    trend: dict[str, list[Any]]


class AgeingRowOut(Schema):
    key: int | None
    name: str
    customers: int
    outstanding: Decimal
    buckets: dict[str, Decimal]
    credit_limit: Decimal | None = None
    credit_used: float | None = None


class DueCustomerOut(Schema):
    id: int
    name: str
    grade: str
    reviewed_at: datetime | None
    owner: UserRef | None


class ReviewOut(Schema):
    id: int
    customer_id: int
    reviewer: UserRef | None
    checklist: list[Any]
    changes: dict[str, list[str]]
    reason: str
    outcome: str
    next_review_on: date
    status: str
    decided_by: UserRef | None
    decided_at: datetime | None
    created_at: datetime


class ReviewIn(Schema):
    outcome: str
    checks: list[int] = []
    next_review_on: date | None = None
    grade: str = ""
    lifecycle_stage: str = ""
    credit_limit: Decimal | None = None
    reason: str = ""


class DecideIn(Schema):
    approve: bool


class SalesTargetOut(Schema):
    id: int
    period: str
    starts_on: date
    owner: UserRef | None
    team_id: int | None
    metric: str
    amount: Decimal


class SalesTargetIn(Schema):
    period: Literal["month", "quarter"]
    starts_on: date
    metric: Literal["revenue", "collected", "new_customers"]
    amount: Decimal
    owner_id: RecordId | None = None
    team_id: RecordId | None = None


class GrowthOut(Schema):
    customer: CustomerRef
    spend: Decimal
    spend_before: Decimal
    change: float
    watched: bool
    watch_reason: str


class WatchIn(Schema):
    reason: str


class RiskRuleOut(Schema):
    id: int
    code: str
    label: str
    enabled: bool
    level: int
    days: int | None
    amount: Decimal | None
    percent: Decimal | None
    count: int | None


class RiskRuleIn(Schema):
    enabled: bool | None = None
    level: int | None = None
    days: int | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    count: int | None = None


class RiskRunOut(Schema):
    customers_at_risk: int
    alerts: int
    seconds: float


# --- helpers --------------------------------------------------------------------------------


def _reasons(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "on": r.get("on", ""), "text": reason_text(r)} for r in rows]


def _risk(risk: Any) -> dict[str, Any] | None:
    if risk is None:
        return None
    return {
        "level": risk.level,
        "level_label": str(risk.get_level_display()),
        "since": risk.since,
        "computed_at": risk.computed_at,
        "reasons": _reasons(risk.reasons),
    }


def _alert(alert: RiskAlert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "customer": alert.customer,
        "level": alert.level,
        "previous_level": alert.previous_level,
        "raised_at": alert.raised_at,
        "reasons": _reasons(alert.reasons),
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by,
        "note": alert.note,
    }


# --- dashboard ------------------------------------------------------------------------------


@router.get(
    "/dashboard",
    response={200: DashboardOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Every KPI of the dashboard for a period, with the previous period's",
    description=(
        "Revenue, collections, new and lost customers, orders, average order value, repeat and "
        "retention rates, CLV, pipeline, weighted forecast, satisfaction, complaint rate, SLA "
        "compliance, overdue receivables, risk counts, customers by stage/grade/tier, the "
        "monthly trend and the targets with attainment. Scoped: everything for leaders, a "
        "manager's teams, a rep's own work. Formulas: docs/oversight.md."
    ),
)
def dashboard(request: AuthenticatedRequest, filters: Query[DashboardIn]) -> dict[str, Any]:
    require_reader(request.user)
    from kehu.core.access import managed_team_ids, sees_all_customers

    team_id = filters.team_id
    if (
        team_id
        and not sees_all_customers(request.user)
        and team_id not in managed_team_ids(request.user)
    ):
        raise Http404
    board = kpis.dashboard_cached(
        user=request.user,
        filters=kpis.KpiFilters(period=filters.period, on=filters.on, team_id=team_id),
    )
    return {
        "period": filters.period,
        "start": board.span.start,
        "end": board.span.end,
        "previous_start": board.previous.start,
        "previous_end": board.previous.end,
        "team_id": team_id,
        "figures": board.figures,
        "previous": board.before,
        "targets": board.targets,
        "composition": board.composition,
        "risks": board.risks,
        "trend": board.trend,
    }


# --- risks ----------------------------------------------------------------------------------


class RiskListIn(Schema):
    level: int | None = None
    rule: str = ""
    owner_id: int | None = None
    team_id: int | None = None


@router.get(
    "/risks/",
    response={200: list[RiskCustomerOut], **ERROR_RESPONSES},
    summary="Customers at risk that you see, with their level and reasons",
)
@paginate(KeysetPagination)
def risk_list(request: AuthenticatedRequest, filters: Query[RiskListIn]) -> Any:
    require_reader(request.user)
    rows = customers_visible_to(request.user).filter(
        status__in=Customer.LIVE_STATUSES, risk__level__gte=1
    )
    if filters.level:
        rows = rows.filter(risk__level=filters.level)
    if filters.rule:
        rows = rows.filter(risk__rules__contains=f",{filters.rule},")
    if filters.owner_id:
        rows = rows.filter(owner_id=filters.owner_id)
    if filters.team_id:
        rows = rows.filter(team_id=filters.team_id)
    rows = rows.select_related("owner", "risk").order_by("-id")
    return _RiskRows(rows)


class _RiskRows:
    """The customers, each given as the list's shape (the pager reads ``id`` on each)."""

    def __init__(self, rows: Any) -> None:
        self.rows = rows
        self.query = rows.query
        self.model = rows.model

    def filter(self, *args: Any, **kwargs: Any) -> "_RiskRows":
        return _RiskRows(self.rows.filter(*args, **kwargs))

    def order_by(self, *args: Any) -> "_RiskRows":
        return _RiskRows(self.rows.order_by(*args))

    def __getitem__(self, key: Any) -> list[Any]:
        return [_RiskRow(c) for c in self.rows[key]]


class _RiskRow:
    def __init__(self, customer: Customer) -> None:
        self.id = customer.pk
        self.name = customer.name
        self.owner = customer.owner
        self.team_id = customer.team_id
        self.risk = _risk(customer.risk)


@router.get(
    "/customers/{customer_id}/risk",
    response={200: CustomerRiskOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="A customer's risk level, its reasons and the latest alerts",
)
def customer_risk(request: AuthenticatedRequest, customer_id: RecordId) -> dict[str, Any]:
    risk = selectors.risk_for_customer(user=request.user, customer_id=customer_id)
    customer = Customer(pk=customer_id)
    return {
        "customer_id": customer_id,
        "risk": _risk(risk),
        "alerts": [_alert(a) for a in selectors.customer_alerts(customer=customer)],
    }


@router.post(
    "/customers/{customer_id}/alerts/acknowledge",
    response={200: AcknowledgedOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Acknowledge the customer's open alerts with a note (shown on the timeline)",
)
def alerts_acknowledge(
    request: AuthenticatedRequest, customer_id: RecordId, payload: AcknowledgeIn
) -> dict[str, int]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    from kehu.customers.selectors import require_customer_change

    require_customer_change(request.user, customer)
    done = 0
    for alert in RiskAlert.objects.filter(customer=customer, acknowledged_at__isnull=True):
        alert.customer = customer
        services.risk_alert_acknowledge(user=request.user, alert=alert, note=payload.note)
        done += 1
    return {"acknowledged": done}


@router.get(
    "/alerts/",
    response={200: list[AlertOut], **ERROR_RESPONSES},
    summary="Risk alerts of the customers you see, newest first (`open=true`: not acknowledged)",
)
@paginate(KeysetPagination)
def alert_list(request: AuthenticatedRequest, open: bool = False) -> Any:
    rows = selectors.alert_list(user=request.user, open_only=open)
    return _Mapped(rows, _alert)


class _Mapped:
    def __init__(self, rows: Any, fn: Any) -> None:
        self.rows, self.fn = rows, fn
        self.query, self.model = rows.query, rows.model

    def filter(self, *args: Any, **kwargs: Any) -> "_Mapped":
        return _Mapped(self.rows.filter(*args, **kwargs), self.fn)

    def order_by(self, *args: Any) -> "_Mapped":
        return _Mapped(self.rows.order_by(*args), self.fn)

    def __getitem__(self, key: Any) -> list[Any]:
        return [_Row(self.fn(r), r) for r in self.rows[key]]


class _Row(dict):  # type: ignore[type-arg]
    """A mapped row that still answers the pager's attribute reads."""

    def __init__(self, data: dict[str, Any], obj: Any) -> None:
        super().__init__(data)
        self._obj = obj

    def __getattr__(self, name: str) -> Any:
        if name in self:
            return self[name]
        return getattr(self._obj, name)


@router.post(
    "/risks/recompute",
    response={200: RiskRunOut, **ERROR_RESPONSES},
    summary="Recompute every customer's risk now (archive administrators)",
)
def risks_recompute(request: AuthenticatedRequest) -> dict[str, Any]:
    require_archive_admin(request.user)
    from kehu.oversight.risk import risk_compute

    result = risk_compute()
    return {
        "customers_at_risk": result.at_risk,
        "alerts": len(result.alerts),
        "seconds": result.seconds,
    }


@router.get(
    "/ageing",
    response={200: list[AgeingRowOut], **ERROR_RESPONSES},
    summary="Receivables ageing (CNY) per team, owner or customer, with credit use",
)
def ageing(
    request: AuthenticatedRequest,
    group_by: Literal["team", "owner", "customer"] = "owner",
    team_id: int | None = None,
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    return selectors.ageing_report(
        user=request.user, group_by=group_by, team_id=team_id, as_of=as_of
    )


# --- reviews --------------------------------------------------------------------------------


@router.get(
    "/reviews/due",
    response={200: list[DueCustomerOut], **ERROR_RESPONSES},
    summary="Customers due for their periodic review in your scope",
)
@paginate(KeysetPagination)
def reviews_due(
    request: AuthenticatedRequest, owner_id: int | None = None, team_id: int | None = None
) -> Any:
    return selectors.reviews_due(user=request.user, owner_id=owner_id, team_id=team_id).order_by(
        "id"
    )


def _review(review: Review) -> dict[str, Any]:
    return {
        "id": review.pk,
        "customer_id": review.customer_id,
        "reviewer": review.reviewer,
        "checklist": review.checklist,
        "changes": review.changes,
        "reason": review.reason,
        "outcome": review.outcome,
        "next_review_on": review.next_review_on,
        "status": review.status,
        "decided_by": review.decided_by,
        "decided_at": review.decided_at,
        "created_at": review.created_at,
    }


@router.get(
    "/customers/{customer_id}/reviews/",
    response={200: list[ReviewOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="A customer's periodic reviews, newest first",
)
def customer_reviews(request: AuthenticatedRequest, customer_id: RecordId) -> list[dict[str, Any]]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    return [_review(r) for r in selectors.customer_reviews(customer=customer, limit=100)]


@router.post(
    "/customers/{customer_id}/reviews/",
    response={201: ReviewOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Record a periodic review; proposed changes apply now or after approval",
)
def review_create(
    request: AuthenticatedRequest, customer_id: RecordId, payload: ReviewIn
) -> Status[dict[str, Any]]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    changes: dict[str, Any] = {"grade": payload.grade, "lifecycle_stage": payload.lifecycle_stage}
    if payload.credit_limit is not None:
        changes["organization.credit_limit"] = payload.credit_limit
    review = services.review_complete(
        user=request.user,
        customer=customer,
        data=services.ReviewInput(
            checks=dict.fromkeys(payload.checks, True),
            outcome=payload.outcome,
            next_review_on=payload.next_review_on,
            changes=changes,
            reason=payload.reason,
        ),
    )
    return Status(201, _review(review))


@router.post(
    "/customers/{customer_id}/reviews/decide",
    response={200: ReviewOut, 404: ErrorBody, 409: ErrorBody, **ERROR_RESPONSES},
    summary="Approve or reject the changes the customer's pending review proposed",
)
def review_decide(
    request: AuthenticatedRequest, customer_id: RecordId, payload: DecideIn
) -> dict[str, Any]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    from kehu.core.access import require
    from kehu.oversight.access import can_approve_review

    require(request.user, lambda u: can_approve_review(u, customer))
    review = (
        Review.objects.filter(customer=customer, status=Review.Status.PENDING)
        .order_by("created_at")
        .first()
    )
    if review is None:
        raise Http404
    return _review(
        services.review_decide(user=request.user, review=review, approve=payload.approve)
    )


# --- targets --------------------------------------------------------------------------------


@router.get(
    "/targets/",
    response={200: list[SalesTargetOut], **ERROR_RESPONSES},
    summary="Sales targets you may see (your own, your teams', or everyone's)",
)
@paginate(KeysetPagination)
def target_list(request: AuthenticatedRequest, starts_from: date | None = None) -> Any:
    return selectors.target_list(user=request.user, starts_from=starts_from).order_by("-id")


@router.post(
    "/targets/",
    response={200: SalesTargetOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Set (or change) a rep's or a team's target for a month or quarter",
)
def target_set(request: AuthenticatedRequest, payload: SalesTargetIn) -> SalesTarget:
    from kehu.accounts.models import Team, User
    from kehu.core.access import require
    from kehu.oversight.access import can_set_targets

    require(request.user, can_set_targets)
    owner = get_object_or_404(User, pk=payload.owner_id) if payload.owner_id else None
    team = get_object_or_404(Team, pk=payload.team_id) if payload.team_id else None
    return services.target_set(
        user=request.user,
        period=payload.period,
        starts_on=payload.starts_on,
        metric=payload.metric,
        amount=payload.amount,
        owner=owner,
        team=team,
    )


@router.delete(
    "/targets/{target_id}",
    response={204: None, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Delete a target",
)
def target_delete(request: AuthenticatedRequest, target_id: RecordId) -> Status[None]:
    target = selectors.target_get_for_user(user=request.user, target_id=target_id)
    services.target_delete(user=request.user, target=target)
    return Status(204, None)


# --- growth and watch -----------------------------------------------------------------------


@router.get(
    "/growth",
    response={200: list[GrowthOut], **ERROR_RESPONSES},
    summary="Customers whose spending grew or fell most (top `limit`, at most 200)",
)
def growth(
    request: AuthenticatedRequest,
    direction: Literal["growth", "decline"] = "growth",
    days: Literal[90, 365] = 365,
    limit: int = 50,
) -> list[dict[str, Any]]:
    rows = list(
        selectors.growth_list(user=request.user, direction=direction, days=days)[
            : max(1, min(limit, 200))
        ]
    )
    watches = selectors.watch_reasons([r.customer_id for r in rows])
    out = []
    for r in rows:
        w = watches.get(r.customer_id)
        out.append(
            {
                "customer": r.customer,
                "spend": r.spend_90 if days == 90 else r.spend_365,
                "spend_before": r.spend_prev_90 if days == 90 else r.spend_prev_365,
                "change": r.change_90 if days == 90 else r.change_365,
                "watched": w is not None,
                "watch_reason": w.reason if w else "",
            }
        )
    return out


@router.put(
    "/customers/{customer_id}/watch",
    response={204: None, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Put the customer on the watch list, with the reason",
)
def watch_set(
    request: AuthenticatedRequest, customer_id: RecordId, payload: WatchIn
) -> Status[None]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    services.watch_set(user=request.user, customer=customer, reason=payload.reason)
    return Status(204, None)


@router.delete(
    "/customers/{customer_id}/watch",
    response={204: None, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Take the customer off the watch list",
)
def watch_clear(request: AuthenticatedRequest, customer_id: RecordId) -> Status[None]:
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    services.watch_clear(user=request.user, customer=customer)
    return Status(204, None)


# --- service --------------------------------------------------------------------------------


@router.get(
    "/service",
    response={200: dict[str, Any], **ERROR_RESPONSES},
    summary="Service figures: open cases by age and priority, SLA, response times, ratings",
)
def service(request: AuthenticatedRequest, filters: Query[DashboardIn]) -> dict[str, Any]:
    span = kpis.span_of(filters.period, filters.on or timezone.localdate())
    return selectors.service_dashboard(user=request.user, start=span.start, end=span.end)


# --- rules ----------------------------------------------------------------------------------


def _rule(rule: RiskRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "code": rule.code,
        "label": str(rule.get_code_display()),
        "enabled": rule.enabled,
        "level": rule.level,
        "days": rule.days,
        "amount": rule.amount,
        "percent": rule.percent,
        "count": rule.count,
    }


@router.get(
    "/rules/",
    response={200: list[RiskRuleOut], **ERROR_RESPONSES},
    summary="The risk rules with their thresholds (admins)",
)
def rule_list(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    require_account_admin(request.user)
    return [_rule(r) for r in rules_all()]


@router.put(
    "/rules/{rule_id}",
    response={200: RiskRuleOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Change a risk rule: on/off, level, thresholds (admins; audited)",
)
def rule_update(
    request: AuthenticatedRequest, rule_id: RecordId, payload: RiskRuleIn
) -> dict[str, Any]:
    require_account_admin(request.user)
    rule = get_object_or_404(RiskRule, pk=rule_id)
    data = {k: v for k, v in payload.dict().items() if v is not None}
    return _rule(services.risk_rule_update(user=request.user, rule=rule, data=data))
