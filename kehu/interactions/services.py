"""Every write to the contact history."""

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_log_contact
from kehu.customers import services as customer_services
from kehu.customers.models import Channel, Contact, Customer
from kehu.interactions.models import Attachment, Interaction, Notification

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_ATTACHMENT_TYPES = {
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "audio/mpeg",
    "audio/wav",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/msword",
    "application/vnd.ms-excel",
}
# How long the author may still delete an interaction they logged.
DELETE_GRACE = timedelta(hours=24)


def _clean(
    *,
    customer: Customer,
    type: str,
    direction: str,
    summary: str,
    occurred_at: datetime | None,
    duration_seconds: int | None,
    contact: Contact | None,
    next_follow_up_on: date | None,
    next_follow_up_note: str,
    attachments: list[UploadedFile],
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if type not in Interaction.Type.values:
        errors["type"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Interaction.Type.values)}
        ]
    if direction not in Interaction.Direction.values:
        errors["direction"] = [_("Choose inbound or outbound.")]
    if not summary.strip():
        errors["summary"] = [_("Write what happened.")]
    elif len(summary) > 10000:
        errors["summary"] = [_("At most %(n)s characters.") % {"n": 10000}]
    if occurred_at is not None and occurred_at > timezone.now() + timedelta(minutes=5):
        errors["occurred_at"] = [_("This time is in the future.")]
    if duration_seconds is not None and not 0 <= duration_seconds <= 24 * 3600:
        errors["duration_seconds"] = [_("Enter a duration between 0 and 24 hours.")]
    if contact is not None and contact.customer_id != customer.pk:
        errors["contact"] = [_("This contact belongs to another customer.")]
    if next_follow_up_on is not None and next_follow_up_on < timezone.localdate():
        errors["next_follow_up_on"] = [_("The next follow-up cannot be in the past.")]
    if len(next_follow_up_note) > 200:
        errors["next_follow_up_note"] = [_("At most %(n)s characters.") % {"n": 200}]
    for upload in attachments:
        if upload.size and upload.size > MAX_ATTACHMENT_BYTES:
            errors.setdefault("attachments", []).append(
                _("“%(name)s” is larger than 10 MB.") % {"name": upload.name}
            )
        elif (upload.content_type or "") not in ALLOWED_ATTACHMENT_TYPES:
            errors.setdefault("attachments", []).append(
                _("“%(name)s”: this type of file is not accepted.") % {"name": upload.name}
            )
    return errors


@transaction.atomic
def interaction_log(
    *,
    user: User | None,
    customer: Customer,
    type: str,
    summary: str,
    direction: str = Interaction.Direction.OUTBOUND,
    channel: Channel | None = None,
    contact: Contact | None = None,
    occurred_at: datetime | None = None,
    duration_seconds: int | None = None,
    outcome: str = "",
    next_follow_up_on: date | None = None,
    next_follow_up_note: str = "",
    facts: dict[str, Any] | None = None,
    attachments: list[UploadedFile] | None = None,
    source: str = Interaction.Source.MANUAL,
    external_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> tuple[Interaction, bool]:
    """Log one contact with ``customer``; returns (interaction, created).

    ``user`` None is an integration acting for the system. The caller has fetched ``customer``
    through a scoped selector. ``facts`` are archive field changes learned in this contact
    (e.g. a new phone number at an exhibition): they are recorded with the interaction's
    channel, in the same transaction. With ``external_id``, a repeated delivery returns the
    first interaction instead of logging it twice.
    """
    if user is not None and not can_log_contact(user):
        raise PermissionDenied(_("Your role may not log interactions."))
    if external_id:
        existing = Interaction.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return existing, False
    files = attachments or []
    errors = _clean(
        customer=customer,
        type=type,
        direction=direction,
        summary=summary,
        occurred_at=occurred_at,
        duration_seconds=duration_seconds,
        contact=contact,
        next_follow_up_on=next_follow_up_on,
        next_follow_up_note=next_follow_up_note,
        attachments=files,
    )
    if errors:
        raise ValidationError(errors)
    if facts:
        # Raises PermissionDenied for roles that may log contacts but not change facts, and a
        # ValidationError naming the fact fields; either rolls the whole interaction back.
        customer_services.customer_update(
            user=user,
            customer=customer,
            data=facts,
            channel=channel,
            note=_("learned in a %(type)s") % {"type": Interaction.Type(type).label},
        )
    interaction = Interaction(
        customer=customer,
        contact=contact,
        type=type,
        direction=direction,
        channel=channel,
        occurred_at=occurred_at or timezone.now(),
        duration_seconds=duration_seconds,
        user=user,
        summary=summary.strip(),
        outcome=outcome.strip(),
        next_follow_up_on=next_follow_up_on,
        next_follow_up_note=next_follow_up_note.strip(),
        source=source,
        external_id=external_id or "",
        details=details or {},
    )
    try:
        with transaction.atomic():
            interaction.save()
    except IntegrityError:
        # Two deliveries of the same event raced; the other one won.
        return Interaction.objects.get(source=source, external_id=external_id), False
    for upload in files:
        Attachment.objects.create(
            interaction=interaction,
            file=upload,
            name=(upload.name or "file")[:200],
            size=upload.size or 0,
            content_type=upload.content_type or "",
        )
    return interaction, True


@transaction.atomic
def interaction_delete(*, user: User, interaction: Interaction) -> None:
    """Authors may delete what they logged within a grace period; nobody else may."""
    if interaction.user_id != user.pk:
        raise PermissionDenied(_("Only the person who logged it may delete an interaction."))
    if timezone.now() - interaction.created_at > DELETE_GRACE:
        raise PermissionDenied(_("An interaction can be deleted only within 24 hours."))
    interaction.delete()


def follow_up_done(*, user: User, interaction: Interaction) -> Interaction:
    if interaction.follow_up_done_at is None:
        interaction.follow_up_done_at = timezone.now()
        interaction.save(update_fields=["follow_up_done_at", "updated_at"])
    return interaction


def notify(*, user: User, text: str, url: str = "") -> Notification:
    return Notification.objects.create(user=user, text=text[:300], url=url[:300])
