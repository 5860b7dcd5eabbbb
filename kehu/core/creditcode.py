"""Unified social credit codes (统一社会信用代码, GB 32100-2015): check, build.

A code is 18 characters: the registering authority (1), the kind of organisation (1), the
6-digit region code of the registering office, the 9-character organisation code (组织机构代码,
GB 11714, with its own check character) and a check character computed modulo 31.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LENGTH = 18

# The letters I, O, S, V and Z are left out so they can't be mistaken for 1, 0, 5, U and 2.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {char: value for value, char in enumerate(CHARSET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 11714 organisation codes: 8 characters (digits or capital letters, A = 10 … Z = 35)
# and a check character modulo 11, X standing for 10.
_ORGANISATION_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# make_credit_code numbers organisations as newly registered ones are: "MA" and 6 characters.
_ORGANISATION_PREFIX = "MA"
_SEQUENCE_DIGITS = 6


def credit_code_check_char(first17: str) -> str:
    """The check character (from ``CHARSET``) for the first 17 characters of a credit code."""
    if len(first17) != LENGTH - 1 or any(char not in _VALUES for char in first17):
        raise ValueError(f"expected 17 characters from {CHARSET}, got {first17!r}")
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[-total % 31]


def organisation_code_check_char(first8: str) -> str:
    """The GB 11714 check character ("0"-"9" or "X") for an organisation code's first 8."""
    if len(first8) != 8 or any(char not in _ORGANISATION_CHARS for char in first8):
        raise ValueError(f"expected 8 digits or capital letters, got {first8!r}")
    total = sum(
        int(char, 36) * weight for char, weight in zip(first8, _ORGANISATION_WEIGHTS, strict=True)
    )
    check = -total % 11
    return "X" if check == 10 else str(check)


def normalize_credit_code(value: str) -> str:
    """The value with full-width characters folded, whitespace removed and letters upper case."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def validate_credit_code(value: str) -> str:
    """The normalised code; raise ``ValidationError`` naming the problem when it is not valid."""
    code = normalize_credit_code(value)
    if len(code) != LENGTH:
        raise ValidationError(
            _("The credit code must have 18 characters; this one has %(n)s."),
            code="credit_code_length",
            params={"n": len(code)},
        )
    for position, char in enumerate(code, start=1):
        if char not in _VALUES:
            raise ValidationError(
                _(
                    "Character %(position)s of the credit code, “%(char)s”, is not allowed: a "
                    "credit code has only digits and capital letters other than I, O, S, V "
                    "and Z."
                ),
                code="credit_code_character",
                params={"position": position, "char": char},
            )
    # No "should be X": the typo is more often elsewhere (see ``parse_id_number``).
    if code[17] != credit_code_check_char(code[:17]):
        raise ValidationError(
            _(
                "The last character of the credit code does not match the other 17: one of the "
                "18 characters is mistyped. Compare the whole code with the business licence."
            ),
            code="credit_code_check_char",
        )
    return code


def make_credit_code(*, region_code: str, sequence: int) -> str:
    """A valid code of a company (registered by market regulation, 91…) in ``region_code``.

    ``sequence`` (0 to 31**6 - 1) numbers the company's organisation code, MA followed by six
    characters. Raises ``ValueError`` for arguments that cannot make a valid code.
    """
    if len(region_code) != 6 or not region_code.isascii() or not region_code.isdigit():
        raise ValueError(f"region_code must be 6 digits, got {region_code!r}")
    if not 0 <= sequence < len(CHARSET) ** _SEQUENCE_DIGITS:
        raise ValueError(f"sequence must be in 0 to 31**6 - 1, got {sequence}")
    chars = []
    for _position in range(_SEQUENCE_DIGITS):
        sequence, value = divmod(sequence, len(CHARSET))
        chars.append(CHARSET[value])
    organisation = _ORGANISATION_PREFIX + "".join(reversed(chars))
    organisation += organisation_code_check_char(organisation)
    first17 = f"91{region_code}{organisation}"
    return first17 + credit_code_check_char(first17)
