"""Writing rows to CSV or XLSX, streamed, with spreadsheet formula injection neutralised.

A cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) would
be read as a formula by Excel, WPS or LibreOffice; such text gets a leading ``'`` in both
formats, so it is shown as the text it is.
"""

import csv
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The value safe for a spreadsheet cell: numbers as they are, text never a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def write_csv(path: Path, header: list[str], rows: Iterable[list[Any]]) -> int:
    """Write UTF-8 with a byte-order mark (so Excel in Chinese opens it); return the rows."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([neutralise(h) for h in header])
        for row in rows:
            writer.writerow([neutralise(v) for v in row])
            count += 1
    return count


def _xlsx_cell(value: Any) -> Any:
    value = neutralise(value)
    # Control characters other than tab and newlines are not allowed in XLSX XML.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _text_cell(sheet: Any, value: Any) -> Cell:
    """A cell holding text in the text format ("@"), so a spreadsheet keeps it text even when
    someone edits it (a phone or ID number never turns into a number)."""
    value = _xlsx_cell(value)
    cell = WriteOnlyCell(sheet, value=value if isinstance(value, str) else str(value))
    cell.number_format = "@"
    return cell


def write_xlsx(
    path: Path,
    header: list[str],
    rows: Iterable[list[Any]],
    title: str,
    text_columns: Collection[int] = (),
) -> int:
    """Write one sheet in openpyxl's write-only mode (rows go to disk as they come); the
    columns at the indexes ``text_columns`` are text cells."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "Sheet1")
    sheet.append([_xlsx_cell(h) for h in header])
    text = frozenset(text_columns)
    count = 0
    for row in rows:
        if text:
            sheet.append(
                [_text_cell(sheet, v) if i in text else _xlsx_cell(v) for i, v in enumerate(row)]
            )
        else:
            sheet.append([_xlsx_cell(v) for v in row])
        count += 1
    book.save(path)
    return count
