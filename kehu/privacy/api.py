"""``/api/v1/privacy``: data-subject requests and their steps (copy, correction, erasure,
withdrawal), the consent register, retention rules and review. Archive administrators and
admins; anyone else gets 404 (the register's existence is not hidden, its rows are)."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.accounts.models import User
from kehu.core.access import can_handle_privacy_requests, can_read_consents, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.encryption import decrypted_chunks
from kehu.core.http import AuthenticatedRequest, client_ip_or_none, download_response
from kehu.core.pagination import KeysetPagination
from kehu.core.schemas import CustomerRef
from kehu.customers.selectors import customer_get_for_user
from kehu.privacy import selectors, services
from kehu.privacy.models import (
    ConsentMethod,
    Purpose,
    RequestKind,
    RequestStatus,
    RetentionFlag,
    RetentionRule,
    Verification,
)

router = Router(tags=["privacy"])


class PrivacyRequestOut(Schema):
    id: int
    kind: RequestKind
    customer: CustomerRef
    verification: Verification
    verification_note: str
    received_on: date
    due_on: date
    status: RequestStatus
    handler: str | None
    language: str
    details: str
    outcome: str
    completed_at: datetime | None
    copy_ready: bool
    copy_url: str | None

    @staticmethod
    def resolve_handler(obj: Any) -> str | None:
        return obj.handler.get_username() if obj.handler else None

    @staticmethod
    def resolve_copy_ready(obj: Any) -> bool:
        return bool(obj.copy_path)

    @staticmethod
    def resolve_copy_url(obj: Any) -> str | None:
        from django.urls import reverse

        return reverse("api:privacy_copy_download", args=[obj.pk]) if obj.copy_path else None


class PrivacyRequestIn(Schema):
    kind: RequestKind
    customer_id: int = Field(description="Find the person with `GET /search?q=` first.")
    verification: Verification
    verification_note: str = Field("", max_length=300)
    received_on: date | None = Field(None, description="Default: today.")
    details: str = Field("", max_length=5000)
    language: str = Field("zh-hans", description="Language of the copy: `zh-hans` or `en`.")


class PrivacyRequestPatch(Schema):
    status: RequestStatus | None = None
    handler_id: int | None = None
    outcome: str | None = Field(None, max_length=5000)


class PrivacyRequestFilter(Schema):
    status: RequestStatus | None = None
    kind: RequestKind | None = None
    overdue: bool = False


class PrivacyCorrectionIn(Schema):
    data: dict[str, Any] = Field(description="Field codes and their corrected values.")
    forget_old_values: bool = Field(True, description="Take the wrong values out of history.")


class PrivacyWithdrawIn(Schema):
    purposes: list[Purpose] = Field(default_factory=list)


class ConsentRecordOut(Schema):
    id: int
    purpose: Purpose
    granted: bool
    at: datetime
    method: ConsentMethod
    reference: str
    recorded_by: str | None

    @staticmethod
    def resolve_recorded_by(obj: Any) -> str | None:
        return obj.recorded_by.get_username() if obj.recorded_by else None


class ConsentRecordIn(Schema):
    purpose: Purpose
    granted: bool
    method: ConsentMethod
    reference: str = Field("", max_length=200)
    at: datetime | None = None


class RetentionRuleOut(Schema):
    id: int
    name: str
    kind: RetentionRule.Kind
    months: int
    is_active: bool


class RetentionRuleIn(Schema):
    name: str = Field(max_length=100)
    kind: RetentionRule.Kind
    months: int = Field(ge=1, le=1200)
    is_active: bool = True


class RetentionFlagOut(Schema):
    id: int
    rule_id: int
    customer: CustomerRef
    status: RetentionFlag.Status
    flagged_at: datetime


class RetentionDecideIn(Schema):
    flag_ids: list[int]
    approve: bool


class RetentionRunOut(Schema):
    id: int
    started_at: datetime
    finished_at: datetime | None
    flagged: int
    anonymised: int


def _require(request: AuthenticatedRequest) -> User:
    if not can_handle_privacy_requests(request.user):
        raise Http404
    return request.user


ONE = {200: PrivacyRequestOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES}


@router.get(
    "/requests/", response={200: list[PrivacyRequestOut], **ERROR_RESPONSES}, summary="Requests"
)
@paginate(KeysetPagination)
def request_list(request: AuthenticatedRequest, filters: Query[PrivacyRequestFilter]) -> Any:
    _require(request)
    return selectors.privacy_requests(
        user=request.user,
        status=filters.status or "",
        kind=filters.kind or "",
        overdue=filters.overdue,
    ).order_by("-id")


@router.post(
    "/requests/",
    response={201: PrivacyRequestOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Record a request",
)
def request_create(request: AuthenticatedRequest, payload: PrivacyRequestIn) -> Status[Any]:
    user = _require(request)
    customer = selectors.customer_for_privacy(user=user, customer_id=payload.customer_id)
    dsr = services.privacy_request_create(
        user=user,
        customer=customer,
        kind=payload.kind,
        verification=payload.verification,
        verification_note=payload.verification_note,
        received_on=payload.received_on,
        details=payload.details,
        language=payload.language,
        ip_address=client_ip_or_none(request),
    )
    return Status(201, dsr)


@router.get("/requests/{request_id}", response=ONE, summary="A request")
def request_detail(request: AuthenticatedRequest, request_id: int) -> Any:
    return selectors.privacy_request_get(user=_require(request), request_id=request_id)


@router.patch("/requests/{request_id}", response=ONE, summary="Change status, handler, outcome")
def request_update(
    request: AuthenticatedRequest, request_id: int, payload: PrivacyRequestPatch
) -> Any:
    user = _require(request)
    dsr = selectors.privacy_request_get(user=user, request_id=request_id)
    handler = None
    if payload.handler_id is not None:
        handler = User.objects.filter(pk=payload.handler_id, is_active=True).first()
        if handler is None:
            raise ValidationError({"handler_id": [_("No such active user.")]})
    return services.privacy_request_update(
        user=user,
        dsr=dsr,
        status=payload.status,
        handler=handler,
        outcome=payload.outcome,
        ip_address=client_ip_or_none(request),
    )


@router.post("/requests/{request_id}/copy", response=ONE, summary="Make the person's copy")
def request_copy(request: AuthenticatedRequest, request_id: int) -> Any:
    user = _require(request)
    dsr = selectors.privacy_request_get(user=user, request_id=request_id)
    return services.privacy_copy_make(user=user, dsr=dsr, ip_address=client_ip_or_none(request))


@router.get(
    "/requests/{request_id}/copy",
    response={200: None, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    url_name="privacy_copy_download",
    summary="Download the copy (a zip of data.html and data.json); audited",
)
def request_copy_download(request: AuthenticatedRequest, request_id: int) -> FileResponse:
    user = _require(request)
    dsr = selectors.privacy_request_get(user=user, request_id=request_id)
    path = services.privacy_copy_open(user=user, dsr=dsr, ip_address=client_ip_or_none(request))
    return download_response(
        decrypted_chunks(path),
        filename=f"personal-data-{dsr.pk}.zip",
        content_type="application/zip",
    )


@router.post("/requests/{request_id}/handed-over", response=ONE, summary="Copy handed over")
def request_handed_over(request: AuthenticatedRequest, request_id: int) -> Any:
    user = _require(request)
    dsr = selectors.privacy_request_get(user=user, request_id=request_id)
    return services.privacy_copy_handed_over(
        user=user, dsr=dsr, ip_address=client_ip_or_none(request)
    )


@router.post("/requests/{request_id}/erase", response=ONE, summary="Erase the person")
def request_erase(request: AuthenticatedRequest, request_id: int) -> Any:
    user = _require(request)
    dsr = selectors.privacy_request_get(user=user, request_id=request_id)
    return services.privacy_erase(user=user, dsr=dsr, ip_address=client_ip_or_none(request))


@router.post("/requests/{request_id}/correct", response=ONE, summary="Correct the person's data")
def request_correct(
    request: AuthenticatedRequest, request_id: int, payload: PrivacyCorrectionIn
) -> Any:
    user = _require(request)
    dsr = selectors.privacy_request_get(user=user, request_id=request_id)
    return services.privacy_correct(
        user=user,
        dsr=dsr,
        data=payload.data,
        forget_old_values=payload.forget_old_values,
        ip_address=client_ip_or_none(request),
    )


@router.post("/requests/{request_id}/withdraw", response=ONE, summary="Withdraw consent")
def request_withdraw(
    request: AuthenticatedRequest, request_id: int, payload: PrivacyWithdrawIn
) -> Any:
    user = _require(request)
    dsr = selectors.privacy_request_get(user=user, request_id=request_id)
    return services.privacy_withdraw(
        user=user,
        dsr=dsr,
        purposes=[str(p) for p in payload.purposes],
        ip_address=client_ip_or_none(request),
    )


@router.get(
    "/customers/{customer_id}/consents/",
    response={200: list[ConsentRecordOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="A customer's consent records, newest first",
)
def consent_list(request: AuthenticatedRequest, customer_id: int) -> Any:
    require(request.user, can_read_consents)
    customer = customer_get_for_user(user=request.user, customer_id=customer_id)
    return list(selectors.consent_history(customer))


@router.post(
    "/customers/{customer_id}/consents/",
    response={201: ConsentRecordOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Record a grant or withdrawal",
)
def consent_create(
    request: AuthenticatedRequest, customer_id: int, payload: ConsentRecordIn
) -> Any:
    user = request.user
    if not can_handle_privacy_requests(user):
        # Who sees the customer is refused (403); who does not learns nothing of it (404).
        customer_get_for_user(user=user, customer_id=customer_id)
        require(user, can_handle_privacy_requests, services.PRIVACY_REFUSED)
    customer = selectors.customer_for_privacy(user=user, customer_id=customer_id)
    record = services.consent_record(
        user=user,
        customer=customer,
        purpose=payload.purpose,
        granted=payload.granted,
        method=payload.method,
        reference=payload.reference,
        at=payload.at,
        ip_address=client_ip_or_none(request),
    )
    return Status(201, record)


@router.get("/retention/rules/", response={200: list[RetentionRuleOut], **ERROR_RESPONSES})
def rule_list(request: AuthenticatedRequest) -> Any:
    return list(selectors.retention_rules(user=_require(request)))


@router.post(
    "/retention/rules/", response={201: RetentionRuleOut, 422: ErrorBody, **ERROR_RESPONSES}
)
def rule_create(request: AuthenticatedRequest, payload: RetentionRuleIn) -> Status[Any]:
    user = _require(request)
    rule = services.retention_rule_save(
        user=user, ip_address=client_ip_or_none(request), **payload.dict()
    )
    return Status(201, rule)


@router.put(
    "/retention/rules/{rule_id}",
    response={200: RetentionRuleOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
)
def rule_update(request: AuthenticatedRequest, rule_id: int, payload: RetentionRuleIn) -> Any:
    user = _require(request)
    rule = selectors.retention_rule_get(user=user, rule_id=rule_id)
    return services.retention_rule_save(
        user=user, rule=rule, ip_address=client_ip_or_none(request), **payload.dict()
    )


@router.get("/retention/flags", response={200: list[RetentionFlagOut], **ERROR_RESPONSES})
@paginate(KeysetPagination)
def flag_list(request: AuthenticatedRequest, status: str = RetentionFlag.Status.FLAGGED) -> Any:
    return selectors.retention_flags(user=_require(request), status=status).order_by("-id")


@router.post(
    "/retention/flags/decide", response={200: dict[str, int], 422: ErrorBody, **ERROR_RESPONSES}
)
def flag_decide(request: AuthenticatedRequest, payload: RetentionDecideIn) -> dict[str, int]:
    user = _require(request)
    count = services.retention_decide(
        user=user,
        flag_ids=payload.flag_ids,
        approve=payload.approve,
        ip_address=client_ip_or_none(request),
    )
    return {"decided": count}


@router.post("/retention/run", response={200: RetentionRunOut, **ERROR_RESPONSES})
def retention_run(request: AuthenticatedRequest) -> Any:
    return services.retention_run(user=_require(request), ip_address=client_ip_or_none(request))
