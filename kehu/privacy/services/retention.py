"""Retention rules (保存期限) and their runs: customers kept past their term are flagged, then
anonymised once an archive administrator agrees."""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_handle_privacy_requests, require
from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer
from kehu.privacy.models import (
    Erasure,
    RetentionFlag,
    RetentionRule,
    RetentionRun,
)
from kehu.privacy.services.requests import PRIVACY_REFUSED, choice_checked, erase_for


@transaction.atomic
def retention_rule_save(
    *,
    user: User,
    name: str,
    kind: str,
    months: Any,
    is_active: bool = True,
    rule: RetentionRule | None = None,
    ip_address: str | None = None,
) -> RetentionRule:
    require(user, can_handle_privacy_requests, PRIVACY_REFUSED)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = [_("Give a name of at most 100 characters.")]
    try:
        choice_checked(kind, RetentionRule.Kind.values, "kind")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        months_value = int(months)
        if not 1 <= months_value <= 1200:
            raise ValueError
    except (TypeError, ValueError):
        errors["months"] = [_("Give a whole number of months from 1 to 1200.")]
        months_value = 0
    if errors:
        raise ValidationError(errors)
    rule = rule or RetentionRule()
    rule.name, rule.kind, rule.months, rule.is_active = name, kind, months_value, is_active
    rule.save()
    audit_log(
        action=AuditEvent.Action.RETENTION,
        actor=user,
        object_type="retention_rule",
        object_id=rule.pk,
        detail={"step": "rule saved", "kind": kind, "months": months_value, "active": is_active},
        ip_address=ip_address,
    )
    return rule


def _months_ago(now: datetime, months: int) -> datetime:
    return now - timedelta(days=round(months * 30.44))


def retention_candidates(rule: RetentionRule, *, now: datetime | None = None) -> Any:
    """The customers ``rule`` finds: no contact, order or case since its cutoff, not already
    erased or flagged by it."""
    from kehu.interactions.models import Interaction
    from kehu.sales.models import Order
    from kehu.service.models import Case

    cutoff = _months_ago(now or timezone.now(), rule.months)
    stage = (
        Customer.Stage.LEAD
        if rule.kind == RetentionRule.Kind.INACTIVE_LEADS
        else Customer.Stage.LOST
    )
    recent_contact = Interaction.objects.filter(customer=OuterRef("pk"), occurred_at__gte=cutoff)
    recent_order = Order.objects.filter(customer=OuterRef("pk"), ordered_on__gte=cutoff.date())
    recent_case = Case.objects.filter(customer=OuterRef("pk"), created_at__gte=cutoff)
    return (
        Customer.objects.filter(lifecycle_stage=stage, updated_at__lt=cutoff)
        .exclude(status=Customer.Status.MERGED)
        .exclude(Exists(recent_contact))
        .exclude(Exists(recent_order))
        .exclude(Exists(recent_case))
        .exclude(Exists(Erasure.objects.filter(customer=OuterRef("pk"))))
        .exclude(Exists(RetentionFlag.objects.filter(customer=OuterRef("pk"), rule=rule)))
    )


@transaction.atomic
def retention_decide(
    *, user: User, flag_ids: list[int], approve: bool, ip_address: str | None = None
) -> int:
    """Approve flagged customers for anonymisation (the nightly job does it) or keep them."""
    require(user, can_handle_privacy_requests, PRIVACY_REFUSED)
    flags = RetentionFlag.objects.select_for_update().filter(
        pk__in=flag_ids, status=RetentionFlag.Status.FLAGGED
    )
    ids = list(flags.values_list("pk", flat=True))
    if not ids:
        raise ValidationError(_("Choose customers waiting for review."))
    status = RetentionFlag.Status.APPROVED if approve else RetentionFlag.Status.KEPT
    RetentionFlag.objects.filter(pk__in=ids).update(
        status=status, decided_by=user, decided_at=timezone.now()
    )
    audit_log(
        action=AuditEvent.Action.RETENTION,
        actor=user,
        object_type="retention_flag",
        detail={"step": "reviewed", "flags": ids, "status": status},
        ip_address=ip_address,
    )
    return len(ids)


def retention_run(*, user: User | None = None, ip_address: str | None = None) -> RetentionRun:
    """One run of the retention job: anonymise what was approved, then flag what the active
    rules find for review. Idempotent; audited."""
    if user is not None:
        require(user, can_handle_privacy_requests, PRIVACY_REFUSED)
    run = RetentionRun.objects.create(started_at=timezone.now(), triggered_by=user)
    approved = RetentionFlag.objects.filter(status=RetentionFlag.Status.APPROVED).select_related(
        "customer"
    )
    for flag in approved:
        with transaction.atomic():
            if not Erasure.objects.filter(customer_id=flag.customer_id).exists():
                erase_for(
                    user=user,
                    customer=flag.customer,
                    reason=Erasure.Reason.RETENTION,
                    dsr=None,
                    ip_address=ip_address,
                )
            RetentionFlag.objects.filter(pk=flag.pk).update(status=RetentionFlag.Status.ANONYMISED)
            run.anonymised += 1
    now = timezone.now()
    for rule in RetentionRule.objects.filter(is_active=True):
        ids = list(retention_candidates(rule, now=now).values_list("pk", flat=True)[:10_000])
        RetentionFlag.objects.bulk_create(
            [RetentionFlag(rule=rule, customer_id=i, flagged_at=now) for i in ids],
            ignore_conflicts=True,
        )
        run.flagged += len(ids)
    run.finished_at = timezone.now()
    run.save()
    audit_log(
        action=AuditEvent.Action.RETENTION,
        actor=user,
        object_type="retention_run",
        object_id=run.pk,
        detail={"step": "run", "flagged": run.flagged, "anonymised": run.anonymised},
        ip_address=ip_address,
    )
    return run
