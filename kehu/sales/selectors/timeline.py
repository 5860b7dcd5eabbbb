"""Orders, payments and opportunities on the customer timeline (registered when imported)."""

from datetime import date, datetime, time

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.interactions.timeline import TimelineItem, register
from kehu.sales.models import (
    OpportunityMove,
    Order,
    Payment,
)

# --- timeline ---------------------------------------------------------------------------------


def _day_end(day: date) -> datetime:
    """Orders and payments carry a date; on the timeline they sit at noon of that day."""
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def _before_day(before: datetime | None, field: str) -> Q:
    if before is None:
        return Q()
    day = timezone.localdate(before)
    # Noon of ``day`` is before ``before`` only if ``before`` is past noon.
    if before > _day_end(day):
        return Q(**{f"{field}__lte": day})
    return Q(**{f"{field}__lt": day})


@register("order", _("Orders"))
def order_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    rows = (
        Order.objects.filter(customer=customer)
        .select_related("owner")
        .filter(_before_day(before, "ordered_on"))
        .order_by("-ordered_on", "-id")[:limit]
    )
    return [
        TimelineItem(
            kind="order",
            at=_day_end(order.ordered_on),
            title=_("Order %(number)s") % {"number": order.number},
            body=f"{order.total_amount:,} {order.currency} · {order.get_status_display()}",
            by=str(order.owner) if order.owner else "",
            channel=order.get_channel_display(),
            url=order.get_absolute_url(),
        )
        for order in rows
    ]


@register("payment", _("Payments"))
def payment_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    rows = (
        Payment.objects.filter(customer=customer)
        .select_related("order", "recorded_by")
        .filter(_before_day(before, "received_on"))
        .order_by("-received_on", "-id")[:limit]
    )
    return [
        TimelineItem(
            kind="payment",
            at=_day_end(payment.received_on),
            title=_("Payment received")
            if payment.reversed_at is None
            else _("Payment reversed: %(reason)s") % {"reason": payment.reversal_reason},
            body=f"{payment.amount:,} {payment.currency} · {payment.order.number}",
            by=str(payment.recorded_by) if payment.recorded_by else "",
            channel=payment.get_method_display(),
            url=payment.order.get_absolute_url(),
        )
        for payment in rows
    ]


@register("opportunity", _("Opportunities"))
def opportunity_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    rows = OpportunityMove.objects.filter(opportunity__customer=customer).select_related(
        "opportunity", "from_stage", "to_stage", "moved_by"
    )
    if before is not None:
        rows = rows.filter(moved_at__lt=before)
    items = []
    for move in rows.order_by("-moved_at", "-id")[:limit]:
        opp = move.opportunity
        if move.from_stage is None:
            title = _("Opportunity opened: %(name)s") % {"name": opp.name}
        else:
            title = _("Opportunity %(name)s: %(from)s → %(to)s") % {
                "name": opp.name,
                "from": move.from_stage.label,
                "to": move.to_stage.label,
            }
        items.append(
            TimelineItem(
                kind="opportunity",
                at=move.moved_at,
                title=title,
                body=f"{opp.amount:,} {opp.currency}",
                by=str(move.moved_by) if move.moved_by else "",
                url=opp.get_absolute_url(),
                detail=move.to_stage.outcome,
            )
        )
    return items
