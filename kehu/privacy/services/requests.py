"""The request register and each step of a request: a copy of the person's data, correction,
erasure."""

import io
import json
import secrets
import zipfile
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.core.access import can_handle_privacy_requests, require
from kehu.core.audit import audit_log
from kehu.core.encryption import encrypt, private_file
from kehu.core.models import AuditEvent
from kehu.customers.models import Channel, Customer, CustomerChange
from kehu.privacy.erasure import ERASED, customer_erase
from kehu.privacy.models import (
    ConsentMethod,
    ConsentRecord,
    DataSubjectRequest,
    Erasure,
    Purpose,
    RequestKind,
    RequestStatus,
    Verification,
)
from kehu.privacy.personal_copy import personal_data, personal_data_html

COPY_DIR = "privacy"
DSR_CHANNEL = "data_subject_request"
LANGUAGES = ("zh-hans", "en")
PRIVACY_REFUSED = gettext_lazy("Only archive administrators handle privacy requests.")


def privacy_audit(
    action: str, user: User | None, ip_address: str | None, dsr_id: Any, **detail: Any
) -> None:
    audit_log(
        action=action,
        actor=user,
        object_type="privacy_request" if dsr_id else "customer",
        object_id=dsr_id or detail.get("customer", ""),
        detail=detail,
        ip_address=ip_address,
    )


def choice_checked(value: str, choices: Iterable[str], field: str) -> str:
    if value not in set(choices):
        raise ValidationError({field: [_("Choose one of the listed values.")]})
    return value


def is_erased(customer: Customer) -> bool:
    return Erasure.objects.filter(customer_id=customer.pk).exists()


def require_not_erased(customer: Customer) -> None:
    if is_erased(customer):
        raise ValidationError(_("This person's data has been erased."))


# --- the request register -----------------------------------------------------------------------


@transaction.atomic
def privacy_request_create(
    *,
    user: User,
    customer: Customer,
    kind: str,
    verification: str,
    verification_note: str = "",
    received_on: date | None = None,
    details: str = "",
    language: str = "zh-hans",
    ip_address: str | None = None,
) -> DataSubjectRequest:
    """Record a request; due ``KEHU_PRIVACY_REQUEST_DAYS`` days after it was received."""
    require(user, can_handle_privacy_requests, PRIVACY_REFUSED)
    errors: dict[str, list[str]] = {}
    for value, choices, field in (
        (kind, RequestKind.values, "kind"),
        (verification, Verification.values, "verification"),
        (language, LANGUAGES, "language"),
    ):
        try:
            choice_checked(value, choices, field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    today = timezone.localdate()
    received_on = received_on or today
    if received_on > today:
        errors["received_on"] = [_("The request cannot be received in the future.")]
    if len(verification_note) > 300:
        errors["verification_note"] = [_("At most 300 characters.")]
    if errors:
        raise ValidationError(errors)
    require_not_erased(customer)
    dsr = DataSubjectRequest.objects.create(
        kind=kind,
        customer=customer,
        verification=verification,
        verification_note=verification_note.strip(),
        received_on=received_on,
        due_on=received_on + timedelta(days=settings.KEHU_PRIVACY_REQUEST_DAYS),
        details=details.strip(),
        language=language,
        handler=user,
        created_by=user,
    )
    privacy_audit(
        AuditEvent.Action.PRIVACY_REQUEST,
        user,
        ip_address,
        dsr.pk,
        step="received",
        kind=kind,
        customer=customer.pk,
        verification=verification,
    )
    return dsr


@transaction.atomic
def privacy_request_update(
    *,
    user: User,
    dsr: DataSubjectRequest,
    status: str | None = None,
    handler: User | None = None,
    outcome: str | None = None,
    ip_address: str | None = None,
) -> DataSubjectRequest:
    """Change a request's status, handler or outcome (a closed request stays closed)."""
    require(user, can_handle_privacy_requests, PRIVACY_REFUSED)
    dsr = DataSubjectRequest.objects.select_for_update().get(pk=dsr.pk)
    if not dsr.is_open:
        raise ValidationError(_("This request is closed."))
    changed: list[str] = []
    if status is not None and status != dsr.status:
        dsr.status = choice_checked(status, RequestStatus.values, "status")
        if not dsr.is_open:
            dsr.completed_at = timezone.now()
        changed.append("status")
    if handler is not None and handler.pk != dsr.handler_id:
        if not can_handle_privacy_requests(handler):
            raise ValidationError({"handler": [_("This user may not handle privacy requests.")]})
        dsr.handler = handler
        changed.append("handler")
    if outcome is not None and outcome.strip() != dsr.outcome:
        dsr.outcome = outcome.strip()
        changed.append("outcome")
    if dsr.status == RequestStatus.REFUSED and not dsr.outcome:
        raise ValidationError({"outcome": [_("Say why the request is refused.")]})
    if changed:
        dsr.save()
        privacy_audit(
            AuditEvent.Action.PRIVACY_REQUEST,
            user,
            ip_address,
            dsr.pk,
            step="updated",
            changed=changed,
            status=dsr.status,
            handler=dsr.handler.get_username() if dsr.handler else "",
        )
    return dsr


def request_open(dsr: DataSubjectRequest, kinds: set[str]) -> None:
    if dsr.kind not in kinds:
        raise ValidationError(_("This step does not belong to this kind of request."))
    if not dsr.is_open:
        raise ValidationError(_("This request is closed."))


def request_complete(dsr: DataSubjectRequest, outcome: str) -> None:
    dsr.status = RequestStatus.DONE
    dsr.completed_at = timezone.now()
    dsr.outcome = outcome
    dsr.save()


# --- copy -------------------------------------------------------------------------------------


def privacy_copy_make(
    *, user: User, dsr: DataSubjectRequest, ip_address: str | None = None
) -> DataSubjectRequest:
    """Produce the person's copy (a zip of ``data.html`` and ``data.json`` in their language),
    encrypted at rest and readable by the owner only; audited."""
    require(user, can_handle_privacy_requests, PRIVACY_REFUSED)
    request_open(dsr, {RequestKind.COPY})
    require_not_erased(dsr.customer)
    data = personal_data(dsr.customer, language=dsr.language)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr("data.html", personal_data_html(data))
    directory = Path(settings.DATA_DIR) / COPY_DIR
    directory.mkdir(parents=True, exist_ok=True)
    relative = f"{COPY_DIR}/{dsr.pk}-{secrets.token_hex(8)}.zip.enc"
    _write_encrypted(Path(settings.DATA_DIR) / relative, buffer.getvalue())
    old = dsr.copy_path
    with transaction.atomic():
        dsr = DataSubjectRequest.objects.select_for_update().get(pk=dsr.pk)
        dsr.copy_path = relative
        dsr.copy_made_at = timezone.now()
        if dsr.status == RequestStatus.RECEIVED:
            dsr.status = RequestStatus.IN_PROGRESS
        dsr.save()
        privacy_audit(
            AuditEvent.Action.PRIVACY_COPY,
            user,
            ip_address,
            dsr.pk,
            step="made",
            customer=dsr.customer_id,
            language=dsr.language,
            sensitive_in_clear=True,
        )
    if old:
        (Path(settings.DATA_DIR) / old).unlink(missing_ok=True)
    return dsr


def _write_encrypted(path: Path, content: bytes) -> None:
    """``content`` encrypted in the frames of ``kehu.core.encryption.encrypt_file``."""
    from kehu.core.encryption import FILE_CHUNK, _fernet

    fernet = _fernet()
    with private_file(path) as out:
        for start in range(0, max(len(content), 1), FILE_CHUNK):
            token = fernet.encrypt(content[start : start + FILE_CHUNK])
            out.write(len(token).to_bytes(4, "big"))
            out.write(token)


def privacy_copy_open(
    *, user: User, dsr: DataSubjectRequest, ip_address: str | None = None
) -> Path:
    """The copy's file on disk, for download; the download is audited."""
    require(user, can_handle_privacy_requests, PRIVACY_REFUSED)
    path = Path(settings.DATA_DIR) / dsr.copy_path if dsr.copy_path else None
    if path is None or not path.is_file():
        raise ValidationError(_("No copy has been made yet."))
    privacy_audit(
        AuditEvent.Action.PRIVACY_COPY,
        user,
        ip_address,
        dsr.pk,
        step="downloaded",
        customer=dsr.customer_id,
    )
    return path


@transaction.atomic
def privacy_copy_handed_over(
    *, user: User, dsr: DataSubjectRequest, ip_address: str | None = None
) -> DataSubjectRequest:
    """The copy reached the person: the request is done and the file goes."""
    require(user, can_handle_privacy_requests, PRIVACY_REFUSED)
    request_open(dsr, {RequestKind.COPY})
    if not dsr.copy_path:
        raise ValidationError(_("No copy has been made yet."))
    path = Path(settings.DATA_DIR) / dsr.copy_path
    dsr.copy_path = ""
    request_complete(dsr, _("Copy handed over."))
    transaction.on_commit(lambda: path.unlink(missing_ok=True))
    privacy_audit(AuditEvent.Action.PRIVACY_REQUEST, user, ip_address, dsr.pk, step="done")
    return dsr


# --- erasure ----------------------------------------------------------------------------------


def erase_for(
    *,
    user: User | None,
    customer: Customer,
    reason: str,
    dsr: DataSubjectRequest | None,
    ip_address: str | None,
) -> Erasure:
    report = customer_erase(customer=customer)
    now = timezone.now()
    erasure = None
    for customer_id in report.customer_ids:
        record, _created = Erasure.objects.update_or_create(
            customer_id=customer_id,
            defaults={
                "at": now,
                "reason": reason,
                "request": dsr,
                "by": user,
                "counts": report.counts,
            },
        )
        erasure = erasure or record
        # Nobody is contacted for anything again, whatever they agreed to before.
        ConsentRecord.objects.bulk_create(
            ConsentRecord(
                customer_id=customer_id,
                purpose=purpose,
                granted=False,
                at=now,
                method=ConsentMethod.REQUEST if dsr else ConsentMethod.RETENTION,
                request=dsr,
                recorded_by=user,
            )
            for purpose in Purpose.values
        )
    audit_log(
        action=AuditEvent.Action.ERASED,
        actor=user,
        object_type="customer",
        object_id=report.customer_ids[0],
        detail={
            "customers": report.customer_ids,
            "reason": reason,
            "request": dsr.pk if dsr else None,
            "counts": report.counts,
        },
        ip_address=ip_address,
    )
    assert erasure is not None  # noqa: S101 (the family holds at least the customer)
    return erasure


@transaction.atomic
def privacy_erase(
    *, user: User, dsr: DataSubjectRequest, ip_address: str | None = None
) -> DataSubjectRequest:
    """Erase the person of a deletion request everywhere (``kehu.privacy.erasure``) and close
    the request; orders keep amounts and dates, the audit trail its events."""
    require(user, can_handle_privacy_requests, PRIVACY_REFUSED)
    dsr = DataSubjectRequest.objects.select_for_update().select_related("customer").get(pk=dsr.pk)
    request_open(dsr, {RequestKind.DELETION})
    require_not_erased(dsr.customer)
    erasure = erase_for(
        user=user,
        customer=dsr.customer,
        reason=Erasure.Reason.REQUEST,
        dsr=dsr,
        ip_address=ip_address,
    )
    dsr.refresh_from_db()
    total = sum(erasure.counts.values())
    request_complete(dsr, _("Personal data erased (%(n)s records).") % {"n": total})
    return dsr


# --- correction -------------------------------------------------------------------------------


def dsr_channel() -> Channel:
    channel, _created = Channel.objects.get_or_create(
        code=DSR_CHANNEL,
        defaults={"name": "个人信息权利请求", "name_en": "Data-subject request", "kind": "direct"},
    )
    return channel


@transaction.atomic
def privacy_correct(
    *,
    user: User,
    dsr: DataSubjectRequest,
    data: dict[str, Any],
    forget_old_values: bool = True,
    ip_address: str | None = None,
) -> DataSubjectRequest:
    """Correct the person's facts through the archive's provenance (channel "data-subject
    request"); with ``forget_old_values`` the wrong values also leave the history."""
    from kehu.customers.services import customer_update

    require(user, can_handle_privacy_requests, PRIVACY_REFUSED)
    request_open(dsr, {RequestKind.CORRECTION})
    if not data:
        raise ValidationError(_("Give at least one corrected value."))
    changes = customer_update(
        user=user,
        customer=dsr.customer,
        data=data,
        channel=dsr_channel(),
        note=_("data-subject request #%(id)s") % {"id": dsr.pk},
    )
    fields = sorted({change.field for change in changes})
    if forget_old_values and fields:
        history_forget(customer=dsr.customer, fields=fields, keep=[c.pk for c in changes])
    request_complete(dsr, _("Corrected: %(fields)s.") % {"fields": ", ".join(fields) or "-"})
    privacy_audit(
        AuditEvent.Action.PRIVACY_REQUEST,
        user,
        ip_address,
        dsr.pk,
        step="corrected",
        fields=fields,
        forgot_old_values=forget_old_values,
    )
    return dsr


def history_forget(*, customer: Customer, fields: list[str], keep: list[int]) -> int:
    """Take the values of ``fields`` out of the customer's history (clear and encrypted alike),
    except the new values of the ``keep`` rows (the correction itself); returns rows changed."""
    changed = 0
    rows = CustomerChange.objects.filter(customer=customer).filter(
        Q(field__in=fields) | Q(field=CustomerChange.CREATED)
    )
    for row in rows:
        if row.field == CustomerChange.CREATED:
            entries = json.loads(row.new_value)
            kept = [e for e in entries if e[0] not in fields]
            if len(kept) != len(entries):
                row.new_value = CustomerChange.creation_value([tuple(e) for e in kept])
                row.save(update_fields=["new_value"])
                changed += 1
            continue
        row.old_value = encrypt(ERASED) if row.sensitive else ERASED
        if row.pk not in keep:
            row.new_value = encrypt(ERASED) if row.sensitive else ERASED
        row.save(update_fields=["old_value", "new_value"])
        changed += 1
    return changed
