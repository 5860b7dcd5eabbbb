"""Every write to the contact history."""

from datetime import date, datetime, timedelta
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_log_contact
from kehu.core.dates import business_date_problem
from kehu.core.uploads import attachment_problems
from kehu.customers import services as customer_services
from kehu.customers.models import Channel, Contact, Customer, PersonProfile
from kehu.interactions.models import Attachment, Interaction, Notification, Reminder, ReminderRun
from kehu.interactions.selectors import BIRTHDAY_DAYS_AHEAD

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
    elif occurred_at is not None and (problem := business_date_problem(occurred_at.date())):
        errors["occurred_at"] = [problem]
    if duration_seconds is not None and not 0 <= duration_seconds <= 24 * 3600:
        errors["duration_seconds"] = [_("Enter a duration between 0 and 24 hours.")]
    if contact is not None and contact.customer_id != customer.pk:
        errors["contact"] = [_("This contact belongs to another customer.")]
    if next_follow_up_on is not None and next_follow_up_on < timezone.localdate():
        errors["next_follow_up_on"] = [_("The next follow-up cannot be in the past.")]
    if len(next_follow_up_note) > 200:
        errors["next_follow_up_note"] = [_("At most %(n)s characters.") % {"n": 200}]
    if problems := attachment_problems(attachments):
        errors["attachments"] = problems
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
    if interaction.next_follow_up_on is not None:
        _follow_up_reminder_save(interaction)
    return interaction, True


@transaction.atomic
def interaction_delete(*, user: User, interaction: Interaction) -> None:
    """Authors may delete what they logged within a grace period; nobody else may."""
    if interaction.user_id != user.pk:
        raise PermissionDenied(_("Only the person who logged it may delete an interaction."))
    if timezone.now() - interaction.created_at > DELETE_GRACE:
        raise PermissionDenied(_("An interaction can be deleted only within 24 hours."))
    interaction.delete()


@transaction.atomic
def follow_up_done(*, user: User, interaction: Interaction) -> Interaction:
    """Mark the interaction's next follow-up done, and its reminder with it."""
    now = timezone.now()
    if interaction.follow_up_done_at is None:
        interaction.follow_up_done_at = now
        interaction.save(update_fields=["follow_up_done_at", "updated_at"])
    Reminder.objects.filter(interaction=interaction, done_at__isnull=True).update(
        done_at=now, updated_at=now
    )
    return interaction


# Fields an author may change after logging (facts and attachments are not re-applied).
EDITABLE_FIELDS = (
    "type",
    "direction",
    "channel",
    "contact",
    "occurred_at",
    "duration_seconds",
    "summary",
    "outcome",
    "next_follow_up_on",
    "next_follow_up_note",
)


@transaction.atomic
def interaction_update(
    *, user: User, interaction: Interaction, data: dict[str, Any]
) -> Interaction:
    """Change what the author logged; ``data`` holds some of ``EDITABLE_FIELDS``.

    Only the author may edit; a changed follow-up date moves its reminder.
    """
    if interaction.user_id != user.pk or not can_log_contact(user):
        raise PermissionDenied(_("Only the person who logged it may change an interaction."))
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    merged = {name: getattr(interaction, name) for name in EDITABLE_FIELDS} | data
    follow_up_changed = (
        "next_follow_up_on" in data and data["next_follow_up_on"] != interaction.next_follow_up_on
    )
    errors = _clean(
        customer=interaction.customer,
        type=merged["type"],
        direction=merged["direction"],
        summary=merged["summary"] or "",
        occurred_at=merged["occurred_at"],
        duration_seconds=merged["duration_seconds"],
        contact=merged["contact"],
        # an unchanged follow-up date may lie in the past by now
        next_follow_up_on=merged["next_follow_up_on"] if follow_up_changed else None,
        next_follow_up_note=merged["next_follow_up_note"] or "",
        attachments=[],
    )
    if errors:
        raise ValidationError(errors)
    for name in data:
        value = merged[name]
        setattr(interaction, name, value.strip() if isinstance(value, str) else value)
    interaction.save()
    if follow_up_changed:
        if interaction.next_follow_up_on is None:
            Reminder.objects.filter(interaction=interaction, kind=Reminder.Kind.FOLLOW_UP).delete()
        else:
            interaction.follow_up_done_at = None
            interaction.save(update_fields=["follow_up_done_at", "updated_at"])
            _follow_up_reminder_save(interaction)
    return interaction


# --- reminders --------------------------------------------------------------------------------


def _follow_up_recipient(interaction: Interaction) -> User | None:
    """The author while active, else the customer's owner."""
    if interaction.user is not None and interaction.user.is_active:
        return interaction.user
    return interaction.customer.owner


def _follow_up_reminder(interaction: Interaction, user: User) -> Reminder:
    assert interaction.next_follow_up_on is not None  # noqa: S101 (callers filter on it)
    return Reminder(
        user=user,
        kind=Reminder.Kind.FOLLOW_UP,
        customer_id=interaction.customer_id,
        contact_id=interaction.contact_id,
        interaction=interaction,
        due_on=interaction.next_follow_up_on,
        text=(interaction.next_follow_up_note or interaction.summary)[:200],
        key=f"follow_up:{interaction.pk}",
    )


def _follow_up_reminder_save(interaction: Interaction) -> None:
    """Create or move the reminder of the interaction's next follow-up."""
    user = _follow_up_recipient(interaction)
    if user is None or interaction.next_follow_up_on is None:
        return
    reminder = _follow_up_reminder(interaction, user)
    Reminder.objects.update_or_create(
        user=user,
        key=reminder.key,
        defaults={
            "kind": reminder.kind,
            "customer_id": reminder.customer_id,
            "contact_id": reminder.contact_id,
            "interaction": interaction,
            "due_on": reminder.due_on,
            "text": reminder.text,
            "done_at": None,
        },
    )


def birthday_in(born: date, year: int) -> date:
    """The birthday in ``year``; 29 February is kept on 28 February in common years."""
    try:
        return born.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def _birthday_window(today: date) -> dict[tuple[int, int], date]:
    """(month, day) of birth → the birthday's date, for the days from today to a week ahead."""
    window: dict[tuple[int, int], date] = {}
    for offset in range(BIRTHDAY_DAYS_AHEAD + 1):
        day = today + timedelta(days=offset)
        window[(day.month, day.day)] = day
        if day.month == 2 and day.day == 28 and birthday_in(date(2000, 2, 29), day.year) == day:
            window[(2, 29)] = day  # born on 29 February, celebrated on the 28th this year
    return window


def _month_day_q(field: str, window: dict[tuple[int, int], date]) -> Q:
    q = Q(pk__in=[])
    for month, day in window:
        q |= Q(**{f"{field}__month": month, f"{field}__day": day})
    return q


def _birthday_reminders(today: date, user: User | None) -> list[Reminder]:
    window = _birthday_window(today)
    owned = Q(customer__status=Customer.Status.ACTIVE, customer__owner__is_active=True)
    if user is not None:
        owned &= Q(customer__owner=user)
    reminders = []
    people = (
        PersonProfile.objects.filter(owned, _month_day_q("birth_date", window))
        .select_related("customer")
        .only("birth_date", "customer__owner_id", "customer__name", "customer__grade")
    )
    for person in people:
        assert person.birth_date is not None  # noqa: S101 (filtered on its month and day)
        when = window[(person.birth_date.month, person.birth_date.day)]
        reminders.append(
            Reminder(
                user_id=cast(int, person.customer.owner_id),  # filtered on an active owner
                kind=Reminder.Kind.BIRTHDAY,
                customer_id=person.customer_id,
                due_on=when,
                text=person.customer.name[:200],
                key=f"birthday:customer:{person.customer_id}:{when.isoformat()}",
            )
        )
    contacts = (
        Contact.objects.filter(owned, _month_day_q("birthday", window))
        .select_related("customer")
        .only("birthday", "name", "customer__owner_id", "customer__name")
    )
    for contact in contacts:
        assert contact.birthday is not None  # noqa: S101 (filtered on its month and day)
        when = window[(contact.birthday.month, contact.birthday.day)]
        reminders.append(
            Reminder(
                user_id=cast(int, contact.customer.owner_id),  # filtered on an active owner
                kind=Reminder.Kind.BIRTHDAY,
                customer_id=contact.customer_id,
                contact_id=contact.pk,
                due_on=when,
                text=f"{contact.name} · {contact.customer.name}"[:200],
                key=f"birthday:contact:{contact.pk}:{when.isoformat()}",
            )
        )
    return reminders


def _follow_up_reminders(today: date, user: User | None) -> list[Reminder]:
    due = Interaction.objects.filter(
        next_follow_up_on__lte=today, follow_up_done_at__isnull=True
    ).select_related("user", "customer__owner")
    if user is not None:
        due = due.filter(
            Q(user=user) | Q(customer__owner=user) & (Q(user=None) | Q(user__is_active=False))
        )
    reminders = []
    for interaction in due:
        recipient = _follow_up_recipient(interaction)
        if recipient is not None and (user is None or recipient.pk == user.pk):
            reminders.append(_follow_up_reminder(interaction, recipient))
    return reminders


@transaction.atomic
def reminders_compute(*, today: date, user: User | None = None) -> int:
    """Create the reminders due by ``today`` (a date in the configured time zone): open
    follow-ups, and birthdays of customers and contacts in the week ahead, for their owners.

    For everyone (the scheduled job) or for one ``user`` (on demand). Idempotent: a reminder
    exists once per user and key, and the day's run is recorded. Returns how many were new.
    """
    reminders = _follow_up_reminders(today, user) + _birthday_reminders(today, user)
    keys = {(r.user_id, r.key) for r in reminders}
    existing = set(
        Reminder.objects.filter(
            user_id__in={u for u, _k in keys}, key__in={k for _u, k in keys}
        ).values_list("user_id", "key")
    )
    new = [r for r in reminders if (r.user_id, r.key) not in existing]
    Reminder.objects.bulk_create(new, ignore_conflicts=True)
    ReminderRun.objects.get_or_create(day=today, user=user)
    return len(new)


def reminders_ensure(*, user: User, today: date) -> None:
    """Compute ``user``'s reminders now unless the scheduled job or an earlier visit did."""
    ran = ReminderRun.objects.filter(Q(user=None) | Q(user=user), day=today).exists()
    if not ran:
        reminders_compute(today=today, user=user)


@transaction.atomic
def reminder_done(*, user: User, reminder: Reminder) -> Reminder:
    """Mark one of the user's reminders done; a follow-up's interaction is done with it."""
    if reminder.user_id != user.pk:
        raise PermissionDenied(_("This reminder is someone else's."))
    if reminder.done_at is None:
        reminder.done_at = timezone.now()
        reminder.save(update_fields=["done_at", "updated_at"])
    if reminder.kind == Reminder.Kind.FOLLOW_UP and reminder.interaction is not None:
        follow_up_done(user=user, interaction=reminder.interaction)
    return reminder


def notifications_mark_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def reminders_replace(*, kind: str, reminders: list[Reminder], now: datetime) -> int:
    """Make the open reminders of ``kind`` exactly ``reminders`` (matched by user and key):
    open ones not among them are marked done, missing ones added; returns how many were
    added. For reminders another app computes in full each time (the pool's warnings)."""
    keys = {(r.user_id, r.key) for r in reminders}
    existing = set(
        Reminder.objects.filter(kind=kind, done_at__isnull=True).values_list("pk", "user_id", "key")
    )
    stale = [pk for pk, user_id, key in existing if (user_id, key) not in keys]
    Reminder.objects.filter(pk__in=stale).update(done_at=now, updated_at=now)
    known = {(user_id, key) for _pk, user_id, key in existing}
    new = [r for r in reminders if (r.user_id, r.key) not in known]
    Reminder.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def reminders_hand_over(*, reminder_ids: list[int], to_user: User) -> int:
    """Give pending reminders to another user (a handover); returns how many moved."""
    return Reminder.objects.filter(pk__in=reminder_ids, done_at__isnull=True).update(
        user=to_user, updated_at=timezone.now()
    )


def interactions_log_many(*, interactions: list[Interaction]) -> list[Interaction]:
    """Log many system contacts at once (a campaign's e-mails): unsaved interactions, already
    valid, written in one batch; returns them with their ids. No follow-ups, no facts."""
    return Interaction.objects.bulk_create(interactions, batch_size=500)
