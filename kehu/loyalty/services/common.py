"""What the membership writes share."""

from datetime import timedelta

from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_manage_loyalty, require
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_can_change
from kehu.loyalty.models import (
    Programme,
)

# A sales payment of this method is an order paid with points (积分抵现): it earns nothing.
POINTS_METHOD = "points"
YEAR = timedelta(days=365)
MANAGE_REFUSED = _("Only marketers and administrators may change the membership programme.")


def programme_get() -> Programme:
    programme, _created = Programme.objects.get_or_create(pk=1)
    return programme


def require_member_change(user: User | None, customer: Customer) -> None:
    """Enrolling, redeeming: whoever may change the customer, or who runs the programme."""
    if user is None or can_manage_loyalty(user):
        return
    require(
        user,
        lambda u: customer_can_change(user=u, customer=customer),
        _("You may not change this customer's membership."),
    )
