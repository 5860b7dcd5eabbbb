"""Writes of the public pool: the policy, returning neglected customers, claiming."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import (
    can_claim_from_pool,
    require,
    require_account_admin,
)
from kehu.core.exceptions import Conflict
from kehu.customers import services as customer_services
from kehu.customers.models import Customer
from kehu.interactions.models import Reminder
from kehu.interactions.notifications import Topic, notify
from kehu.interactions.services import reminders_replace
from kehu.pool.models import PoolClaim, PoolPolicy
from kehu.pool.selectors import pool_claims_on, pool_due, pool_policy_get, pool_warned

POLICY_FIELDS = (
    "enabled",
    "days_important",
    "days_special",
    "days_general",
    "warning_days",
    "claim_limit",
)


@transaction.atomic
def pool_policy_save(*, user: User, **values: int | bool) -> PoolPolicy:
    """Change the pool's rules; administrators only."""
    require_account_admin(user, _("Only administrators may change the public pool's rules."))
    policy = pool_policy_get()
    for name, value in values.items():
        if name not in POLICY_FIELDS:
            raise TypeError(name)
        setattr(policy, name, value)
    policy.save()
    return policy


@dataclass(frozen=True)
class RecycleResult:
    returned: int
    warned: int


def _deadline(customer: Customer, policy: PoolPolicy) -> date:
    followed_up_at: datetime = customer.followed_up_at  # type: ignore[attr-defined]
    return timezone.localdate(followed_up_at + timedelta(days=policy.days_for(customer.grade)))


def pool_recycle(*, now: datetime | None = None) -> RecycleResult:
    """Return neglected customers to the pool and warn owners of those about to return.

    The scheduled job runs it daily; it is idempotent (a customer in the pool is no longer a
    candidate, a warning exists once per customer and deadline). Each return goes through
    ``customer_assign``, so it is in the customer's history and on its timeline. Open warnings
    about customers that were followed up (or have returned) are closed.
    """
    policy = pool_policy_get()
    if not policy.enabled:
        return RecycleResult(returned=0, warned=0)
    now = now or timezone.now()
    today = timezone.localdate(now)
    returned = 0
    for customer in pool_due(policy=policy, now=now).select_related("owner").iterator():
        owner = customer.owner
        days = policy.days_for(customer.grade)
        with transaction.atomic():
            customer_services.customer_assign(
                user=None,
                customer=customer,
                owner=None,
                note=_("No follow-up for %(days)s days") % {"days": days},
            )
            if owner is not None:
                notify(
                    topic=Topic.CUSTOMERS,
                    user=owner,
                    text=_("%(name)s returned to the public pool: no follow-up for %(days)s days.")
                    % {"name": customer.name, "days": days},
                    url=customer.get_absolute_url(),
                )
        returned += 1
    warnings = [
        Reminder(
            user_id=cast(int, customer.owner_id),  # owned customers only
            kind=Reminder.Kind.POOL_WARNING,
            customer=customer,
            due_on=today,
            text=_("Returns to the public pool on %(date)s unless followed up")
            % {"date": _deadline(customer, policy).isoformat()},
            key=f"pool:{customer.pk}:{_deadline(customer, policy).isoformat()}",
        )
        for customer in pool_warned(policy=policy, now=now)
    ]
    warned = reminders_replace(kind=Reminder.Kind.POOL_WARNING, reminders=warnings, now=now)
    return RecycleResult(returned=returned, warned=warned)


@transaction.atomic
def pool_claim(*, user: User, customer: Customer) -> Customer:
    """``user`` takes ``customer`` (fetched through ``pool_customer_get``) from the pool, within
    the daily claim limit. Raises ``Conflict`` past the limit or when someone was faster."""
    require(user, can_claim_from_pool, _("Your role may not take customers from the public pool."))
    # Lock the claimer's row: two claims of one person at once must not both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    policy = pool_policy_get()
    today = timezone.localdate()
    if pool_claims_on(user=user, day=today) >= policy.claim_limit:
        raise Conflict(
            _("You have taken %(n)s customers from the pool today, the most allowed.")
            % {"n": policy.claim_limit}
        )
    from django.core.exceptions import ValidationError

    try:
        claimed = customer_services.customer_claim(
            user=user, customer=customer, note=_("Taken from the public pool")
        )
    except ValidationError as exc:
        raise Conflict(" ".join(exc.messages)) from None
    PoolClaim.objects.create(user=user, customer=claimed)
    return claimed
