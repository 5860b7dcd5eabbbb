"""The oversight API's response and request shapes."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from kehu.core.schemas import CustomerRef, RecordId
from kehu.customers.api.schemas import UserRef
from kehu.oversight.models import RiskAlert
from kehu.oversight.rules import reason_text


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
    computed_at: datetime = Field(description="When these figures were computed.")
    stale: bool = Field(
        description="True when the data changed since: newer figures are being computed."
    )


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
