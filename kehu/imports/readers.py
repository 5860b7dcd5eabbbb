"""Reading uploaded tables row by row, never the whole file at once.

CSV: UTF-8, UTF-8 with BOM or GBK/GB18030 (what Chinese Excel writes), comma, semicolon or tab
separated. XLSX: openpyxl in read-only mode. Every cell comes out as stripped text.
"""

import codecs
import csv
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.imports.safety import xlsx_check

SAMPLE_BYTES = 64 * 1024
EXTENSIONS = (".csv", ".txt", ".xlsx")


def file_extension(name: str) -> str:
    """The lower-case extension of an uploaded name, or ValidationError when not supported."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise ValidationError(
            _("Old Excel files (.xls) cannot be read: save the file as XLSX or CSV.")
        )
    if suffix not in EXTENSIONS:
        raise ValidationError(_("Upload a CSV or XLSX file."))
    return ".csv" if suffix == ".txt" else suffix


def detect_encoding(sample: bytes) -> str:
    """utf-8-sig when the file starts with a BOM, utf-8 when the sample decodes strictly as
    UTF-8, else gb18030 (a superset of GBK and GB2312)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def detect_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in (",", ";", "\t")}
        return max(counts, key=lambda d: counts[d]) if max(counts.values()) else ","


def cell_text(value: Any) -> str:
    """A cell as text: numbers Excel stored as floats lose their ``.0``, dates are ISO."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal | int):
        return str(value)
    return str(value).strip()


def _csv_rows(path: Path) -> Iterator[list[str]]:
    with path.open("rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
    if b"\x00" in sample:
        raise ValidationError(_("This is not a text table: save it as CSV (UTF-8) or XLSX."))
    encoding = detect_encoding(sample)
    text_sample = sample.decode(encoding, errors="ignore")
    delimiter = detect_delimiter(text_sample)
    with path.open("r", encoding=encoding, newline="") as handle:
        try:
            for row in csv.reader(handle, delimiter=delimiter):
                yield [cell.strip() for cell in row]
        except UnicodeDecodeError:
            raise ValidationError(
                _("The file's characters cannot be read: save it as CSV (UTF-8) or XLSX.")
            ) from None
        except csv.Error as exc:
            raise ValidationError(
                _("The CSV file is malformed: %(error)s") % {"error": exc}
            ) from None


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    xlsx_check(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ValidationError(_("This is not a readable XLSX file.")) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [cell_text(value) for value in row]
    finally:
        workbook.close()


def raw_rows(path: Path, extension: str) -> Iterator[list[str]]:
    return _xlsx_rows(path) if extension == ".xlsx" else _csv_rows(path)


def _unique_headers(cells: list[str]) -> list[str]:
    headers: list[str] = []
    for index, cell in enumerate(cells, start=1):
        name = cell or _("Column %(n)s") % {"n": index}
        candidate, n = name, 2
        while candidate in headers:
            candidate, n = f"{name} ({n})", n + 1
        headers.append(candidate)
    return headers


class Table:
    """The header and the data rows of a file. ``rows()`` yields (row number, cells) with the
    row number as people see it in a spreadsheet (the header is row 1 when it is the first)."""

    def __init__(self, path: Path, extension: str) -> None:
        self.path, self.extension = path, extension
        self.headers: list[str] = []
        self.header_row = 0
        for number, cells in enumerate(raw_rows(path, extension), start=1):
            if any(cells):
                self.headers = _unique_headers(cells)
                self.header_row = number
                break
        if not self.headers:
            raise ValidationError(_("The file is empty: it has no rows."))

    def rows(self, start: int = 0) -> Iterator[tuple[int, list[str]]]:
        """Data rows after the header, skipping empty ones; the first ``start`` are skipped."""
        width = len(self.headers)
        seen = 0
        for number, cells in enumerate(raw_rows(self.path, self.extension), start=1):
            if number <= self.header_row or not any(cells):
                continue
            seen += 1
            if seen <= start:
                continue
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield number, cells[:width]

    def count_rows(self) -> int:
        """How many data rows (for the progress bar); for a CSV a fast count of lines."""
        if self.extension == ".xlsx":
            return sum(1 for _row in self.rows())
        lines = 0
        last = b"\n"
        with self.path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        if last != b"\n":
            lines += 1
        return max(0, lines - self.header_row)
