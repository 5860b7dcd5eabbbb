"""Every write to customers."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import Team, User
from kehu.customers.models import Customer


@transaction.atomic
def customer_create(
    *,
    name: str,
    kind: str = Customer.Kind.PERSON,
    owner: User | None = None,
    team: Team | None = None,
    shared_with: list[User] | None = None,
) -> Customer:
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("A name is required.")]
    elif len(name) > 200:
        errors["name"] = [_("At most %(n)s characters.") % {"n": 200}]
    if kind not in Customer.Kind.values:
        errors["kind"] = [_("Choose person or organization.")]
    if errors:
        raise ValidationError(errors)
    customer = Customer.objects.create(name=name, kind=kind, owner=owner, team=team)
    if shared_with:
        customer.shared_with.set(shared_with)
    return customer
