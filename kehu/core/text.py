"""Plain text as people type it: no control characters (a NUL, a bell, an escape) in any text,
no line breaks in a single-line value, and in names nothing invisible either.

A name is one line of visible text. Zero-width characters and the Unicode bidirectional
controls (e.g. RLO, which shows "\u202etxt.exe" as "exe.txt") would make a name print
differently from what it is, break exports and logs, or hide one name inside another. Names
are checked by ``validate_name_text`` wherever they are cleaned (form, API, importer: all go
through ``kehu.customers.values``); every imported cell by ``validate_plain_text``."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# C0 controls but tab, line feed and carriage return; DEL; C1 controls; Unicode line and
# paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile("[\n\r\u2028\u2029]")
_NOT_PLAIN_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def visible_controls(value: str) -> str:
    """``value`` with each control character shown as its picture ("李\\x00娜" → "李␀娜"), for
    echoing refused input back to people; and storable anywhere (PostgreSQL's text and JSON
    refuse NUL)."""
    return _CONTROL.sub(_picture, value)


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else "\ufffd"


def is_plain_line(value: str) -> bool:
    """Whether ``value`` passes ``validate_plain_text`` even as a single-line value (one scan:
    a fast check of many values joined by tabs)."""
    return _NOT_PLAIN_LINE.search(value) is None


def validate_plain_text(value: str, *, multiline: bool) -> str:
    """``value`` unchanged, or ValidationError when it holds a control character (other than
    tab and, when ``multiline``, line breaks) or a line break in a single-line value."""
    if not multiline and _LINE_BREAK.search(value):
        raise ValidationError(
            _("A line break is not allowed here: put the value on one line."), code="line_break"
        )
    match = _CONTROL.search(value)
    if match:
        raise ValidationError(
            _("The text holds a control character (U+%(code)04X): remove it.")
            % {"code": ord(match[0])},
            code="control_character",
        )
    return value


# C0 and C1 controls, zero-width and joiner characters, bidirectional marks, embeddings,
# overrides and isolates, word joiner and invisible operators, the byte-order mark.
_NOT_IN_NAMES = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def validate_name_text(value: str) -> None:
    """Raise ValidationError naming the first control or invisible character in ``value``."""
    found = _NOT_IN_NAMES.search(value)
    if found:
        raise ValidationError(
            _("Remove the invisible or control character U+%(code)04X from the name.")
            % {"code": ord(found.group())},
            code="control_character",
        )
