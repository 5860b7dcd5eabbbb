"""Every read of customers goes through here, scoped by ``kehu.core.access``."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from kehu.core.access import record_scope_q
from kehu.customers.models import Customer


def customers_visible_to(user: Any) -> QuerySet[Customer]:
    """The customers ``user`` may see. A rep's list never hints at another rep's customers."""
    q = record_scope_q(user)
    queryset = Customer.objects.filter(q)
    # Shared-with and team joins can repeat a row; keep each customer once.
    return queryset.distinct() if q.children else queryset


def customers_changeable_by(user: Any) -> QuerySet[Customer]:
    q = record_scope_q(user, for_change=True)
    queryset = Customer.objects.filter(q)
    return queryset.distinct() if q.children else queryset


def customer_get_for_user(*, user: Any, customer_id: int) -> Customer:
    """The customer, if ``user`` may see it; otherwise 404, never 403 (no existence leak)."""
    customer = (
        customers_visible_to(user).select_related("owner", "team").filter(pk=customer_id).first()
    )
    if customer is None:
        raise Http404
    return customer


def customer_can_change(*, user: Any, customer: Customer) -> bool:
    return customers_changeable_by(user).filter(pk=customer.pk).exists()


@dataclass(frozen=True)
class HomeSummary:
    visible: int
    owned: int
    recent: list[Customer]


def customers_home_summary(*, user: Any) -> HomeSummary:
    visible = customers_visible_to(user)
    return HomeSummary(
        visible=visible.count(),
        owned=Customer.objects.filter(owner=user).count(),
        recent=list(visible.select_related("owner").order_by("-id")[:8]),
    )
