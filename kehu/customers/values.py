"""Reading, cleaning, writing, serialising and masking archive field values, by field type."""

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.creditcode import validate_credit_code
from kehu.core.idcard import mask_id_number, parse_id_number
from kehu.core.keys import keyed_hash, lookup_read_keys, lookup_write_key
from kehu.core.phones import normalize_phone
from kehu.core.text import validate_name_text
from kehu.customers.fields import FieldSpec, Store, Type
from kehu.customers.models import Channel, Customer

EMPTY: tuple[Any, ...] = (None, "", [], ())


def is_empty(value: Any) -> bool:
    return value in EMPTY


def lookup_hash(value: str) -> str:
    """The keyed hash (HMAC-SHA256) to store for exact-match lookup of an encrypted value."""
    return keyed_hash(lookup_write_key(), value)


def lookup_hashes(value: str) -> list[str]:
    """Every hash ``value`` may be stored under (the lookup keys being rotated from too): look
    stored hashes up with ``__in`` these, never with the one ``lookup_hash``."""
    return [keyed_hash(key, value) for key in lookup_read_keys()]


# --- cleaning input -------------------------------------------------------------------------


def _clean_text(spec: FieldSpec, raw: Any) -> str:
    if not isinstance(raw, str | int | float | Decimal):
        raise ValidationError(_("Enter text."))
    text = str(raw).strip()
    if spec.max_length and len(text) > spec.max_length:
        message = _("At most %(max)s characters; this has %(n)s.")
        raise ValidationError(message % {"max": spec.max_length, "n": len(text)})
    if spec.code == "name":
        validate_name_text(text)
    return text


def _clean_date(spec: FieldSpec, raw: Any) -> date | None:
    if isinstance(raw, date):
        value = raw
    else:
        text = str(raw).strip()
        if not text:
            return None
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD, e.g. 2026-03-01.")) from None
    if spec.past_only and value > timezone.localdate():
        raise ValidationError(_("This date cannot be in the future."))
    if value.year < 1850:
        raise ValidationError(_("This date is too far in the past."))
    return value


def _clean_number(spec: FieldSpec, raw: Any) -> int | Decimal | None:
    if isinstance(raw, bool):
        raise ValidationError(_("Enter a number."))
    text = str(raw).strip().replace(",", "")
    if not text:
        return None
    try:
        number: int | Decimal = int(text) if spec.type == Type.INTEGER else Decimal(text)
    except (ValueError, InvalidOperation):
        if spec.type == Type.INTEGER:
            raise ValidationError(_("Enter a whole number.")) from None
        raise ValidationError(_("Enter a number.")) from None
    if isinstance(number, Decimal) and (not number.is_finite() or abs(number) >= 10**12):
        raise ValidationError(_("Enter a number below one trillion."))
    if spec.min_value is not None and number < spec.min_value:
        raise ValidationError(_("Must be at least %(n)s.") % {"n": spec.min_value})
    if spec.max_value is not None and number > spec.max_value:
        raise ValidationError(_("Must be at most %(n)s.") % {"n": spec.max_value})
    return number


def as_list(raw: Any) -> list[str]:
    if isinstance(raw, str):
        parts = raw.replace("，", ",").replace(";", ",").replace("\n", ",").split(",")
    elif isinstance(raw, list | tuple):
        parts = [str(p) for p in raw]
    else:
        raise ValidationError(_("Enter a list of values."))
    return [p.strip() for p in parts if p.strip()]


def _clean_choice(spec: FieldSpec, raw: Any) -> str:
    value = str(raw).strip()
    allowed = [code for code, _label in spec.choices]
    if value and value not in allowed:
        raise ValidationError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})
    return value


def _clean_boolean(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"", "none", "null"}:
        return None
    if text in {"1", "true", "yes", "on", "是"}:
        return True
    if text in {"0", "false", "no", "off", "否"}:
        return False
    raise ValidationError(_("Enter yes or no."))


def clean_value(spec: FieldSpec, raw: Any) -> Any:
    """The field's value from user input, or ``ValidationError`` with a message for people."""
    if raw is None:
        return [] if spec.type in {Type.PHONES, Type.EMAILS, Type.TAGS, Type.MULTI_CHOICE} else None
    kind = spec.type
    if kind in {Type.TEXT, Type.LONG_TEXT}:
        return _clean_text(spec, raw)
    if kind == Type.CHOICE:
        return _clean_choice(spec, raw)
    if kind == Type.MULTI_CHOICE:
        return [_clean_choice(spec, item) for item in as_list(raw)]
    if kind == Type.DATE:
        return _clean_date(spec, raw)
    if kind in {Type.INTEGER, Type.DECIMAL}:
        return _clean_number(spec, raw)
    if kind == Type.BOOLEAN:
        return _clean_boolean(raw)
    if kind == Type.ID_NUMBER:
        text = str(raw).strip()
        return parse_id_number(text).number if text else ""
    if kind == Type.CREDIT_CODE:
        text = str(raw).strip()
        return validate_credit_code(text) if text else ""
    if kind == Type.PHONES:
        return list(dict.fromkeys(normalize_phone(p) for p in as_list(raw)))
    if kind == Type.EMAILS:
        emails = [e.lower() for e in as_list(raw)]
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                raise ValidationError(
                    _("“%(value)s” is not a valid e-mail address.") % {"value": email}
                ) from None
        return list(dict.fromkeys(emails))
    if kind == Type.TAGS:
        tags = as_list(raw)
        if any(len(t) > 40 for t in tags):
            raise ValidationError(_("A tag has at most 40 characters."))
        return list(dict.fromkeys(tags))
    if kind == Type.CHANNEL:
        code = raw.code if isinstance(raw, Channel) else str(raw).strip()
        if not code:
            return None
        channel = Channel.objects.filter(code=code, is_active=True).first()
        if channel is None:
            raise ValidationError(_("Unknown channel “%(code)s”.") % {"code": code})
        return channel
    raise AssertionError(f"unhandled field type {kind}")


# --- reading and writing the stored value ----------------------------------------------------


def read_value(customer: Customer, spec: FieldSpec) -> Any:
    """The field's current value on ``customer`` (related rows must be prefetched or loaded)."""
    if spec.store == Store.CUSTOMER:
        return getattr(customer, spec.attr)
    if spec.store == Store.PERSON:
        profile = getattr(customer, "person", None)
        return getattr(profile, spec.attr) if profile else None
    if spec.store == Store.ORGANIZATION:
        profile = getattr(customer, "organization", None)
        return getattr(profile, spec.attr) if profile else None
    if spec.store == Store.CUSTOM:
        if spec.sensitive:
            return custom_sensitive_values(customer).get(spec.attr)
        return customer.custom_values.get(spec.attr)
    if spec.code == "phones":
        return [p.number for p in customer.phones.all() if p.contact_id is None]
    if spec.code == "emails":
        return [e.address for e in customer.emails.all() if e.contact_id is None]
    if spec.code == "tags":
        return sorted(t.name for t in customer.tags.all())
    raise AssertionError(f"unhandled field {spec.code}")


def custom_sensitive_values(customer: Customer) -> dict[str, Any]:
    raw = customer.custom_sensitive
    return json.loads(raw) if raw else {}


# --- text form, for history and display ------------------------------------------------------


def to_text(spec: FieldSpec, value: Any) -> str:
    """A stable text form of a value: what history stores and compares."""
    if is_empty(value):
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Channel):
        return value.code
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def mask_text(spec: FieldSpec, text: str) -> str:
    """What people without the right to reveal see instead of a sensitive value."""
    if not text:
        return ""
    if spec.type == Type.ID_NUMBER:
        return mask_id_number(text)
    keep = min(len(text) // 3, 6)
    return text[:keep] + "****"
