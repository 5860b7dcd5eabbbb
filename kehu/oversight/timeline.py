"""Risk alerts (with their acknowledgement note) and reviews on the customer timeline."""

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.interactions.timeline import TimelineItem, register
from kehu.oversight.models import Review, RiskAlert, RiskLevel
from kehu.oversight.rules import reason_text


@register("risk", _("Risk alerts"))
def risk_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    rows = RiskAlert.objects.filter(customer=customer).select_related("acknowledged_by")
    if before is not None:
        rows = rows.filter(raised_at__lt=before)
    items = []
    for alert in rows.order_by("-raised_at", "-id")[:limit]:
        body = " ".join(reason_text(r) for r in alert.reasons)
        if alert.acknowledged_at:
            body += " — " + str(_("Handled: %(note)s") % {"note": alert.note})
        items.append(
            TimelineItem(
                kind="risk",
                at=alert.raised_at,
                title=_("Risk rose to %(level)s") % {"level": RiskLevel(alert.level).label},
                body=body,
                by=str(alert.acknowledged_by or ""),
            )
        )
    return items


@register("review", _("Reviews"))
def review_items(
    *, user: User, customer: Customer, before: datetime | None, limit: int
) -> list[TimelineItem]:
    rows = Review.objects.filter(customer=customer).select_related("reviewer")
    if before is not None:
        rows = rows.filter(created_at__lt=before)
    return [
        TimelineItem(
            kind="review",
            at=review.created_at,
            title=_("Periodic review (%(status)s)") % {"status": review.get_status_display()},
            body=review.outcome,
            by=str(review.reviewer or ""),
        )
        for review in rows.order_by("-created_at", "-id")[:limit]
    ]
