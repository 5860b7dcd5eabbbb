import random

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kehu.core.phones import format_phone_local, is_mobile, mask_phone, normalize_phone

MAINLAND_MESSAGE = (
    "Enter a mainland mobile number (11 digits starting with 1) or a landline with its area "
    "code, e.g. 010-12345678."
)
INTERNATIONAL_MESSAGE = (
    "This is not a valid international number; enter + and the country code before the number, "
    "e.g. +852 2123 4567."
)


def error_of(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        normalize_phone(value)
    return caught.value


def english(error: ValidationError) -> list[str]:
    with translation.override("en"):
        return list(error.messages)


@pytest.mark.parametrize(
    "typed",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+8613800138000",
        "+86 138 0013 8000",
        "008613800138000",
        "0086 138-0013-8000",
        "86 13800138000",
        "8613800138000",
        "  13800138000  ",
        "１３８００１３８０００",  # full-width digits
        "+８６ １３８ ００１３ ８０００",
    ],
)
def test_mainland_mobiles_in_any_common_form(typed):
    assert normalize_phone(typed) == "+8613800138000"


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("010-12345678", "+861012345678"),
        ("01012345678", "+861012345678"),
        ("(010) 1234 5678", "+861012345678"),
        ("+86 10 12345678", "+861012345678"),
        ("+86 (0)10 12345678", "+861012345678"),
        ("0086-10-12345678", "+861012345678"),
        ("0755 1234 5678", "+8675512345678"),
        ("0755-12345678", "+8675512345678"),
        ("(0755)12345678", "+8675512345678"),
        ("(021)12345678", "+862112345678"),
        ("（０２１）１２３４５６７８", "+862112345678"),  # full-width brackets and digits
        ("0571-8765 4321", "+8657187654321"),
    ],
)
def test_mainland_landlines_with_their_area_code(typed, e164):
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+852 2123 4567", "+85221234567"),
        ("+852 6123 4567", "+85261234567"),
        ("00852 6123 4567", "+85261234567"),
        ("+1 650-253-0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_international_numbers_with_their_country_code(typed, e164):
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "1234",
        "12345678",  # a landline without its area code
        "1380013800",  # a digit short
        "138001380001",  # a digit too many
        "12345678901",  # 12… is not a mobile range
        "400-810-8888",  # service hotline, not a person
        "95588",  # bank short number
        "tel: 13800138000",
        "138OO138OOO",  # letters O for zeros
        "010-12345678 转 8001",  # an extension can't be kept in E.164
        "+86 123",
    ],
)
def test_mainland_numbers_that_are_not_valid(typed):
    error = error_of(typed)
    assert error.code == "phone_invalid"
    assert english(error) == [MAINLAND_MESSAGE]


@pytest.mark.parametrize("typed", ["+852 123", "+1 555 0100", "+999 12345678", "+"])
def test_international_numbers_that_are_not_valid(typed):
    error = error_of(typed)
    assert error.code == "phone_invalid"
    assert english(error) == [INTERNATIONAL_MESSAGE]


@pytest.mark.parametrize(
    ("e164", "local"),
    [
        ("+8613800138000", "138 0013 8000"),
        ("+861012345678", "010 1234 5678"),
        ("+8675512345678", "0755 1234 5678"),
        ("+85221234567", "+852 2123 4567"),
        ("+16502530000", "+1 650-253-0000"),
        ("not a number", "not a number"),
    ],
)
def test_format_phone_local(e164, local):
    assert format_phone_local(e164) == local


@pytest.mark.parametrize(
    ("e164", "mobile"),
    [
        ("+8613800138000", True),
        ("+8619912345678", True),
        ("+861012345678", False),
        ("+85261234567", True),
        ("+85221234567", False),
        ("+16502530000", False),  # North American numbers don't tell
        ("13800138000", False),  # not E.164
        ("", False),
    ],
)
def test_is_mobile(e164, mobile):
    assert is_mobile(e164) is mobile


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+8613800138000", "138****8000"),
        ("+861012345678", "010****5678"),
        ("+8675512345678", "0755****5678"),
        ("+863102345678", "0310***5678"),  # 7-digit local number (邯郸)
        ("+86755 1234567", "0******4567"),  # not a valid number: no area code to keep
        ("+85221234567", "+852 ****4567"),
        ("+16502530000", "+1 ******0000"),
        ("13800138000", "*******8000"),  # not E.164: only the last 4 stay
        ("+8610", "***"),
        ("", ""),
    ],
)
def test_mask_phone(e164, masked):
    assert mask_phone(e164) == masked


MOBILE_PREFIXES = "130 131 132 135 136 138 139 150 151 158 166 176 177 180 186 188 189 199".split()
FORMS = [
    "{n}",
    "+86{n}",
    "+86 {a} {b} {c}",
    "0086{n}",
    "86-{a}-{b}-{c}",
    "{a} {b} {c}",
    "{a}-{b}{c}",
]


def test_typed_mobiles_normalise_and_survive_a_round_trip_through_display():
    rng = random.Random(20240601)
    for _ in range(300):
        # given
        digits = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        typed = rng.choice(FORMS).format(n=digits, a=digits[:3], b=digits[3:7], c=digits[7:])
        # when
        e164 = normalize_phone(typed)
        # then
        assert e164 == "+86" + digits
        assert normalize_phone(e164) == e164
        assert normalize_phone(format_phone_local(e164)) == e164
        assert is_mobile(e164)
        assert mask_phone(e164) == digits[:3] + "****" + digits[7:]


def test_landlines_survive_a_round_trip_through_display():
    rng = random.Random(7)
    for _ in range(200):
        area = rng.choice(["10", "20", "21", "22", "23", "24", "25", "27", "28", "29", "755"])
        digits = area + str(rng.randrange(2, 10)) + f"{rng.randrange(10**7):07d}"
        e164 = normalize_phone(f"0{area}-{digits[len(area) :]}")
        assert e164 == "+86" + digits
        assert normalize_phone(format_phone_local(e164)) == e164
        assert not is_mobile(e164)
