"""Who may do what in sales, on top of the record scope of ``kehu.core.access``.

Sales records follow their customer: a user sees the orders, payments and opportunities of the
customers they may see, and takes orders, records payments and moves opportunities for the
customers they may change. The catalogue is kept by those who may change every record.
"""

from kehu.accounts.models import User
from kehu.core.access import Scope, policy_for


def sees_all_customers(user: User) -> bool:
    return policy_for(user).view is Scope.ALL


def can_manage_catalogue(user: User) -> bool:
    """Archive administrators and admins keep the product catalogue and the pipeline."""
    return policy_for(user).change is Scope.ALL


def can_sell(user: User) -> bool:
    """Roles that may take orders and work opportunities (for customers they may change)."""
    return policy_for(user).change is not Scope.NONE
