"""Cleaning a whole payload against the field registry before anything is written."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.core.idcard import IdNumber, parse_id_number
from kehu.customers.fields import FieldSpec
from kehu.customers.models import (
    Customer,
    OrganizationProfile,
    PersonProfile,
)
from kehu.customers.values import (
    clean_value,
    lookup_hashes,
)


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
