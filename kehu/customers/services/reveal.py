"""Revealing a sensitive field: allowed by role, always audited."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import (
    can_reveal,
    require,
)
from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent
from kehu.customers.models import (
    Customer,
    CustomerChange,
)
from kehu.customers.selectors import (
    field_specs_for,
)
from kehu.customers.values import (
    read_value,
    to_text,
)


def customer_field_reveal(
    *,
    user: User,
    customer: Customer,
    field: str,
    change_id: int | None = None,
    ip_address: str | None = None,
) -> str:
    """The clear value of a sensitive field (or of one of its history entries), audited.

    The caller has fetched ``customer`` through a scoped selector; this checks the field right.
    """
    spec = field_specs_for(customer.kind).get(field)
    if spec is None or spec.sensitive is None:
        raise ValidationError({"field": [_("This field is not a sensitive field.")]})
    group = spec.sensitive
    require(user, lambda u: can_reveal(u, group), _("Your role may not reveal this field."))
    if change_id is None:
        value = to_text(spec, read_value(customer, spec))
    else:
        change = CustomerChange.objects.filter(
            pk=change_id, customer=customer, field__in=[field, CustomerChange.CREATED]
        ).first()
        entry = next((e for e in change.entries() if e.field == field), None) if change else None
        if entry is None:
            raise ValidationError({"change_id": [_("No such history entry.")]})
        value = entry.text("new")
    audit_log(
        action=AuditEvent.Action.REVEAL,
        actor=user,
        ip_address=ip_address,
        object_type="customer",
        object_id=customer.pk,
        detail={"field": field, "customer": customer.name, "change_id": change_id},
    )
    return value
