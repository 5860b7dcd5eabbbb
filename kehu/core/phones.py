"""Phone numbers: normalise what people type to E.164, format and mask stored numbers.

Mainland numbers are the common case: mobiles (11 digits starting with 1) and landlines with
their area code, typed with or without +86 / 0086 / 86, spaces, dashes or brackets. Numbers
elsewhere are accepted in international form (+852 …, +1 …). Service numbers (400/800 hotlines,
short numbers like 95588) are refused: the archive keeps numbers that reach a person.
"""

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType

MAINLAND = "CN"
MAINLAND_COUNTRY_CODE = 86

# What a typed number may contain once full-width characters are folded.
_TYPED_NUMBER = re.compile(r"[0-9+()\-./\s]+")
_MAINLAND_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE})

_INVALID_MAINLAND = _(
    "Enter a mainland mobile number (11 digits starting with 1) or a landline with its area "
    "code, e.g. 010-12345678."
)
_INVALID_INTERNATIONAL = _(
    "This is not a valid international number; enter + and the country code before the "
    "number, e.g. +852 2123 4567."
)


def normalize_phone(value: str) -> str:
    """The number in E.164 form (+8613800138000); raise ``ValidationError`` when not valid."""
    text = unicodedata.normalize("NFKC", value).strip()
    international = text.startswith("+") and not text.startswith("+86")
    invalid = ValidationError(
        _INVALID_INTERNATIONAL if international else _INVALID_MAINLAND, code="phone_invalid"
    )
    if not _TYPED_NUMBER.fullmatch(text):
        raise invalid
    try:
        number = phonenumbers.parse(text, MAINLAND)
    except NumberParseException:
        raise invalid from None
    if not phonenumbers.is_valid_number(number):
        raise invalid
    if (
        number.country_code == MAINLAND_COUNTRY_CODE
        and phonenumbers.number_type(number) not in _MAINLAND_TYPES
    ):
        raise invalid
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _parse_e164(e164: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(e164, None)
    except NumberParseException:
        return None


def format_phone_local(e164: str) -> str:
    """For display: mainland numbers as dialled at home (138 0013 8000, 010 1234 5678), others
    in international form (+852 2123 4567). A value that isn't E.164 comes back unchanged."""
    number = _parse_e164(e164)
    if number is None:
        return e164
    if number.country_code == MAINLAND_COUNTRY_CODE:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def format_phone_dialled(e164: str) -> str:
    """For files (exports, templates): every number as dialled from the mainland, mainland ones
    in national form (138 0013 8000, 010 1234 5678), others after the international prefix 00
    (00 852 2123 4567). One text format that a spreadsheet takes neither for a number (the
    spaces) nor for a formula (no leading +). A value that isn't E.164 comes back unchanged."""
    number = _parse_e164(e164)
    if number is None:
        return e164
    return phonenumbers.format_out_of_country_calling_number(number, MAINLAND)


def is_mobile(e164: str) -> bool:
    """Whether the number is a mobile (one that can take text messages).

    Numbers whose plan doesn't tell mobiles from landlines (the US, Canada) count as not.
    """
    number = _parse_e164(e164)
    return number is not None and phonenumbers.number_type(number) == PhoneNumberType.MOBILE


def mask_phone(e164: str) -> str:
    """The number with its middle starred: 138****8000, 0755****5678, +852 ****4567.

    A value that isn't E.164 keeps only its last 4 characters visible.
    """
    number = _parse_e164(e164)
    if number is None:
        return _star_middle(e164, head=0)
    national = phonenumbers.national_significant_number(number)
    if number.country_code != MAINLAND_COUNTRY_CODE:
        return f"+{number.country_code} " + _star_middle(national, head=0)
    if phonenumbers.number_type(number) == PhoneNumberType.MOBILE:
        return _star_middle(national, head=3)
    # Landlines keep their area code, dialled with the trunk prefix 0.
    area_code_length = phonenumbers.length_of_geographical_area_code(number)
    return _star_middle("0" + national, head=1 + area_code_length)


def _star_middle(text: str, *, head: int) -> str:
    tail = 4
    if len(text) <= tail:
        return "*" * len(text)
    if len(text) <= head + tail:
        head = 0
    return text[:head] + "*" * (len(text) - head - tail) + text[-tail:]
