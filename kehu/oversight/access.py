"""Who may do what with risks, reviews and targets (in the vocabulary of ``core/access.py``).

Every role that sees customers reads the risks, reviews and dashboards of the customers it sees;
leaders read everything and write nothing. Acknowledging an alert and completing a review need
the right to change the customer; approving a review's changes, a manager of the customer's team
or an archive administrator; targets are set by archive administrators (every rep and team) and
team managers (their teams and their members); rules and cycles by admins.
"""

from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import Membership, User
from kehu.core.access import (
    can_administer_archive,
    can_see_customers,
    managed_team_ids,
    policy_for,
    require,
)
from kehu.customers.models import Customer

OVERSIGHT_REFUSED = _("You may not see these figures.")
TARGETS_REFUSED = _("You may not set these targets.")


def can_read_oversight(user: User) -> bool:
    return can_see_customers(user)


def require_reader(user: User) -> None:
    require(user, can_read_oversight, OVERSIGHT_REFUSED)


def manages_customer(user: User, customer: Customer) -> bool:
    """Is ``user`` a manager of the customer's team (or, with none, of its owner's team)?"""
    teams = set(managed_team_ids(user))
    if not teams:
        return False
    if customer.team_id:
        return customer.team_id in teams
    if customer.owner_id is None:
        return False
    return Membership.objects.filter(user_id=customer.owner_id, team_id__in=teams).exists()


def can_approve_review(user: User, customer: Customer) -> bool:
    return can_administer_archive(user) or (
        policy_for(user).change.value != "none" and manages_customer(user, customer)
    )


def can_set_targets(user: User) -> bool:
    return can_administer_archive(user) or bool(
        policy_for(user).change.value != "none" and managed_team_ids(user)
    )


def target_allowed(user: User, *, owner: User | None, team_id: int | None) -> bool:
    """May ``user`` set a target for this rep or team?"""
    if can_administer_archive(user):
        return True
    teams = set(managed_team_ids(user))
    if not teams or policy_for(user).change.value == "none":
        return False
    if team_id is not None:
        return team_id in teams
    return owner is not None and (Membership.objects.filter(user=owner, team_id__in=teams).exists())
