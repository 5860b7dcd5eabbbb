"""Risks: levels, reasons, alerts and their acknowledgement, the ageing report."""

from datetime import date
from typing import Any, Literal

from ninja import Query, Schema
from ninja.pagination import paginate

from kehu.core.access import require_archive_admin
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.core.schemas import RecordId
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_get_for_user, customers_visible_to
from kehu.oversight import selectors, services
from kehu.oversight.access import require_reader
from kehu.oversight.api.common import router
from kehu.oversight.api.schemas import (
    AcknowledgedOut,
    AcknowledgeIn,
    AgeingRowOut,
    AlertOut,
    CustomerRiskOut,
    RiskCustomerOut,
    RiskRunOut,
    _alert,
    _risk,
)
from kehu.oversight.models import RiskAlert


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
