"""Batch rows into the customers app's tables, for the writers of many customers at once (the
importer, the demo loader): the rows skip the ORM's per-object work and go in through
``kehu.core.bulk.insert_rows`` (``COPY`` on PostgreSQL, multi-row ``INSERT`` on SQLite).

The column lists are the models' own fields (``_meta``) in declaration order; a writer builds
each row as a tuple in that order, with values already adapted for the database. A field left
out must be nullable, so a new column the writers do not know about fails here, loudly, instead
of being left empty (``kehu/customers/tests/test_bulk.py`` checks the lists against the models).
These functions validate nothing else: the caller has cleaned the values.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.db import models

from kehu.accounts.models import User
from kehu.core.bulk import bulk_insert
from kehu.customers.fields import FieldSpec, Type
from kehu.customers.models import (
    Channel,
    Contact,
    Customer,
    CustomerChange,
    Email,
    OrganizationProfile,
    PersonProfile,
    Phone,
    Tag,
)
from kehu.customers.services import contact_summary, record_change, write_value


def columns(model: type[models.Model], *, leave_out: Sequence[str] = ()) -> tuple[str, ...]:
    """The names of ``model``'s concrete fields in declaration order, but ``leave_out`` (each
    nullable or the auto-incremented id, which the database fills)."""
    concrete = [f.name for f in model._meta.concrete_fields]
    missing = set(leave_out) - set(concrete)
    if missing:
        raise TypeError(f"{model.__name__} has no column {sorted(missing)}")
    for name in leave_out:
        field = model._meta.get_field(name)
        if not (getattr(field, "null", False) or isinstance(field, models.AutoField)):
            raise TypeError(f"{model.__name__}.{name} cannot be left out of a batch row")
    return tuple(name for name in concrete if name not in leave_out)


# Left out: set later by their own services (a review, a merge).
CUSTOMER_FIELDS = columns(Customer, leave_out=("reviewed_at", "merged_into"))
# The profiles' columns after ``customer`` (their primary key, first in each row).
PERSON_FIELDS = columns(PersonProfile)[1:]
ORGANIZATION_FIELDS = columns(OrganizationProfile)[1:]
# Left out: the link to a person in the archive is set by hand.
CONTACT_FIELDS = columns(Contact, leave_out=("person",))
PHONE_FIELDS = columns(Phone, leave_out=("id",))
EMAIL_FIELDS = columns(Email, leave_out=("id",))
CHANGE_FIELDS = columns(CustomerChange, leave_out=("id",))
TAG_LINK_FIELDS = ("customer", "tag")
SHARE_FIELDS = ("customer", "user")


class CustomerRows(NamedTuple):
    """One batch's rows, table by table, each tuple in the order of its column list:
    ``CUSTOMER_FIELDS``, ``customer`` + ``PERSON_FIELDS`` / ``ORGANIZATION_FIELDS``,
    ``CONTACT_FIELDS``, ``PHONE_FIELDS``, ``EMAIL_FIELDS``, (customer, tag id), (customer,
    user id), ``CHANGE_FIELDS``."""

    customers: list[tuple[Any, ...]]
    people: list[tuple[Any, ...]]
    organizations: list[tuple[Any, ...]]
    contacts: list[tuple[Any, ...]]
    phones: list[tuple[Any, ...]]
    emails: list[tuple[Any, ...]]
    tags: list[tuple[Any, ...]]
    shares: list[tuple[Any, ...]]
    changes: list[tuple[Any, ...]]


def customer_rows_insert(cursor: Any, rows: CustomerRows) -> None:
    """Write one batch of new customers' rows with ``cursor``, in the caller's transaction
    (the ids of customers and contacts are the caller's, see ``kehu.core.bulk``)."""
    bulk_insert(cursor, Customer, CUSTOMER_FIELDS, rows.customers)
    bulk_insert(cursor, PersonProfile, ("customer", *PERSON_FIELDS), rows.people)
    bulk_insert(cursor, OrganizationProfile, ("customer", *ORGANIZATION_FIELDS), rows.organizations)
    bulk_insert(cursor, Contact, CONTACT_FIELDS, rows.contacts)
    bulk_insert(cursor, Phone, PHONE_FIELDS, rows.phones)
    bulk_insert(cursor, Email, EMAIL_FIELDS, rows.emails)
    bulk_insert(cursor, Customer.tags.through, TAG_LINK_FIELDS, rows.tags)
    bulk_insert(cursor, Customer.shared_with.through, SHARE_FIELDS, rows.shares)
    bulk_insert(cursor, CustomerChange, CHANGE_FIELDS, rows.changes)


def tag_ids(names: Iterable[str]) -> dict[str, int]:
    """The ids of the tags with these names, creating those that do not exist yet."""
    names = sorted(set(names))
    if not names:
        return {}
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "id"))


@dataclass(frozen=True)
class Provenance:
    """Where a batch's history rows come from: the same for every row it writes."""

    channel: Channel | None
    user: User | None
    at: datetime
    note: str
    import_batch_id: int | None = None


def contacts_create(*, contacts: list[tuple[int, dict[str, Any]]], by: Provenance) -> None:
    """Add a contact (name, role, title, phones) to each customer, each with its history row."""
    for customer_id, data in contacts:
        contact = Contact.objects.create(
            customer_id=customer_id, name=data["name"], role=data["role"], title=data["title"]
        )
        Phone.objects.bulk_create(
            Phone(customer_id=customer_id, contact=contact, number=n)
            for n in data.get("phones", [])
        )
        CustomerChange.objects.create(
            customer_id=customer_id, field="contacts", old_value="",
            new_value=contact_summary(contact), channel=by.channel, changed_by=by.user,
            changed_at=by.at, note=by.note[:200], import_batch_id=by.import_batch_id,
        )  # fmt: skip


# Related values cached by ``prefetch_related`` under the field's code.
_PREFETCHED = {"phones": "phones", "emails": "emails", "tags": "tags"}


def customer_values_write(
    *, customer: Customer, values: list[tuple[FieldSpec, Any, str, str]], by: Provenance
) -> list[CustomerChange]:
    """Write ``values`` (spec, value, old text, new text) to ``customer`` (loaded with its
    profiles) and save it; returns the history rows, unsaved (``changes_insert`` them)."""
    history: list[CustomerChange] = []
    for spec, value, old_text, new_text in values:
        write_value(customer, spec, value)
        if spec.type in {Type.PHONES, Type.EMAILS, Type.TAGS}:
            cache = getattr(customer, "_prefetched_objects_cache", {})
            cache.pop(_PREFETCHED[spec.code], None)
        change = record_change(
            customer=customer, field=spec.code, old=old_text, new=new_text,
            sensitive=spec.sensitive is not None, user=by.user, channel=by.channel,
            note=by.note, at=by.at,
        )  # fmt: skip
        change.import_batch_id = by.import_batch_id
        history.append(change)
    if history:
        customer.save()
        for name in ("person", "organization"):
            profile = getattr(customer, name, None)
            if profile is not None:
                profile.save()
    return history


def changes_insert(changes: list[CustomerChange]) -> None:
    """Save history rows built with ``record_change``."""
    CustomerChange.objects.bulk_create(changes)


def customers_delete(customer_ids: list[int]) -> int:
    """Delete these customers with their own records (what an undone import created and
    nothing else holds on to); returns how many were deleted."""
    doomed = Customer.objects.filter(pk__in=customer_ids)
    deleted = doomed.count()
    if deleted:
        doomed.delete()
    return deleted
