"""``/api/v1/audit``: the audit trail, read-only for everyone (there is no write, change or
delete endpoint); filterable; a CSV export for admins, itself audited."""

from datetime import date, datetime
from typing import Any

from django.http import StreamingHttpResponse
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from kehu.core.access import can_manage_accounts, can_view_audit, require
from kehu.core.api import ERROR_RESPONSES
from kehu.core.audit import audit_events, audit_log
from kehu.core.http import AuthenticatedRequest
from kehu.core.models import AuditEvent
from kehu.core.pagination import KeysetPagination

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    at: datetime
    action: str
    username: str
    ip_address: str | None
    object_type: str
    object_id: str
    detail: dict[str, Any]


class AuditFilter(Schema):
    action: AuditEvent.Action | None = None
    username: str = ""
    date_from: date | None = None
    date_to: date | None = None
    object_type: str = ""
    object_id: str = ""


def _events(filters: AuditFilter) -> Any:
    return audit_events(
        action=filters.action or "",
        username=filters.username,
        date_from=filters.date_from,
        date_to=filters.date_to,
        object_type=filters.object_type,
        object_id=filters.object_id,
    )


@router.get("/", response={200: list[AuditEventOut], **ERROR_RESPONSES}, summary="Audit events")
@paginate(KeysetPagination)
def audit_list(request: AuthenticatedRequest, filters: Query[AuditFilter]) -> Any:
    require(request.user, can_view_audit)
    return _events(filters)


@router.get(
    "/export.csv",
    response={200: None, **ERROR_RESPONSES},
    summary="Export the filtered audit trail as CSV (admins)",
)
def audit_export(
    request: AuthenticatedRequest, filters: Query[AuditFilter]
) -> StreamingHttpResponse:
    from kehu.core.views import audit_csv_response

    require(request.user, can_manage_accounts)
    audit_log(
        action=AuditEvent.Action.AUDIT_EXPORTED,
        actor=request.user,
        request=request,
        object_type="audit",
        detail={k: str(v) for k, v in filters.dict().items() if v},
    )
    return audit_csv_response(_events(filters))
