"""Contacts of organizations: add, change, remove, with their history."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.text import validate_name_text
from kehu.customers.fields import BUILTIN_BY_CODE
from kehu.customers.models import (
    Contact,
    Customer,
    Email,
    Phone,
)
from kehu.customers.selectors import (
    require_customer_change,
)
from kehu.customers.services.common import _default_channel
from kehu.customers.services.customers import record_change
from kehu.customers.values import (
    clean_value,
)
from kehu.search.services import search_index_update


def _clean_contact(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("A name is required.")]
    elif len(name) > 100:
        errors["name"] = [_("At most %(n)s characters.") % {"n": 100}]
    else:
        try:
            validate_name_text(name)
        except ValidationError as exc:
            errors["name"] = list(exc.messages)
    cleaned["name"] = name
    role = str(data.get("role") or Contact.Role.OTHER)
    if role not in Contact.Role.values:
        errors["role"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Contact.Role.values)}
        ]
    cleaned["role"] = role
    for key, spec_code in (("phones", "phones"), ("emails", "emails")):
        try:
            cleaned[key] = clean_value(BUILTIN_BY_CODE[spec_code], data.get(key) or [])
        except ValidationError as exc:
            errors[key] = list(exc.messages)
    birthday_spec = BUILTIN_BY_CODE["person.birth_date"]
    try:
        cleaned["birthday"] = clean_value(birthday_spec, data.get("birthday") or "")
    except ValidationError as exc:
        errors["birthday"] = list(exc.messages)
    cleaned["title"] = str(data.get("title") or "").strip()[:100]
    cleaned["notes"] = str(data.get("notes") or "").strip()
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def contact_save(
    *,
    user: User | None,
    customer: Customer,
    data: dict[str, Any],
    contact: Contact | None = None,
    person: Customer | None = None,
) -> Contact:
    """Create or update a contact at an organization customer."""
    require_customer_change(user, customer)
    if customer.kind != Customer.Kind.ORGANIZATION:
        raise ValidationError({"customer": [_("Only organizations have contacts.")]})
    cleaned = _clean_contact(data)
    phones, emails = cleaned.pop("phones"), cleaned.pop("emails")
    old = contact_summary(contact) if contact else ""
    if contact is None:
        contact = Contact(customer=customer)
    for key, value in cleaned.items():
        setattr(contact, key, value)
    contact.person = person
    contact.save()
    contact.phones.all().delete()
    contact.emails.all().delete()
    Phone.objects.bulk_create(Phone(customer=customer, contact=contact, number=n) for n in phones)
    Email.objects.bulk_create(Email(customer=customer, contact=contact, address=a) for a in emails)
    new = contact_summary(contact)
    if new != old:
        record_change(
            customer=customer,
            field="contacts",
            old=old,
            new=new,
            user=user,
            channel=_default_channel(),
        ).save()
    search_index_update(customer_ids=[customer.pk])
    return contact


@transaction.atomic
def contact_delete(*, user: User | None, contact: Contact) -> None:
    customer = contact.customer
    require_customer_change(user, customer)
    record_change(
        customer=customer,
        field="contacts",
        old=contact_summary(contact),
        new="",
        user=user,
        channel=None,
    ).save()
    contact.delete()
    search_index_update(customer_ids=[customer.pk])


def contact_summary(contact: Contact) -> str:
    phones = ", ".join(p.number for p in contact.phones.all())
    return f"{contact.name} ({contact.get_role_display()}) {phones}".strip()
