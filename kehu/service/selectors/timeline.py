"""Cases on the customer's timeline."""

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.interactions.timeline import TimelineItem, register
from kehu.service.models import (
    Case,
    CaseEvent,
    Feedback,
)

TIMELINE_EVENT_KINDS = (
    CaseEvent.Kind.OPENED,
    CaseEvent.Kind.STATUS,
    CaseEvent.Kind.RATED,
    CaseEvent.Kind.ESCALATED,
    CaseEvent.Kind.EMAIL_OUT,
    CaseEvent.Kind.EMAIL_IN,
)
STATUS_TITLES: dict[str, Any] = {
    Case.Status.IN_PROGRESS: _("Case in progress"),
    Case.Status.WAITING: _("Case waiting on the customer"),
    Case.Status.RESOLVED: _("Case resolved"),
    Case.Status.CLOSED: _("Case closed"),
}


def _event_title(event: CaseEvent) -> Any:
    if event.kind == CaseEvent.Kind.OPENED:
        return _("Case opened: %(type)s") % {"type": event.case.get_type_display()}
    if event.kind == CaseEvent.Kind.RATED:
        return _("Case rated")
    if event.kind == CaseEvent.Kind.ESCALATED:
        return _("Case escalated")
    if event.kind == CaseEvent.Kind.EMAIL_OUT:
        return _("Reply e-mailed to the customer")
    if event.kind == CaseEvent.Kind.EMAIL_IN:
        return _("The customer answered by e-mail")
    if event.from_status == Case.Status.RESOLVED and event.to_status == Case.Status.IN_PROGRESS:
        return _("Case reopened")
    return STATUS_TITLES.get(event.to_status, _("Case updated"))


@register("case", _("Service cases"))
def case_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    """Cases opened, moved and rated; one query."""
    rows = CaseEvent.objects.filter(customer=customer, kind__in=TIMELINE_EVENT_KINDS)
    if before is not None:
        rows = rows.filter(at__lt=before)
    return [
        TimelineItem(
            kind="case",
            at=event.at,
            title=_event_title(event),
            body=f"{event.case.number} {event.case.subject}"
            + (f"\n{event.note}" if event.note else ""),
            by=str(event.by) if event.by else "",
            url=event.case.get_absolute_url(),
            detail=event.kind,
        )
        for event in rows.select_related("case", "by").order_by("-at", "-id")[:limit]
    ]


@register("feedback", _("Customer feedback"))
def feedback_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    rows = Feedback.objects.filter(customer=customer)
    if before is not None:
        rows = rows.filter(created_at__lt=before)
    items = []
    for row in rows.select_related("recorded_by").order_by("-created_at", "-id")[:limit]:
        title = row.get_kind_display()
        if row.product_name:
            title = f"{title} · {row.product_name}"
        items.append(
            TimelineItem(
                kind="feedback",
                at=row.created_at,
                title=title,
                body=row.content,
                by=str(row.recorded_by) if row.recorded_by else "",
                detail=row.kind,
            )
        )
    return items
