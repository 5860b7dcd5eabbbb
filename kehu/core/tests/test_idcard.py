import dataclasses
import random
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from kehu.core.idcard import (
    PROVINCE_CODES,
    IdNumber,
    division_codes,
    id_number_check_char,
    make_id_number,
    mask_id_number,
    parse_id_number,
)

# The example number printed in GB 11643-1999 and cited everywhere since.
SAMPLE = "11010519491231002X"


def error_of(value: str, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_id_number(value, **kwargs)
    return caught.value


def english(error: ValidationError) -> list[str]:
    with translation.override("en"):
        return list(error.messages)


def with_check_char(first17: str) -> str:
    return first17 + id_number_check_char(first17)


def test_the_standard_sample_parses():
    assert parse_id_number(SAMPLE) == IdNumber(
        number=SAMPLE, region_code="110105", birth_date=date(1949, 12, 31), gender="female"
    )


def test_odd_17th_digit_is_male_even_is_female():
    male = with_check_char("11010519800101001")
    female = with_check_char("11010519800101002")
    assert parse_id_number(male).gender == "male"
    assert parse_id_number(female).gender == "female"


@pytest.mark.parametrize(
    "typed",
    [
        "11010519491231002x",
        " 11010519491231002X ",
        "110105 19491231 002X",
        "110105\u300019491231\u3000002x",  # ideographic spaces from a Chinese keyboard
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and letter
    ],
)
def test_lowercase_x_spaces_and_full_width_are_normalised(typed):
    assert parse_id_number(typed).number == SAMPLE


def test_the_parsed_number_is_immutable():
    parsed = parse_id_number(SAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.number = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "n"), [("", 0), ("1101051949123100", 16), ("11010519491231002X1", 19)]
)
def test_wrong_length_says_how_many_characters_there_are(value, n):
    error = error_of(value)
    assert error.code == "id_number_length"
    assert english(error) == [f"The ID number must have 18 characters; this one has {n}."]


def test_an_old_15_digit_number_is_recognised():
    error = error_of("110105491231002")
    assert error.code == "id_number_old_format"
    assert english(error) == [
        "This looks like an old 15-digit ID number; enter the 18-digit number on the current "
        "ID card."
    ]


@pytest.mark.parametrize(
    ("value", "position", "char"),
    [
        ("11010519491231A02X", 15, "A"),
        ("1101051949123100X2", 17, "X"),  # X only as the check character
        ("11010519491231002Y", 18, "Y"),
        ("110105-9491231002X", 7, "-"),
    ],
)
def test_a_wrong_character_is_named_with_its_position(value, position, char):
    error = error_of(value)
    assert error.code == "id_number_character"
    assert english(error) == [
        "The ID number can contain only digits, and X as its last character; "
        f"character {position} is “{char}”."
    ]


@pytest.mark.parametrize("province", ["00", "10", "16", "20", "24", "38", "47", "55", "66", "99"])
def test_region_must_start_with_a_province_code(province):
    error = error_of(with_check_char(province + "010519491231002"))
    assert error.code == "id_number_region"
    assert english(error) == [
        f"The ID number starts with {province}, which is not a province code; please check "
        "the first two digits."
    ]


@pytest.mark.parametrize("province", sorted(PROVINCE_CODES))
def test_every_province_code_is_accepted(province):
    number = with_check_char(province + "000019491231002")
    assert parse_id_number(number).region_code == province + "0000"


@pytest.mark.parametrize("region", ["110199", "320999", "440099", "653299"])
def test_a_region_code_that_names_no_division_is_refused(region):
    error = error_of(with_check_char(region + "19800101002"))
    assert error.code == "id_number_region"
    assert english(error) == [
        f"The ID number starts with {region}, which is not an administrative division code "
        "(GB/T 2260); please check the first six digits."
    ]


@pytest.mark.parametrize(
    ("region", "what"),
    [
        ("110105", "北京市朝阳区, in use"),
        ("513229", "四川省马尔康县, 1982-2014 (now 513201 马尔康市)"),
        ("320111", "南京市浦口区"),
        ("370125", "济阳县, until 2018 (now 370115 济阳区)"),
        ("350404", "三明市三元区, created 2021"),
    ],
)
def test_current_historical_and_recent_division_codes_are_accepted(region, what):
    assert parse_id_number(with_check_char(region + "19800101002")).region_code == region


def test_there_are_34_province_codes():
    assert len(PROVINCE_CODES) == 34


@pytest.mark.parametrize(
    ("birth", "shown"),
    [
        ("19990229", "1999-02-29"),  # not a leap year
        ("19000229", "1900-02-29"),  # divisible by 100, not by 400
        ("19901301", "1990-13-01"),
        ("19900000", "1990-00-00"),
        ("19900431", "1990-04-31"),
    ],
)
def test_a_birth_date_that_does_not_exist_is_refused(birth, shown):
    error = error_of(with_check_char(f"110105{birth}001"))
    assert error.code == "id_number_birth_date"
    assert english(error) == [f"The birth date in the ID number ({shown}) is not a valid date."]


@pytest.mark.parametrize("birth", ["20000229", "19960229", "19000101"])
def test_leap_days_and_the_first_day_of_1900_are_accepted(birth):
    assert parse_id_number(with_check_char(f"110105{birth}001")).birth_date.strftime("%Y%m%d") == (
        birth
    )


def test_a_birth_date_before_1900_is_refused():
    error = error_of(with_check_char("11010518991231001"))
    assert english(error) == ["The birth date in the ID number (1899-12-31) is before 1900."]


def test_a_birth_date_in_the_future_is_refused():
    # given
    today = date(2025, 6, 1)
    tomorrow = with_check_char("11010520250602001")
    # when
    error = error_of(tomorrow, today=today)
    # then
    assert error.code == "id_number_birth_date"
    assert english(error) == ["The birth date in the ID number (2025-06-02) is in the future."]
    assert parse_id_number(with_check_char("11010520250601001"), today=today)


def test_the_future_is_judged_against_today_by_default():
    tomorrow = timezone.localdate() + timedelta(days=1)
    error = error_of(with_check_char(f"110105{tomorrow:%Y%m%d}001"))
    assert error.code == "id_number_birth_date"
    assert parse_id_number(with_check_char(f"110105{timezone.localdate():%Y%m%d}001"))


def test_a_wrong_check_character_names_the_mismatch_without_guessing_a_replacement():
    # Most single-character typos are not in the check character: following a hint "should be
    # X" would make another person's valid number.
    error = error_of("110105194912310021")
    assert error.code == "id_number_check_char"
    assert english(error) == [
        "The check character (the last one) does not match the other 17 digits: one of the 18 "
        "characters is mistyped. Compare the whole number with the ID card."
    ]


def test_check_char_of_the_sample():
    assert id_number_check_char(SAMPLE[:17]) == "X"


@pytest.mark.parametrize("bad", ["", "1101051949123100", "110105194912310021", "1101051949123100A"])
def test_check_char_needs_17_digits(bad):
    with pytest.raises(ValueError, match="17 digits"):
        id_number_check_char(bad)


def test_every_check_value_maps_to_its_character():
    # 0-10 remainders give 1 0 X 9 8 7 6 5 4 3 2; find a prefix for each one.
    rng = random.Random(11)
    seen: set[str] = set()
    while len(seen) < 11:
        seen.add(id_number_check_char("".join(rng.choice("0123456789") for _ in range(17))))
    assert seen == set("0123456789X")


def random_person(rng: random.Random) -> dict:
    earliest = date(1900, 1, 1)
    days = (timezone.localdate() - earliest).days
    return {
        "region_code": rng.choice(sorted(division_codes())),
        "birth_date": earliest + timedelta(days=rng.randrange(days + 1)),
        "sequence": rng.randrange(500),
        "gender": rng.choice(["male", "female"]),
    }


def test_made_numbers_parse_back_to_what_made_them():
    rng = random.Random(20240601)
    for _ in range(500):
        person = random_person(rng)
        number = make_id_number(**person)
        parsed = parse_id_number(number)
        assert parsed.number == number
        assert parsed.region_code == person["region_code"]
        assert parsed.birth_date == person["birth_date"]
        assert parsed.gender == person["gender"]


def test_made_numbers_differ_for_each_sequence_and_gender():
    numbers = {
        make_id_number(
            region_code="440305", birth_date=date(1990, 5, 17), sequence=sequence, gender=gender
        )
        for sequence in range(500)
        for gender in ("male", "female")
    }
    assert len(numbers) == 1000


def test_every_single_digit_typo_and_swap_is_caught():
    rng = random.Random(7)
    for _ in range(300):
        number = make_id_number(**random_person(rng))
        position = rng.randrange(17)
        typo = rng.choice([d for d in "0123456789" if d != number[position]])
        with pytest.raises(ValidationError):
            parse_id_number(number[:position] + typo + number[position + 1 :])
        swap = rng.randrange(16)
        if number[swap] != number[swap + 1]:
            swapped = number[:swap] + number[swap + 1] + number[swap] + number[swap + 2 :]
            with pytest.raises(ValidationError):
                parse_id_number(swapped)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"region_code": "11010"}, "6 digits"),
        ({"region_code": "11010a"}, "6 digits"),
        ({"region_code": "990105"}, "not a division code"),
        ({"region_code": "110199"}, "not a division code"),
        ({"sequence": -1}, "0-499"),
        ({"sequence": 500}, "0-499"),
        ({"gender": "unknown"}, "gender"),
        ({"birth_date": date(1899, 12, 31)}, "between"),
        ({"birth_date": date(9999, 1, 1)}, "between"),
    ],
)
def test_make_refuses_what_cannot_be_valid(change, message):
    arguments = {
        "region_code": "110105",
        "birth_date": date(1980, 1, 1),
        "sequence": 1,
        "gender": "male",
    } | change
    with pytest.raises(ValueError, match=message):
        make_id_number(**arguments)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (SAMPLE, "110105********002X"),
        ("11010519491231002x", "110105********002X"),
        (" 110105 19491231 002X ", "110105********002X"),
        ("110105491231002", "110105*****1002"),  # old 15-digit number
        ("1234567890123", "*************"),  # too short to show anything safely
        ("", ""),
    ],
)
def test_masking_keeps_first_six_and_last_four(value, masked):
    assert mask_id_number(value) == masked
