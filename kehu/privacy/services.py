"""Every write of privacy rights: the request register and each step of a request (copy,
correction, erasure, withdrawal of consent), the consent register, retention rules and runs.

Only archive administrators and admins act here (``can_handle_privacy_requests``); each step
is in the audit trail (``AuditEvent``: PRIVACY_REQUEST, PRIVACY_COPY, ERASED, CONSENT,
RETENTION), with ids and field codes but never the person's values.
"""

import io
import json
import secrets
import zipfile
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
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
    MARKETING_PURPOSES,
    ConsentMethod,
    ConsentRecord,
    DataSubjectRequest,
    Erasure,
    Purpose,
    RequestKind,
    RequestStatus,
    RetentionFlag,
    RetentionRule,
    RetentionRun,
    Verification,
)
from kehu.privacy.personal_copy import personal_data, personal_data_html

COPY_DIR = "privacy"
DSR_CHANNEL = "data_subject_request"
LANGUAGES = ("zh-hans", "en")
PRIVACY_REFUSED = gettext_lazy("Only archive administrators handle privacy requests.")


def _audit(
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


def _choice(value: str, choices: Iterable[str], field: str) -> str:
    if value not in set(choices):
        raise ValidationError({field: [_("Choose one of the listed values.")]})
    return value


def is_erased(customer: Customer) -> bool:
    return Erasure.objects.filter(customer_id=customer.pk).exists()


def _require_not_erased(customer: Customer) -> None:
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
            _choice(value, choices, field)
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
    _require_not_erased(customer)
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
    _audit(
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
        dsr.status = _choice(status, RequestStatus.values, "status")
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
        _audit(
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


def _open(dsr: DataSubjectRequest, kinds: set[str]) -> None:
    if dsr.kind not in kinds:
        raise ValidationError(_("This step does not belong to this kind of request."))
    if not dsr.is_open:
        raise ValidationError(_("This request is closed."))


def _complete(dsr: DataSubjectRequest, outcome: str) -> None:
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
    _open(dsr, {RequestKind.COPY})
    _require_not_erased(dsr.customer)
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
        _audit(
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
    _audit(
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
    _open(dsr, {RequestKind.COPY})
    if not dsr.copy_path:
        raise ValidationError(_("No copy has been made yet."))
    path = Path(settings.DATA_DIR) / dsr.copy_path
    dsr.copy_path = ""
    _complete(dsr, _("Copy handed over."))
    transaction.on_commit(lambda: path.unlink(missing_ok=True))
    _audit(AuditEvent.Action.PRIVACY_REQUEST, user, ip_address, dsr.pk, step="done")
    return dsr


# --- erasure ----------------------------------------------------------------------------------


def _erase(
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
    _open(dsr, {RequestKind.DELETION})
    _require_not_erased(dsr.customer)
    erasure = _erase(
        user=user,
        customer=dsr.customer,
        reason=Erasure.Reason.REQUEST,
        dsr=dsr,
        ip_address=ip_address,
    )
    dsr.refresh_from_db()
    total = sum(erasure.counts.values())
    _complete(dsr, _("Personal data erased (%(n)s records).") % {"n": total})
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
    _open(dsr, {RequestKind.CORRECTION})
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
    _complete(dsr, _("Corrected: %(fields)s.") % {"fields": ", ".join(fields) or "-"})
    _audit(
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


# --- consent ----------------------------------------------------------------------------------


@transaction.atomic
def consent_record(
    *,
    user: User | None,
    customer: Customer,
    purpose: str,
    granted: bool,
    method: str,
    reference: str = "",
    at: datetime | None = None,
    dsr: DataSubjectRequest | None = None,
    submission: Any = None,
    ip_address: str | None = None,
) -> ConsentRecord:
    """Record that ``customer`` granted or withdrew consent for ``purpose``, how and when."""
    if user is not None:
        require(user, can_handle_privacy_requests, PRIVACY_REFUSED)
    errors: dict[str, list[str]] = {}
    for value, choices, field in (
        (purpose, Purpose.values, "purpose"),
        (method, ConsentMethod.values, "method"),
    ):
        try:
            _choice(value, choices, field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    reference = reference.strip()
    if len(reference) > 200:
        errors["reference"] = [_("At most 200 characters.")]
    if method in {ConsentMethod.CALL_RECORDING, ConsentMethod.IMPORT, ConsentMethod.PAPER} and (
        not reference
    ):
        errors["reference"] = [
            _("Say where the proof is: the recording, the paper form or the legal basis.")
        ]
    when = at or timezone.now()
    if when > timezone.now() + timedelta(minutes=5):
        errors["at"] = [_("Consent cannot be given in the future.")]
    if errors:
        raise ValidationError(errors)
    _require_not_erased(customer)
    record = ConsentRecord.objects.create(
        customer=customer,
        purpose=purpose,
        granted=granted,
        at=when,
        method=method,
        reference=reference,
        request=dsr,
        submission=submission,
        recorded_by=user,
    )
    audit_log(
        action=AuditEvent.Action.CONSENT,
        actor=user,
        object_type="customer",
        object_id=customer.pk,
        detail={"purpose": purpose, "granted": granted, "method": method, "consent": record.pk},
        ip_address=ip_address,
    )
    return record


def consent_from_web_form(*, submission: Any) -> list[ConsentRecord]:
    """The consents a web-form submission gave: one per purpose its form's consent text names,
    with the form and the text version agreed to. Idempotent (one per submission and purpose)."""
    form = submission.form
    if submission.consent_id is None or not form.consent_purposes:
        return []
    version = submission.consent.version
    records = []
    for purpose in form.consent_purposes:
        if purpose not in Purpose.values:
            continue
        record, created = ConsentRecord.objects.get_or_create(
            submission=submission,
            purpose=purpose,
            defaults={
                "customer_id": submission.customer_id,
                "granted": True,
                "at": submission.consented_at or submission.submitted_at,
                "method": ConsentMethod.WEB_FORM,
                "reference": f"{form.slug} v{version}"[:200],
            },
        )
        if created:
            records.append(record)
    return records


def consents_derive_from_web_forms() -> int:
    """Bring every past web-form consent into the register (after a form's purposes were
    set); returns how many records were added."""
    from kehu.intake.models import WebFormSubmission

    added = 0
    submissions = (
        WebFormSubmission.objects.filter(consent__isnull=False, customer__isnull=False)
        .exclude(form__consent_purposes=[])
        .select_related("form", "consent")
    )
    for submission in submissions.iterator():
        added += len(consent_from_web_form(submission=submission))
    return added


@transaction.atomic
def privacy_withdraw(
    *,
    user: User,
    dsr: DataSubjectRequest,
    purposes: list[str] | None = None,
    ip_address: str | None = None,
) -> DataSubjectRequest:
    """Carry out a withdrawal of consent (the purposes named) or an objection to marketing
    (every marketing purpose): withdrawals in the register, the request done."""
    require(user, can_handle_privacy_requests, PRIVACY_REFUSED)
    _open(dsr, {RequestKind.WITHDRAW_CONSENT, RequestKind.OBJECT_MARKETING})
    if dsr.kind == RequestKind.OBJECT_MARKETING:
        purposes = list(MARKETING_PURPOSES)
    purposes = list(dict.fromkeys(purposes or []))
    if not purposes:
        raise ValidationError({"purposes": [_("Choose at least one purpose.")]})
    for purpose in purposes:
        consent_record(
            user=user,
            customer=dsr.customer,
            purpose=purpose,
            granted=False,
            method=ConsentMethod.REQUEST,
            reference=f"#{dsr.pk}",
            dsr=dsr,
            ip_address=ip_address,
        )
    _complete(
        dsr,
        _("Consent withdrawn: %(purposes)s.")
        % {"purposes": ", ".join(str(Purpose(p).label) for p in purposes)},
    )
    _audit(
        AuditEvent.Action.PRIVACY_REQUEST, user, ip_address, dsr.pk, step="done", purposes=purposes
    )
    return dsr


# --- retention ----------------------------------------------------------------------------------


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
        _choice(kind, RetentionRule.Kind.values, "kind")
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
                _erase(
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
