"""Chinese resident ID numbers (居民身份证号码, GB 11643-1999): parse, check, build, mask.

An ID number is 18 characters: a 6-digit region code (the adcode of the place of first
registration), the birth date as YYYYMMDD, a 3-digit sequence code whose last digit is odd for
men and even for women, and a MOD 11-2 check character (a digit or X).
"""

import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from operator import mul
from pathlib import Path
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

Gender = Literal["male", "female"]

LENGTH = 18
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# First two digits of the region code: the 34 province-level divisions (GB/T 2260), including
# Taiwan (71), Hong Kong (81) and Macao (82).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82".split()
)


@cache
def division_codes() -> frozenset[str]:
    """Every administrative division code (GB/T 2260) in use since 1980, current and
    historical: an older ID number keeps the code of a county renamed or merged since.
    From ``data/divisions.tsv`` (its sources: ``scripts/build_divisions.py``)."""
    text = (Path(__file__).parent / "data" / "divisions.tsv").read_text(encoding="utf-8")
    return frozenset(line[:6] for line in text.splitlines() if line[:1].isdigit())


# ISO 7064 MOD 11-2: the weight of position i (from the left, 0-based) is 2**(17 - i) mod 11.
_WEIGHTS = tuple(2 ** (LENGTH - 1 - i) % 11 for i in range(LENGTH - 1))
_CHECK_CHARS = "10X98765432"


@dataclass(frozen=True, slots=True)
class IdNumber:
    number: str
    region_code: str
    birth_date: date
    gender: Gender


def id_number_check_char(first17: str) -> str:
    """The MOD 11-2 check character ("0"-"9" or "X") for the first 17 digits of an ID number."""
    if len(first17) != LENGTH - 1 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(map(mul, map(int, first17), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    """The value with full-width characters folded, whitespace removed and x made upper case."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def parse_id_number(value: str, *, today: date | None = None) -> IdNumber:
    """Check an ID number and return its parts; raise ``ValidationError`` naming the problem.

    ``today`` (default: today in the current time zone) bounds the birth date.
    """
    number = normalize_id_number(value)
    if len(number) == 15 and number.isascii() and number.isdigit():
        raise ValidationError(
            _(
                "This looks like an old 15-digit ID number; enter the 18-digit number on the "
                "current ID card."
            ),
            code="id_number_old_format",
        )
    if len(number) != LENGTH:
        raise ValidationError(
            _("The ID number must have 18 characters; this one has %(n)s."),
            code="id_number_length",
            params={"n": len(number)},
        )
    well_formed = number.isascii() and number[:-1].isdigit() and number[-1] in "0123456789X"
    if not well_formed:  # name the first character that is not allowed
        for position, char in enumerate(number, start=1):
            allowed = "0123456789X" if position == LENGTH else "0123456789"
            if char not in allowed:
                raise ValidationError(
                    _(
                        "The ID number can contain only digits, and X as its last character; "
                        "character %(position)s is “%(char)s”."
                    ),
                    code="id_number_character",
                    params={"position": position, "char": char},
                )

    province = number[:2]
    if province not in PROVINCE_CODES:
        raise ValidationError(
            _(
                "The ID number starts with %(code)s, which is not a province code; please "
                "check the first two digits."
            ),
            code="id_number_region",
            params={"code": province},
        )
    if number[:6] not in division_codes():
        raise ValidationError(
            _(
                "The ID number starts with %(code)s, which is not an administrative division "
                "code (GB/T 2260); please check the first six digits."
            ),
            code="id_number_region",
            params={"code": number[:6]},
        )

    digits = number[6:14]
    shown = f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    try:
        birth_date = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise ValidationError(
            _("The birth date in the ID number (%(date)s) is not a valid date."),
            code="id_number_birth_date",
            params={"date": shown},
        ) from None
    if birth_date < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            _("The birth date in the ID number (%(date)s) is before 1900."),
            code="id_number_birth_date",
            params={"date": shown},
        )
    if birth_date > (today or timezone.localdate()):
        raise ValidationError(
            _("The birth date in the ID number (%(date)s) is in the future."),
            code="id_number_birth_date",
            params={"date": shown},
        )

    # No "should be X": most typos are in the other 17 characters, and the replacement the
    # check character asks for would make another valid number (someone else's).
    if number[17] != id_number_check_char(number[:17]):
        raise ValidationError(
            _(
                "The check character (the last one) does not match the other 17 digits: one of "
                "the 18 characters is mistyped. Compare the whole number with the ID card."
            ),
            code="id_number_check_char",
        )

    return IdNumber(
        number=number,
        region_code=number[:6],
        birth_date=birth_date,
        gender="male" if int(number[16]) % 2 else "female",
    )


def make_id_number(*, region_code: str, birth_date: date, sequence: int, gender: str) -> str:
    """A valid ID number: the ``sequence``-th (0-499) man or woman registered that day there.

    Raises ``ValueError`` for arguments that cannot make a valid number.
    """
    if len(region_code) != 6 or not region_code.isascii() or not region_code.isdigit():
        raise ValueError(f"region_code must be 6 digits, got {region_code!r}")
    if region_code not in division_codes():
        raise ValueError(f"region_code {region_code!r} is not a division code")
    if not 0 <= sequence < 500:
        raise ValueError(f"sequence must be in 0-499, got {sequence}")
    if gender not in ("male", "female"):
        raise ValueError(f"gender must be 'male' or 'female', got {gender!r}")
    if not EARLIEST_BIRTH_DATE <= birth_date <= timezone.localdate():
        raise ValueError(f"birth_date must be between 1900-01-01 and today, got {birth_date}")
    sequence_code = sequence * 2 + (1 if gender == "male" else 0)
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence_code:03d}"
    return first17 + id_number_check_char(first17)


def mask_id_number(value: str) -> str:
    """The number with all but its first 6 and last 4 characters starred: 110105********1234.

    Values too short to keep 10 characters visible safely are starred completely.
    """
    number = normalize_id_number(value)
    if len(number) < 14:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
