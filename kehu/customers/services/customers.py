"""Creating and changing customers: every fact that changes leaves a ``CustomerChange``;
assignment, sharing, review."""

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Team, User
from kehu.accounts.selectors import primary_team
from kehu.core.access import (
    can_create_leads,
    can_own_customers,
)
from kehu.core.encryption import encrypt
from kehu.core.regions import parse_region
from kehu.customers.fields import FieldSpec, Store, Type
from kehu.customers.models import (
    Channel,
    Customer,
    CustomerChange,
    Email,
    OrganizationProfile,
    PersonProfile,
    Phone,
    Tag,
)
from kehu.customers.selectors import (
    customer_can_change,
    customer_can_record_facts,
    fact_field_allowed,
    field_specs_for,
    require_customer_change,
)
from kehu.customers.services.cleaning import _clean_payload
from kehu.customers.services.common import _default_channel
from kehu.customers.values import (
    custom_sensitive_values,
    lookup_hash,
    read_value,
    to_text,
)
from kehu.intake import routing
from kehu.search.services import search_index_update


def write_value(customer: Customer, spec: FieldSpec, value: Any) -> None:
    if spec.store == Store.CUSTOMER:
        setattr(customer, spec.attr, "" if value is None and spec.type != Type.CHANNEL else value)
        if spec.code == "address":
            region = parse_region(value or "")
            customer.province, customer.city = region.province, region.city
            customer.district, customer.region_code = region.district, region.adcode
    elif spec.store in {Store.PERSON, Store.ORGANIZATION}:
        profile = getattr(customer, spec.store.value)
        text_like = spec.type in {Type.TEXT, Type.LONG_TEXT, Type.CHOICE, Type.ID_NUMBER}
        setattr(profile, spec.attr, "" if value is None and text_like else value)
        if spec.code == "person.id_number":
            profile.id_number_hash = lookup_hash(value) if value else ""
    elif spec.store == Store.CUSTOM:
        storable = to_text(spec, value) if spec.type in {Type.DATE, Type.DECIMAL} else value
        if spec.sensitive:
            values = custom_sensitive_values(customer)
            values[spec.attr] = storable
            customer.custom_sensitive = json.dumps(values, ensure_ascii=False)
        else:
            customer.custom_values = {**customer.custom_values, spec.attr: storable}
    elif spec.code == "phones":
        Phone.objects.filter(customer=customer, contact=None).exclude(number__in=value).delete()
        existing = set(read_value(customer, spec))
        Phone.objects.bulk_create(
            Phone(customer=customer, number=n) for n in value if n not in existing
        )
    elif spec.code == "emails":
        Email.objects.filter(customer=customer, contact=None).exclude(address__in=value).delete()
        existing = set(read_value(customer, spec))
        Email.objects.bulk_create(
            Email(customer=customer, address=a) for a in value if a not in existing
        )
    elif spec.code == "tags":
        customer.tags.set([Tag.objects.get_or_create(name=name)[0] for name in value])


def record_change(
    *,
    customer: Customer,
    field: str,
    old: str,
    new: str,
    sensitive: bool = False,
    user: User | None,
    channel: Channel | None,
    note: str = "",
    at: datetime | None = None,
) -> CustomerChange:
    """A history row (unsaved); sensitive values are encrypted like the live field."""
    if sensitive:
        old, new = (encrypt(old) if old else ""), (encrypt(new) if new else "")
    return CustomerChange(
        customer=customer,
        field=field,
        old_value=old,
        new_value=new,
        sensitive=sensitive,
        channel=channel,
        changed_by=user,
        changed_at=at or timezone.now(),
        note=note[:200],
    )


def _apply(
    customer: Customer,
    specs: dict[str, FieldSpec],
    cleaned: dict[str, Any],
    *,
    user: User | None,
    channel: Channel | None,
    note: str,
) -> list[CustomerChange]:
    changes = []
    now = timezone.now()
    for code, value in cleaned.items():
        spec = specs[code]
        old_text = to_text(spec, read_value(customer, spec))
        new_text = to_text(spec, value)
        if old_text == new_text:
            continue
        write_value(customer, spec, value)
        changes.append(
            record_change(
                customer=customer,
                field=code,
                old=old_text,
                new=new_text,
                sensitive=spec.sensitive is not None,
                user=user,
                channel=channel,
                note=note,
                at=now,
            )
        )
    customer.save()
    for profile_name in ("person", "organization"):
        profile = getattr(customer, profile_name, None)
        if profile is not None:
            profile.save()
    CustomerChange.objects.bulk_create(changes)
    search_index_update(customer_ids=[customer.pk])
    return changes


@transaction.atomic
def customer_create(
    *,
    user: User | None,
    kind: str,
    data: dict[str, Any],
    channel: Channel | None = None,
    owner: User | None = None,
    assign_to_creator: bool = True,
    team: Team | None = None,
    note: str = "",
) -> Customer:
    """Create a customer from field values (codes of ``kehu.customers.fields``).

    The owner is ``owner``, else the creating user (``assign_to_creator``); a customer with no
    owner starts in the public pool. Every given fact is recorded with ``channel``.
    """
    if user is not None and not can_create_leads(user):
        raise PermissionDenied(_("Your role may not create customers."))
    if kind not in Customer.Kind.values:
        raise ValidationError({"kind": [_("Choose person or organization.")]})
    specs = field_specs_for(kind)
    data = {"lifecycle_stage": Customer.Stage.LEAD, "grade": Customer.Grade.GENERAL, **data}
    if "name" not in data:
        data["name"] = ""
    cleaned = _clean_payload(specs, data, None)
    channel = channel or _default_channel()
    if owner is None and assign_to_creator and user is not None and can_own_customers(user):
        owner = user
    # A lead found by a role that may not own customers (marketer, service agent) goes to an
    # owner by the lead-assignment rule, which intake keeps.
    routed = owner is None and user is not None and not can_own_customers(user)
    if routed:
        phones = list(cleaned.get("phones") or [])
        owner = routing.lead_owner_next(
            routing.lead_facts(
                address=str(cleaned.get("address") or ""),
                phone=str(phones[0]) if phones else "",
            )
        )
    if owner is not None and not owner.is_active:
        raise ValidationError({"owner": [_("This user is disabled.")]})
    if team is None:
        team = primary_team(user=owner)
    customer = Customer.objects.create(
        name=cleaned["name"],
        kind=kind,
        owner=owner,
        team=team,
        source_channel=channel,
        status=Customer.Status.ACTIVE if owner else Customer.Status.PUBLIC_POOL,
    )
    if kind == Customer.Kind.PERSON:
        PersonProfile.objects.create(customer=customer)
    else:
        OrganizationProfile.objects.create(customer=customer)
    customer.name = ""  # so the creation is recorded as a change from empty
    cleaned.setdefault("source_channel", channel)
    customer.source_channel = None
    _apply(customer, specs, cleaned, user=user, channel=channel, note=note)
    if routed and owner is not None:
        routing.lead_assigned_notify(customer, by=user)
    return customer


@transaction.atomic
def customer_update(
    *,
    user: User | None,
    customer: Customer,
    data: dict[str, Any],
    channel: Channel | None = None,
    note: str = "",
) -> list[CustomerChange]:
    """Change some facts; returns the history rows written (none when nothing changed).

    A marketer or service agent, who may not change the record, may still record facts on a
    customer they see (not the archive's own fields, nor sensitive ones they may not reveal).
    """
    specs = field_specs_for(customer.kind)
    if user is not None and not customer_can_change(user=user, customer=customer):
        if not customer_can_record_facts(user=user, customer=customer):
            raise PermissionDenied(_("You may not change this customer."))
        refused = [
            str(specs[code].label)
            for code in data
            if code in specs and not fact_field_allowed(user, specs[code])
        ]
        if refused:
            raise PermissionDenied(
                _("Your role records facts, but may not change: %(fields)s.")
                % {"fields": ", ".join(refused)}
            )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    cleaned = _clean_payload(specs, data, customer)
    return _apply(
        customer, specs, cleaned, user=user, channel=channel or _default_channel(), note=note
    )


def _set_status(*, user: User | None, customer: Customer, status: str, note: str) -> Customer:
    require_customer_change(user, customer)
    if customer.status == status:
        return customer
    change = record_change(
        customer=customer,
        field="status",
        old=customer.status,
        new=status,
        user=user,
        channel=None,
        note=note,
    )
    customer.status = status
    customer.archived_at = timezone.now() if status == Customer.Status.ARCHIVED else None
    customer.save(update_fields=["status", "archived_at", "updated_at"])
    change.save()
    search_index_update(customer_ids=[customer.pk])
    return customer


@transaction.atomic
def customer_archive(*, user: User | None, customer: Customer, note: str = "") -> Customer:
    """Archive (soft-delete): hidden from lists, kept with its history, restorable."""
    return _set_status(user=user, customer=customer, status=Customer.Status.ARCHIVED, note=note)


@transaction.atomic
def customer_restore(*, user: User | None, customer: Customer, note: str = "") -> Customer:
    status = Customer.Status.ACTIVE if customer.owner_id else Customer.Status.PUBLIC_POOL
    return _set_status(user=user, customer=customer, status=status, note=note)


@transaction.atomic
def customer_mark_reviewed(*, user: User | None, customer: Customer, note: str = "") -> Customer:
    """Record a periodic review (定期核查): someone who may change the customer confirmed its
    archive is correct. Sets ``reviewed_at`` (not ``updated_at``: nothing else changed)."""
    require_customer_change(user, customer)
    now = timezone.now()
    change = record_change(
        customer=customer,
        field="reviewed_at",
        old=customer.reviewed_at.isoformat() if customer.reviewed_at else "",
        new=now.isoformat(),
        user=user,
        channel=None,
        note=note,
        at=now,
    )
    customer.reviewed_at = now
    customer.save(update_fields=["reviewed_at"])
    change.save()
    return customer


@transaction.atomic
def customer_assign(
    *, user: User | None, customer: Customer, owner: User | None, note: str = ""
) -> Customer:
    """Give the customer to ``owner`` (None: into the public pool)."""
    require_customer_change(user, customer)
    if owner is not None and not owner.is_active:
        raise ValidationError({"owner": [_("This user is disabled.")]})
    if owner == customer.owner:
        return customer
    change = record_change(
        customer=customer,
        field="owner",
        old=customer.owner.username if customer.owner else "",
        new=owner.username if owner else "",
        user=user,
        channel=None,
        note=note,
    )
    customer.owner = owner
    customer.team = primary_team(user=owner)
    if customer.status in {Customer.Status.ACTIVE, Customer.Status.PUBLIC_POOL}:
        customer.status = Customer.Status.ACTIVE if owner else Customer.Status.PUBLIC_POOL
    customer.save(update_fields=["owner", "team", "status", "updated_at"])
    change.save()
    search_index_update(customer_ids=[customer.pk])
    return customer


@transaction.atomic
def customer_share(
    *, user: User | None, customer: Customer, users: Iterable[User], note: str = ""
) -> Customer:
    """Share the customer with exactly ``users`` (replacing the previous list)."""
    require_customer_change(user, customer)
    new = sorted({u for u in users if u != customer.owner}, key=lambda u: u.username)
    old = sorted(customer.shared_with.all(), key=lambda u: u.username)
    if new != old:
        customer.shared_with.set(new)
        record_change(
            customer=customer,
            field="shared_with",
            old=", ".join(u.username for u in old),
            new=", ".join(u.username for u in new),
            user=user,
            channel=None,
            note=note,
        ).save()
    return customer
