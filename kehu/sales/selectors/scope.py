"""Which sales records a user may see, and fetching one by id (404 outside the scope)."""

from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from kehu.accounts.models import Role, User
from kehu.core.access import sees_all_customers
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_to
from kehu.sales.models import (
    Opportunity,
    Order,
    Payment,
    SalesCorrection,
)

CENT = Decimal("0.01")


# --- scope ------------------------------------------------------------------------------------


def _scoped(queryset: QuerySet[Any], user: User, customer_field: str = "customer") -> QuerySet[Any]:
    if sees_all_customers(user):
        return queryset
    return queryset.filter(**{f"{customer_field}__in": customers_visible_to(user).values("pk")})


def orders_visible_to(user: User) -> QuerySet[Order]:
    return _scoped(Order.objects.all(), user)


def payments_visible_to(user: User) -> QuerySet[Payment]:
    return _scoped(Payment.objects.all(), user)


def opportunities_visible_to(user: User) -> QuerySet[Opportunity]:
    return _scoped(Opportunity.objects.all(), user)


def order_get_for_user(*, user: User, order_id: int) -> Order:
    """The order with its lines and payments, if ``user`` may see its customer; else 404."""
    order = (
        orders_visible_to(user)
        .select_related("customer", "owner", "team", "opportunity")
        .prefetch_related("lines__product", "payments__recorded_by")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise Http404
    return order


def order_pk_subquery() -> Subquery:
    return Subquery(Order.objects.filter(opportunity=OuterRef("pk")).values("pk")[:1])


def opportunity_get_for_user(*, user: User, opportunity_id: int) -> Opportunity:
    opportunity = (
        opportunities_visible_to(user)
        .select_related("customer", "owner", "stage")
        .annotate(order_pk=order_pk_subquery())
        .filter(pk=opportunity_id)
        .first()
    )
    if opportunity is None:
        raise Http404
    return opportunity


def payment_get_for_user(*, user: Any, payment_id: int) -> Payment:
    """The payment with its order, if ``user`` may see its customer; else 404."""
    payment = (
        payments_visible_to(user)
        .select_related("order__customer", "recorded_by", "reversed_by")
        .filter(pk=payment_id)
        .first()
    )
    if payment is None:
        raise Http404
    return payment


def corrections_of(*, order: Order | None = None, opportunity: Opportunity | None = None) -> Any:
    """The corrections of an order or an opportunity, newest first."""
    rows = SalesCorrection.objects.select_related("changed_by", "payment")
    if order is not None:
        rows = rows.filter(order=order)
    if opportunity is not None:
        rows = rows.filter(opportunity=opportunity)
    return rows.order_by("-changed_at", "-id")


def possible_owners(*, customer: Customer) -> QuerySet[User]:
    """Active users of the roles that may own sales records (the service checks that the one
    chosen may change ``customer``)."""
    return User.objects.filter(
        is_active=True, role__in=[Role.SALES_REP, Role.ARCHIVE_ADMIN, Role.ADMIN]
    ).order_by("username")
