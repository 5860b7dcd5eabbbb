"""Reads of the contact history, scoped by the customers a user may see."""

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer, CustomerChange
from kehu.customers.selectors import customers_visible_to, field_label, field_specs_for
from kehu.interactions.models import Interaction, Notification, Reminder
from kehu.interactions.timeline import TimelineItem, register


def interactions_visible_to(user: Any) -> QuerySet[Interaction]:
    """Interactions with the customers ``user`` may see."""
    return Interaction.objects.filter(customer__in=customers_visible_to(user).values("pk"))


def interaction_list(
    *,
    user: Any,
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


def reminders_open(*, user: Any, until: date) -> QuerySet[Reminder]:
    """The user's reminders due on or before ``until`` and not done, oldest first."""
    return (
        Reminder.objects.filter(user=user, done_at__isnull=True, due_on__lte=until)
        .select_related("customer", "contact", "interaction")
        .order_by("due_on", "id")
    )


def notifications_unread(*, user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, read_at__isnull=True)


# --- timeline sources -------------------------------------------------------------------------


@register("interaction", _("Interactions"))
def interaction_items(
    *, user: Any, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    rows = Interaction.objects.filter(customer=customer).select_related("user", "channel")
    if before is not None:
        rows = rows.filter(occurred_at__lt=before)
    return [
        TimelineItem(
            kind="interaction",
            at=row.occurred_at,
            title=row.get_type_display(),
            body=row.summary,
            by=str(row.user) if row.user else row.get_source_display(),
            channel=row.channel.label if row.channel else "",
            obj=row,
        )
        for row in rows.order_by("-occurred_at", "-id")[:limit]
    ]


@register("change", _("Archive changes"))
def change_items(
    *, user: Any, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    """Archive changes, grouped per save: one item lists the fields changed together."""
    rows = CustomerChange.objects.filter(customer=customer).select_related("changed_by", "channel")
    if before is not None:
        rows = rows.filter(changed_at__lt=before)
    specs = field_specs_for(customer.kind)
    items: list[TimelineItem] = []
    for change in rows.order_by("-changed_at", "-id")[: limit * 4]:
        label = field_label(change.field, specs)
        last = items[-1] if items else None
        if last is not None and last.at == change.changed_at:
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
