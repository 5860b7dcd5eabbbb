"""Small lookups: channels, contacts and inputs that name them."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import (
    Channel,
    Contact,
    Customer,
    CustomField,
)


def channels_active() -> QuerySet[Channel]:
    return Channel.objects.filter(is_active=True)


def channels_all() -> QuerySet[Channel]:
    return Channel.objects.all()


def channel_given(code: str | None) -> Channel | None:
    """The active channel an input names by its code (None when none is given); an unknown
    code is a ``ValidationError`` on the field ``channel``."""
    if not code:
        return None
    channel = channels_active().filter(code=code).first()
    if channel is None:
        raise ValidationError({"channel": [_("Unknown channel “%(code)s”.") % {"code": code}]})
    return channel


def contact_given(customer: Customer, contact_id: int | None) -> Contact | None:
    """The customer's contact an input names (None when none is given); another customer's or
    an unknown contact is a ``ValidationError`` on the field ``contact_id``."""
    if contact_id is None:
        return None
    contact = Contact.objects.filter(customer=customer, pk=contact_id).first()
    if contact is None:
        raise ValidationError({"contact_id": [_("No such contact of this customer.")]})
    return contact


def channel_get(*, channel_id: int) -> Channel:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise Http404
    return channel


def custom_fields_all() -> QuerySet[CustomField]:
    return CustomField.objects.all()


def custom_field_get(*, custom_field_id: int) -> CustomField:
    custom_field = CustomField.objects.filter(pk=custom_field_id).first()
    if custom_field is None:
        raise Http404
    return custom_field


def contact_get(*, customer: Customer, contact_id: int) -> Contact:
    """A contact of ``customer`` (fetched through a scoped selector); else 404."""
    contact = (
        Contact.objects.filter(customer=customer, pk=contact_id)
        .select_related("customer")
        .prefetch_related("phones", "emails")
        .first()
    )
    if contact is None:
        raise Http404
    return contact
