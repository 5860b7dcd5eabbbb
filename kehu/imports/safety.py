"""Refusing XLSX files that would exhaust memory when opened (decompression bombs).

An XLSX file is a zip archive. openpyxl streams the worksheets in read-only mode but holds the
shared strings and the other parts in memory, so a small file whose shared-strings part inflates
to hundreds of megabytes takes a worker's memory. Before a file is opened, the size every part
declares is checked (Python's zipfile never inflates a part past its declared size, so the
declaration binds), and so is the compression ratio of every large part.
"""

import zipfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MB = 1024 * 1024
# Worksheets are streamed row by row: large is slow, not dangerous.
SHEET_MAX = 1024 * MB
# Shared strings are held in memory whole (openpyxl keeps them as a list of Python strings,
# several times their XML size).
SHARED_STRINGS_MAX = 64 * MB
# Workbook, styles, relationships, themes: small in any real file.
OTHER_PART_MAX = 16 * MB
TOTAL_MAX = 2048 * MB
# Real spreadsheets compress 5-30 times; a bomb thousands of times.
RATIO_MAX = 100
RATIO_FROM = 1 * MB  # tiny parts (e.g. a sheet of one repeated cell) may compress better


def _part_limit(name: str) -> int:
    if name.startswith("xl/worksheets/"):
        return SHEET_MAX
    if name == "xl/sharedStrings.xml":
        return SHARED_STRINGS_MAX
    return OTHER_PART_MAX


def xlsx_check(path: Path) -> None:
    """Raise ValidationError when the XLSX at ``path`` is not a zip archive or would inflate
    beyond the limits above."""
    too_big = _("This XLSX file would take too much memory to open (%(part)s): save it as CSV.")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ValidationError(_("This is not a readable XLSX file.")) from None
    total = 0
    for part in parts:
        total += part.file_size
        ratio = part.file_size / max(part.compress_size, 1)
        if (
            part.file_size > _part_limit(part.filename)
            or (part.file_size > RATIO_FROM and ratio > RATIO_MAX)
            or total > TOTAL_MAX
        ):
            raise ValidationError(too_big % {"part": part.filename})
