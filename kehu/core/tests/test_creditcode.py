import random

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kehu.core.creditcode import (
    CHARSET,
    credit_code_check_char,
    make_credit_code,
    organisation_code_check_char,
    validate_credit_code,
)

# A commonly cited sample code, and the published codes of two large Shenzhen companies.
SAMPLE = "91350100M000100Y43"
PUBLISHED = ["91440300708461136T", "914403001922038216"]


def error_of(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(value)
    return caught.value


def english(error: ValidationError) -> list[str]:
    with translation.override("en"):
        return list(error.messages)


@pytest.mark.parametrize("code", [SAMPLE, *PUBLISHED])
def test_known_codes_are_valid(code):
    assert validate_credit_code(code) == code


@pytest.mark.parametrize("code", [SAMPLE, *PUBLISHED])
def test_known_codes_embed_a_valid_organisation_code(code):
    assert organisation_code_check_char(code[8:16]) == code[16]


@pytest.mark.parametrize(
    "typed",
    [
        "91350100m000100y43",
        "  91350100M000100Y43\n",
        "9135 0100 M000 100Y 43",
        "９１３５０１００Ｍ０００１００Ｙ４３",  # full-width
    ],
)
def test_case_spaces_and_full_width_are_normalised(typed):
    assert validate_credit_code(typed) == SAMPLE


def test_the_charset_leaves_out_letters_that_look_like_digits():
    assert len(CHARSET) == 31
    assert not set("IOSVZ") & set(CHARSET)


@pytest.mark.parametrize(("value", "n"), [("", 0), ("91350100M000100Y4", 17), (SAMPLE + "0", 19)])
def test_wrong_length_says_how_many_characters_there_are(value, n):
    error = error_of(value)
    assert error.code == "credit_code_length"
    assert english(error) == [f"The credit code must have 18 characters; this one has {n}."]


@pytest.mark.parametrize(
    ("value", "position", "char"),
    [
        ("91350100M000100O43", 16, "O"),
        ("91350100M000I00Y43", 13, "I"),
        ("9135010OM000100Y43", 8, "O"),
        ("91350100M000100Y4Z", 18, "Z"),
        ("91350100M-00100Y43", 10, "-"),
    ],
)
def test_a_character_outside_the_charset_is_named(value, position, char):
    error = error_of(value)
    assert error.code == "credit_code_character"
    assert english(error) == [
        f"Character {position} of the credit code, “{char}”, is not allowed: a credit code has "
        "only digits and capital letters other than I, O, S, V and Z."
    ]


def test_a_wrong_check_character_names_the_mismatch_without_guessing_a_replacement():
    error = error_of("91350100M000100Y44")
    assert error.code == "credit_code_check_char"
    assert english(error) == [
        "The last character of the credit code does not match the other 17: one of the 18 "
        "characters is mistyped. Compare the whole code with the business licence."
    ]


def test_check_char_of_the_sample():
    assert credit_code_check_char(SAMPLE[:17]) == "3"


def test_a_check_value_of_zero_gives_0():
    # When the weighted sum is a multiple of 31 the check character is 0, not 31.
    assert credit_code_check_char("0" * 17) == "0"
    assert validate_credit_code("0" * 18) == "0" * 18


@pytest.mark.parametrize("bad", ["", SAMPLE[:16], SAMPLE, "91350100M000100O4", "91350100m000100y4"])
def test_check_char_needs_17_charset_characters(bad):
    with pytest.raises(ValueError, match="17 characters"):
        credit_code_check_char(bad)


@pytest.mark.parametrize(
    ("first8", "check"),
    [
        ("M000100Y", "4"),
        ("70846113", "6"),
        ("D2143569", "X"),  # the example in GB 11714
        ("00000000", "0"),
        ("00000001", "9"),  # 11 - 2 = 9
        ("00000006", "X"),  # 11 - 1 = 10 is written X
    ],
)
def test_organisation_code_check_char(first8, check):
    assert organisation_code_check_char(first8) == check


@pytest.mark.parametrize("bad", ["", "M000100", "M000100Y4", "m000100y", "M000100-"])
def test_organisation_check_char_needs_8_digits_or_capitals(bad):
    with pytest.raises(ValueError, match="8 digits or capital letters"):
        organisation_code_check_char(bad)


def test_made_codes_are_valid_and_have_the_expected_parts():
    rng = random.Random(20240601)
    for _ in range(500):
        region_code = f"{rng.randrange(110000, 830000):06d}"
        sequence = rng.randrange(31**6)
        code = make_credit_code(region_code=region_code, sequence=sequence)
        assert validate_credit_code(code) == code
        assert code.startswith("91" + region_code + "MA")
        assert organisation_code_check_char(code[8:16]) == code[16]


@pytest.mark.parametrize("sequence", [0, 1, 30, 31, 31**6 - 1])
def test_made_codes_at_the_ends_of_the_sequence_range(sequence):
    code = make_credit_code(region_code="110105", sequence=sequence)
    assert validate_credit_code(code) == code


def test_made_codes_differ_for_each_sequence():
    codes = {make_credit_code(region_code="440305", sequence=n) for n in range(0, 31**6, 9973)}
    assert len(codes) == len(range(0, 31**6, 9973))


def test_every_single_character_typo_is_caught():
    rng = random.Random(7)
    for _ in range(300):
        code = make_credit_code(region_code="310115", sequence=rng.randrange(31**6))
        position = rng.randrange(18)
        typo = rng.choice([c for c in CHARSET if c != code[position]])
        with pytest.raises(ValidationError):
            validate_credit_code(code[:position] + typo + code[position + 1 :])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"region_code": "11010"}, "6 digits"),
        ({"region_code": "1101OS"}, "6 digits"),
        ({"sequence": -1}, "sequence"),
        ({"sequence": 31**6}, "sequence"),
    ],
)
def test_make_refuses_what_cannot_be_valid(change, message):
    with pytest.raises(ValueError, match=message):
        make_credit_code(**({"region_code": "110105", "sequence": 1} | change))
