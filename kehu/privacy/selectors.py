"""Reads of privacy rights: the request register, consents in force, retention flags.

``customers_consenting(purpose)`` is the one question every sender asks before contacting or
exporting people for a purpose (campaigns, exports): only customers whose latest consent record
for that purpose is a grant.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from kehu.accounts.models import User
from kehu.core.access import can_handle_privacy_requests
from kehu.customers.models import Customer
from kehu.privacy.models import (
    ConsentRecord,
    DataSubjectRequest,
    Erasure,
    Purpose,
    RequestStatus,
    RetentionFlag,
    RetentionRule,
    RetentionRun,
)


def _latest_consent(purpose: str) -> Subquery:
    return Subquery(
        ConsentRecord.objects.filter(customer=OuterRef("pk"), purpose=purpose)
        .order_by("-at", "-id")
        .values("granted")[:1]
    )


def customers_consenting(
    purpose: str, queryset: QuerySet[Customer] | None = None
) -> QuerySet[Customer]:
    """The customers (of ``queryset``, else all) who agreed to ``purpose`` and have not
    withdrawn: their newest consent record for it is a grant. Erased customers never are."""
    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    base = Customer.objects.all() if queryset is None else queryset
    return base.annotate(consent_in_force=_latest_consent(purpose)).filter(consent_in_force=True)


def customers_refusing(purpose: str) -> QuerySet[Customer]:
    """The customers whose newest consent record for ``purpose`` is a withdrawal (they said
    no, as opposed to never having been asked)."""
    return Customer.objects.annotate(consent_in_force=_latest_consent(purpose)).filter(
        consent_in_force=False
    )


@dataclass
class ConsentState:
    purpose: Purpose
    record: ConsentRecord | None

    @property
    def granted(self) -> bool:
        return bool(self.record and self.record.granted)


def consent_states(customer: Customer) -> list[ConsentState]:
    """Per purpose, the record in force (or None: never asked)."""
    latest: dict[str, ConsentRecord] = {}
    for record in (
        ConsentRecord.objects.filter(customer=customer)
        .select_related("recorded_by")
        .order_by("-at", "-id")
    ):
        latest.setdefault(record.purpose, record)
    return [ConsentState(Purpose(p), latest.get(p)) for p in Purpose.values]


def consent_history(customer: Customer) -> QuerySet[ConsentRecord]:
    return (
        ConsentRecord.objects.filter(customer=customer)
        .select_related("recorded_by")
        .order_by("-at", "-id")
    )


def _require(user: User) -> None:
    if not can_handle_privacy_requests(user):
        raise Http404


def privacy_requests(
    *, user: User, status: str = "", kind: str = "", overdue: bool = False
) -> QuerySet[DataSubjectRequest]:
    """The register, open requests first by due date; archive administrators and admins."""
    _require(user)
    rows = DataSubjectRequest.objects.select_related("customer", "handler").order_by(
        "completed_at", "due_on", "-id"
    )
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    if overdue:
        rows = rows.filter(
            status__in=[RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS],
            due_on__lt=timezone.localdate(),
        )
    return rows


def privacy_request_get(*, user: User, request_id: int) -> DataSubjectRequest:
    _require(user)
    dsr = (
        DataSubjectRequest.objects.select_related("customer", "handler", "created_by")
        .filter(pk=request_id)
        .first()
    )
    if dsr is None:
        raise Http404
    return dsr


def privacy_open_rows(user: User) -> QuerySet[DataSubjectRequest, Any] | None:
    """Open requests (the navigation badge counts them), for those who handle them."""
    if not can_handle_privacy_requests(user):
        return None
    return DataSubjectRequest.objects.filter(
        status__in=[RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS]
    ).values("pk")


def customer_for_privacy(*, user: User, customer_id: int) -> Customer:
    """Any customer, for the people who handle privacy requests (they see the whole archive)."""
    _require(user)
    customer = (
        Customer.objects.select_related("person", "organization").filter(pk=customer_id).first()
    )
    if customer is None:
        raise Http404
    return customer


def erasure_of(customer: Customer) -> Erasure | None:
    return Erasure.objects.filter(customer=customer).first()


def retention_rules(*, user: User) -> QuerySet[RetentionRule]:
    _require(user)
    return RetentionRule.objects.all()


def retention_rule_get(*, user: User, rule_id: int) -> RetentionRule:
    _require(user)
    rule = RetentionRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise Http404
    return rule


def retention_flags(
    *, user: User, status: str = RetentionFlag.Status.FLAGGED
) -> QuerySet[RetentionFlag]:
    _require(user)
    rows = RetentionFlag.objects.select_related("rule", "customer", "decided_by")
    return rows.filter(status=status) if status else rows


def retention_runs(*, user: User) -> QuerySet[RetentionRun]:
    _require(user)
    return RetentionRun.objects.select_related("triggered_by")[:20]


def is_due_soon(due_on: date) -> bool:
    return (due_on - timezone.localdate()).days <= 3
