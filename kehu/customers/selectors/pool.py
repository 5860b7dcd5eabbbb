"""The public pool's customers."""

from django.db.models import QuerySet

from kehu.accounts.models import User
from kehu.core.access import (
    can_own_customers,
)
from kehu.customers.models import (
    Customer,
)


def customers_in_pool_visible_to(user: User) -> QuerySet[Customer]:
    """Customers in the public pool (公海): unowned, for any role that sees customers.

    Outside ``customers_visible_to`` on purpose: a rep browses the pool (masked) without the
    rest of the archive opening up; an owned customer never appears here.
    """
    from kehu.core.access import can_view_pool

    if not can_view_pool(user):
        return Customer.objects.none()
    return Customer.objects.filter(status=Customer.Status.PUBLIC_POOL, owner__isnull=True)


def bulk_owner_choices() -> list[User]:
    """Whom customers may be given to in a bulk assignment: active people who may own them."""
    people = User.objects.filter(is_active=True, is_integration=False).order_by("username")
    return [person for person in people if can_own_customers(person)]
