# Over 500 lines: waits for issue #16's access and HTTP-edge changes (branch refa), which
# touch most functions here; then a services/ package (customers, contacts, fields, reveal).
"""Every write to the customer archive. Each fact that changes leaves a ``CustomerChange``."""

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kehu.accounts.models import Team, User
from kehu.accounts.selectors import primary_team
from kehu.core.access import (
    can_create_leads,
    can_own_customers,
    can_reveal,
    require,
    require_account_admin,
)
from kehu.core.audit import audit_log, setting_changed
from kehu.core.encryption import encrypt
from kehu.core.idcard import IdNumber, parse_id_number
from kehu.core.models import AuditEvent
from kehu.core.regions import parse_region
from kehu.core.text import validate_name_text
from kehu.customers.fields import BUILTIN_BY_CODE, FieldSpec, Store, Type
from kehu.customers.models import (
    Channel,
    Contact,
    Customer,
    CustomerChange,
    CustomField,
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
from kehu.customers.values import (
    clean_value,
    custom_sensitive_values,
    lookup_hash,
    lookup_hashes,
    read_value,
    to_text,
)
from kehu.intake import routing
from kehu.search.services import search_index_update

DEFAULT_CHANNEL = "direct_entry"


def _default_channel() -> Channel | None:
    return Channel.objects.filter(code=DEFAULT_CHANNEL).first()


# --- cleaning a whole payload -----------------------------------------------------------------


def _clean_payload(
    specs: dict[str, FieldSpec], data: dict[str, Any], customer: Customer | None
) -> dict[str, Any]:
    """Clean every value; raise one ValidationError naming every bad field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for code, raw in data.items():
        spec = specs.get(code)
        if spec is None:
            errors[code] = [_("Unknown field, or not a field of this kind of customer.")]
            continue
        try:
            cleaned[code] = clean_value(spec, raw)
        except ValidationError as exc:
            errors[code] = list(exc.messages)
            continue
        if spec.required and cleaned[code] in (None, "", []):
            errors[code] = [_("This field is required.")]
    cross_check_id_number(cleaned, customer, errors)
    _check_unique_keys(cleaned, customer, errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


def cross_check_id_number(
    cleaned: dict[str, Any],
    customer: Customer | None,
    errors: dict[str, list[str]],
    *,
    parsed: IdNumber | None = None,
) -> None:
    """The ID number carries birth date and gender: fill them in, or refuse a contradiction,
    whether the ID number or the gender / birth date is what changes. ``parsed``: the ID
    number's parts when the caller has them already."""
    profile = getattr(customer, "person", None) if customer else None
    number = cleaned.get("person.id_number", getattr(profile, "id_number", "") or "")
    if not number:
        return
    if parsed is None or parsed.number != number:
        parsed = parse_id_number(number)
    gender = cleaned.get("person.gender", getattr(profile, "gender", "") or "")
    birth = cleaned.get("person.birth_date", getattr(profile, "birth_date", None))

    # Blame the field this request changes, the ID number when it changes too.
    def blame(field: str) -> str:
        return "person.id_number" if "person.id_number" in cleaned else field

    if gender and gender != parsed.gender:
        errors.setdefault(blame("person.gender"), []).append(
            _("The ID number says %(id)s, but the gender is %(gender)s.")
            % {
                "id": PersonProfile.Gender(parsed.gender).label,
                "gender": PersonProfile.Gender(gender).label,
            }
        )
    if birth and birth != parsed.birth_date:
        errors.setdefault(blame("person.birth_date"), []).append(
            _("The ID number gives the birth date %(id)s, but the birth date is %(birth)s.")
            % {"id": parsed.birth_date.isoformat(), "birth": birth.isoformat()}
        )
    if "person.id_number" in cleaned:
        if not gender:
            cleaned["person.gender"] = parsed.gender
        if not birth:
            cleaned["person.birth_date"] = parsed.birth_date


def _check_unique_keys(
    cleaned: dict[str, Any], customer: Customer | None, errors: dict[str, list[str]]
) -> None:
    """An ID number or a credit code belongs to one customer (the database enforces it too;
    this names the field in the user's language instead of failing on the constraint)."""
    number = cleaned.get("person.id_number")
    if number:
        people = PersonProfile.objects.filter(id_number_hash__in=lookup_hashes(number))
        if customer is not None:
            people = people.exclude(customer=customer)
        if people.exists():
            errors.setdefault("person.id_number", []).append(
                _("Another customer already has this ID number.")
            )
    code = cleaned.get("organization.credit_code")
    if code:
        orgs = OrganizationProfile.objects.filter(credit_code=code)
        if customer is not None:
            orgs = orgs.exclude(customer=customer)
        if orgs.exists():
            errors.setdefault("organization.credit_code", []).append(
                _("Another customer already has this credit code.")
            )


# --- writing ----------------------------------------------------------------------------------


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


# --- contacts ---------------------------------------------------------------------------------


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


# --- reveal -----------------------------------------------------------------------------------


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


# --- administration: channels and custom fields -----------------------------------------------


@transaction.atomic
def channel_save(
    *,
    user: User,
    code: str,
    name: str,
    name_en: str,
    kind: str,
    is_active: bool = True,
    channel: Channel | None = None,
) -> Channel:
    require_account_admin(user)
    errors: dict[str, list[str]] = {}
    code = slugify(code).replace("-", "_")[:40]
    if not code:
        errors["code"] = [_("Use letters, digits and underscores.")]
    elif Channel.objects.filter(code=code).exclude(pk=channel.pk if channel else 0).exists():
        errors["code"] = [_("A channel with this code exists already.")]
    if not name.strip():
        errors["name"] = [_("A name is required.")]
    if kind not in Channel.Kind.values:
        errors["kind"] = [_("Choose direct or indirect.")]
    if errors:
        raise ValidationError(errors)
    channel = channel or Channel()
    channel.code, channel.name, channel.kind = code, name.strip(), kind
    channel.is_active = is_active
    channel.name_en = name_en.strip() or name.strip()
    channel.save()
    setting_changed(actor=user, what=channel)
    return channel


@transaction.atomic
def custom_field_save(
    *,
    user: User,
    code: str,
    label: str,
    field_type: str,
    label_en: str = "",
    applies_to: str = CustomField.AppliesTo.BOTH,
    choices: list[str] | None = None,
    required: bool = False,
    searchable: bool = False,
    sensitive: bool = False,
    is_active: bool = True,
    custom_field: CustomField | None = None,
) -> CustomField:
    """Define (or change) a custom field. Its type and code are fixed once it exists."""
    require_account_admin(user)
    errors: dict[str, list[str]] = {}
    code = slugify(code).replace("-", "_")[:40]
    if custom_field is not None:
        code, field_type = custom_field.code, custom_field.field_type
        sensitive = custom_field.sensitive  # moving values between storages is not supported
    if not code:
        errors["code"] = [_("Use letters, digits and underscores.")]
    elif custom_field is None and CustomField.objects.filter(code=code).exists():
        errors["code"] = [_("A custom field with this code exists already.")]
    if not label.strip():
        errors["label"] = [_("A label is required.")]
    if field_type not in CustomField.Type.values:
        errors["field_type"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(CustomField.Type.values)}
        ]
    if applies_to not in CustomField.AppliesTo.values:
        errors["applies_to"] = [_("Choose person, organization or both.")]
    options = list(dict.fromkeys(c.strip() for c in (choices or []) if c.strip()))
    needs_choices = field_type in {CustomField.Type.CHOICE, CustomField.Type.MULTI_CHOICE}
    if needs_choices and not options:
        errors["choices"] = [_("List the choices.")]
    if errors:
        raise ValidationError(errors)
    custom_field = custom_field or CustomField(code=code, field_type=field_type)
    custom_field.label, custom_field.label_en = label.strip(), label_en.strip()
    custom_field.applies_to, custom_field.choices = applies_to, options if needs_choices else []
    custom_field.required, custom_field.searchable = required, searchable
    custom_field.sensitive, custom_field.is_active = sensitive, is_active
    custom_field.save()
    setting_changed(actor=user, what=custom_field)
    return custom_field


# --- the public pool --------------------------------------------------------------------------


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
