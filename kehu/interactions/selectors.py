"""Reads of the contact history, scoped by the customers a user may see."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.customers.models import Contact, Customer, CustomerChange
from kehu.customers.selectors import (
    customer_field_specs,
    customers_visible_q,
    customers_visible_to,
    field_label,
)
from kehu.interactions.models import Attachment, Interaction, Notification, Reminder
from kehu.interactions.timeline import TimelineItem, register


def interactions_visible_to(user: User) -> QuerySet[Interaction]:
    """Interactions with the customers ``user`` may see."""
    return Interaction.objects.filter(customers_visible_q(user, prefix="customer__"))


def interaction_list(
    *,
    user: User,
    customer_id: int | None = None,
    by_user_id: int | None = None,
    type: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Interaction]:
    queryset = interactions_visible_to(user)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    if by_user_id is not None:
        queryset = queryset.filter(user_id=by_user_id)
    if type:
        queryset = queryset.filter(type=type)
    if since is not None:
        queryset = queryset.filter(occurred_at__date__gte=since)
    if until is not None:
        queryset = queryset.filter(occurred_at__date__lte=until)
    return queryset.select_related("customer", "contact", "channel", "user").order_by(
        "-occurred_at", "-id"
    )


def reminders_open(*, user: User, until: date) -> QuerySet[Reminder]:
    """The user's reminders due on or before ``until`` and not done, oldest first."""
    return (
        Reminder.objects.filter(user=user, done_at__isnull=True, due_on__lte=until)
        .select_related("customer", "contact", "interaction")
        .order_by("due_on", "id")
    )


def notifications_unread(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, read_at__isnull=True)


def notifications_unread_of(user: User) -> QuerySet[Notification]:
    """The top bar's bell, as the menu's badges count it (``core.navigation.badge_counts``)."""
    return notifications_unread(user=user)


def interaction_get_for_user(*, user: User, interaction_id: int) -> Interaction:
    """An interaction with a customer ``user`` may see; else 404."""
    interaction = (
        interactions_visible_to(user)
        .select_related("customer", "contact", "channel", "user")
        .prefetch_related("attachments")
        .filter(pk=interaction_id)
        .first()
    )
    if interaction is None:
        raise Http404
    return interaction


def attachment_get_for_user(*, user: User, attachment_id: int) -> Attachment:
    """An attachment of an interaction with a customer ``user`` may see; else 404."""
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id,
            interaction__customer__in=customers_visible_to(user).values("pk"),
        )
        .select_related("interaction")
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


def reminder_get_for_user(*, user: User, reminder_id: int) -> Reminder:
    """One of ``user``'s own reminders about a customer ``user`` still sees; else a 404 (a
    customer handed to someone else takes its reminders along)."""
    reminder = (
        _reminders_of(user, open_only=False)
        .filter(pk=reminder_id)
        .select_related("interaction")
        .first()
    )
    if reminder is None:
        raise Http404
    return reminder


def contacts_of(customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer).order_by("id")


# How far ahead "my day" lists birthdays.
BIRTHDAY_DAYS_AHEAD = 7

# --- my day -----------------------------------------------------------------------------------


def _reminders_of(user: User, *, open_only: bool = True) -> QuerySet[Reminder]:
    # Only about customers the user still sees: a customer handed over takes its reminders along
    # (checked through each reminder's customer: a list of every visible customer would be a
    # scan of the archive for a team manager, on every page through the navigation badge).
    reminders = Reminder.objects.filter(customers_visible_q(user, prefix="customer__"), user=user)
    return reminders.filter(done_at__isnull=True) if open_only else reminders


def _due_q(today: date) -> Q:
    """Due today or earlier; a birthday only on the day (yesterday's is not overdue)."""
    return Q(due_on__lte=today) & ~Q(kind=Reminder.Kind.BIRTHDAY, due_on__lt=today)


def reminders_due_rows(user: User, today: date | None = None) -> QuerySet[Reminder, Any]:
    """The user's reminders due today or overdue (the navigation badge counts them)."""
    from django.utils import timezone

    return _reminders_of(user).filter(_due_q(today or timezone.localdate())).values("pk")


def reminders_due_count(user: User, today: date | None = None) -> int:
    """How many of the user's reminders are due today or overdue."""
    return reminders_due_rows(user, today).count()


def reminders_mine(
    *, user: User, today: date, days_ahead: int = 0, kind: str = ""
) -> QuerySet[Reminder]:
    """The user's open reminders due by ``today`` + ``days_ahead``, oldest first."""
    queryset = _reminders_of(user).filter(
        _due_q(today) | Q(due_on__gt=today, due_on__lte=today + timedelta(days=days_ahead))
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.select_related("customer", "contact", "interaction").order_by("due_on", "id")


@dataclass(frozen=True)
class MyDay:
    today: date
    follow_ups: list[Reminder]
    overdue: int
    birthdays: list[Reminder]
    pool_warnings: list[Reminder]
    notifications: list[Notification]


def my_day(*, user: User, today: date) -> MyDay:
    """What ``user`` should do today: follow-ups due and overdue, birthdays of the week ahead,
    customers about to return to the public pool, unread notifications. Two queries."""
    reminders = list(reminders_mine(user=user, today=today, days_ahead=BIRTHDAY_DAYS_AHEAD))
    follow_ups = [r for r in reminders if r.kind == Reminder.Kind.FOLLOW_UP and r.due_on <= today]
    return MyDay(
        today=today,
        follow_ups=follow_ups,
        overdue=sum(1 for r in follow_ups if r.due_on < today),
        birthdays=[r for r in reminders if r.kind == Reminder.Kind.BIRTHDAY],
        pool_warnings=[
            r for r in reminders if r.kind == Reminder.Kind.POOL_WARNING and r.due_on <= today
        ],
        notifications=list(notifications_unread(user=user).order_by("-created_at", "-id")[:20]),
    )


# --- timeline sources -------------------------------------------------------------------------


@register("interaction", _("Interactions"))
def interaction_items(
    *,
    user: User,
    customer: Customer,
    before: datetime | None,
    limit: int,
    subtype: str = "",
) -> list[TimelineItem]:
    rows = (
        Interaction.objects.filter(customer=customer)
        .select_related("user", "channel", "contact")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )
    if before is not None:
        rows = rows.filter(occurred_at__lt=before)
    if subtype:
        rows = rows.filter(type=subtype)
    return [
        TimelineItem(
            kind="interaction",
            at=row.occurred_at,
            title=row.get_type_display(),
            body=row.summary,
            by=str(row.user) if row.user else row.get_source_display(),
            channel=row.channel.label if row.channel else "",
            obj=row,
            detail=row.type,
        )
        for row in rows.order_by("-occurred_at", "-id")[:limit]
    ]


# Changes that move the customer between people and the pool: one item each, in words.
MOVES = {"owner", "status"}


def _move_item(change: CustomerChange) -> TimelineItem:
    old, new = change.old_value, change.new_value
    if change.field == "owner":
        if not new:
            title = _("Returned to the public pool")
        elif not old:
            title = _("Taken from the public pool")
        else:
            title = _("Handed over")
        body = f"{old or _('public pool')} → {new or _('public pool')}"
    else:
        title = _("Status changed")
        labels = dict(Customer.Status.choices)
        body = f"{labels.get(old, old)} → {labels.get(new, new)}"
    if change.note:
        body = f"{body} · {change.note}"
    return TimelineItem(
        kind="change",
        at=change.changed_at,
        title=title,
        body=body,
        by=str(change.changed_by) if change.changed_by else "",
        detail=change.field,
    )


def _created_item(change: CustomerChange, specs: dict[str, Any]) -> TimelineItem:
    labels = [field_label(entry.field, specs) for entry in change.entries()]
    return TimelineItem(
        kind="change",
        at=change.changed_at,
        title=_("Customer created"),
        body=", ".join(labels),
        by=str(change.changed_by) if change.changed_by else "",
        channel=change.channel.label if change.channel else "",
        detail="created",
    )


@register("change", _("Archive changes"))
def change_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    """Archive changes, grouped per save: one item lists the fields changed together."""
    rows = CustomerChange.objects.filter(customer=customer).select_related("changed_by", "channel")
    if before is not None:
        rows = rows.filter(changed_at__lt=before)
    specs = customer_field_specs(customer)
    items: list[TimelineItem] = []
    for change in rows.order_by("-changed_at", "-id")[: limit * 4]:
        if change.field in MOVES:
            if len(items) == limit:
                break
            items.append(_move_item(change))
            continue
        if change.field == CustomerChange.CREATED:
            if len(items) == limit:
                break
            items.append(_created_item(change, specs))
            continue
        label = field_label(change.field, specs)
        last = items[-1] if items else None
        if last is not None and last.at == change.changed_at and not last.detail:
            items[-1] = TimelineItem(
                kind="change",
                at=last.at,
                title=last.title,
                body=f"{last.body}, {label}",
                by=last.by,
                channel=last.channel,
            )
            continue
        if len(items) == limit:
            break
        items.append(
            TimelineItem(
                kind="change",
                at=change.changed_at,
                title=_("Archive updated"),
                body=label,
                by=str(change.changed_by) if change.changed_by else "",
                channel=change.channel.label if change.channel else "",
            )
        )
    return items
