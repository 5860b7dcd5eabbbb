"""The customer's side of the public pool: returned and claimed customers."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.accounts.selectors import primary_team
from kehu.core.access import (
    require,
)
from kehu.customers.models import (
    Customer,
)
from kehu.customers.services.customers import record_change
from kehu.search.services import search_index_update


@transaction.atomic
def customer_claim(*, user: User, customer: Customer, note: str = "") -> Customer:
    """``user`` takes ``customer`` from the public pool and becomes its owner.

    The row is locked, so of two people claiming at once one wins; the other gets a
    ``ValidationError``. Limits on how much one may claim are the pool's (``kehu.pool``).
    """
    from kehu.core.access import can_claim_from_pool

    require(user, can_claim_from_pool, _("Your role may not take customers from the public pool."))
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.status != Customer.Status.PUBLIC_POOL or customer.owner_id is not None:
        raise ValidationError(_("This customer is no longer in the public pool."))
    change = record_change(
        customer=customer,
        field="owner",
        old="",
        new=user.username,
        user=user,
        channel=None,
        note=note,
    )
    customer.owner = user
    customer.team = primary_team(user=user)
    customer.status = Customer.Status.ACTIVE
    customer.save(update_fields=["owner", "team", "status", "updated_at"])
    change.save()
    search_index_update(customer_ids=[customer.pk])
    return customer
