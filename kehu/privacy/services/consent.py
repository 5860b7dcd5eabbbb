"""The consent register: consents given and withdrawn, by purpose, from the archive, web forms
and requests."""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_handle_privacy_requests, require
from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer
from kehu.privacy.models import (
    MARKETING_PURPOSES,
    ConsentMethod,
    ConsentRecord,
    DataSubjectRequest,
    Purpose,
    RequestKind,
)
from kehu.privacy.services.requests import (
    PRIVACY_REFUSED,
    choice_checked,
    privacy_audit,
    request_complete,
    request_open,
    require_not_erased,
)


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
            choice_checked(value, choices, field)
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
    require_not_erased(customer)
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
    request_open(dsr, {RequestKind.WITHDRAW_CONSENT, RequestKind.OBJECT_MARKETING})
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
    request_complete(
        dsr,
        _("Consent withdrawn: %(purposes)s.")
        % {"purposes": ", ".join(str(Purpose(p).label) for p in purposes)},
    )
    privacy_audit(
        AuditEvent.Action.PRIVACY_REQUEST, user, ip_address, dsr.pk, step="done", purposes=purposes
    )
    return dsr
