"""Characters that have no place in a name: control, invisible and direction-changing ones.

A name is one line of visible text. NUL, ESC and other control characters (including CR and
LF), zero-width characters and the Unicode bidirectional controls (e.g. RLO, which shows
"‮txt.exe" as "exe.txt") would make a name print differently from what it is, break exports and
logs, or hide one name inside another. The importer checks its cells with the same validator.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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
