"""Plain text as people type it: no control characters (a NUL, a bell, an escape) in any text,
and no line breaks in a single-line value such as a name."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# C0 controls but tab, line feed and carriage return; DEL; C1 controls; Unicode line and
# paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile("[\n\r\u2028\u2029]")
_NOT_PLAIN_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


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
