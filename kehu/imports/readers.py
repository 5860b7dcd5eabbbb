"""Reading uploaded tables row by row, never the whole file at once.

CSV: UTF-8, UTF-8 with BOM or GBK/GB18030 (what Chinese Excel writes), comma, semicolon or tab
separated. XLSX: openpyxl in read-only mode. Every cell comes out as stripped text.
"""

import codecs
import csv
import hashlib
import zipfile
from collections import deque
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kehu.imports.safety import xlsx_check

SAMPLE_BYTES = 64 * 1024
READ_BYTES = 1 << 20
# Control bytes (not tab, line feed, carriage return): more than 1 % of them and the file is
# not text (binary, or UTF-16); a few are a text cell's problem (``kehu.core.text``).
BINARY_BYTES = (*range(0x09), *range(0x0E, 0x20))
BINARY_SHARE = 0.01
# Lead bytes of multi-byte UTF-8 characters; this many before a decoding error: a UTF-8 file.
UTF8_LEADS = range(0xC2, 0xF5)
SURE_UTF8 = 8
# A quoted value may run over at most this many lines (a stray quote would swallow the rest).
MAX_RECORD_LINES = 200
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


def _decode_failure(path: Path, encoding: str) -> tuple[int, int, int] | None:
    """None when the whole file decodes strictly in ``encoding``; else where it stops: the line
    and the byte (both from 1), and how many multi-byte characters decoded before it (up to
    ``SURE_UTF8``)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    fed = lines = wide = 0
    with path.open("rb") as raw:
        while True:
            chunk = raw.read(READ_BYTES)
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                good = data[: exc.start]
                wide += sum(good.count(bytes([lead])) for lead in UTF8_LEADS)
                offset = fed - len(pending) + exc.start
                return lines + good.count(b"\n") + 1, offset + 1, min(wide, SURE_UTF8)
            if not chunk:
                return None
            if wide < SURE_UTF8 and not chunk.isascii():
                wide += sum(chunk.count(bytes([lead])) for lead in UTF8_LEADS)
            lines += chunk.count(b"\n")
            fed += len(chunk)


def detect_encoding(path: Path) -> str:
    """The encoding the WHOLE file decodes in, strictly: UTF-8 (with or without BOM), else
    GB18030 (a superset of GBK and GB2312). ValidationError with the line and byte where the
    file cannot be read: a file in no one encoding is never imported half-read."""
    with path.open("rb") as raw:
        bom = raw.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    failure = _decode_failure(path, "utf-8-sig" if bom else "utf-8")
    if failure is None:
        return "utf-8-sig" if bom else "utf-8"
    # Several multi-byte UTF-8 characters before the failure: a UTF-8 file with a damaged or
    # foreign part (GBK text passes as UTF-8 for a character or two at most), not a GBK file.
    if not bom and failure[2] < SURE_UTF8:
        gb_failure = _decode_failure(path, "gb18030")
        if gb_failure is None:
            return "gb18030"
        failure = gb_failure
    line, byte, _wide = failure
    raise ValidationError(
        _(
            "The file's characters cannot be read at line %(line)s (byte %(byte)s): it mixes "
            "encodings or is damaged. Save it as CSV (UTF-8) or XLSX."
        )
        % {"line": line, "byte": byte}
    )


def file_hash(path: Path) -> str:
    """The SHA-256 of a stored file, as ``content_hash`` holds it."""
    digest = hashlib.sha256()
    with path.open("rb") as raw:
        while chunk := raw.read(READ_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


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


class _Unclosed(Exception):
    """A quoted value ran over ``MAX_RECORD_LINES`` lines."""


class _Lines:
    """The file's physical lines for ``csv.reader``, keeping the lines of the record being
    read: where each record starts, and a failed record's lines (but its first) read again."""

    def __init__(self, handle: IO[str]) -> None:
        self.source = iter(handle)
        self.pending: deque[str] = deque()
        self.record: list[str] = []
        self.start = 1

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        if len(self.record) >= MAX_RECORD_LINES:
            raise _Unclosed
        line = self.pending.popleft() if self.pending else next(self.source)
        self.record.append(line)
        return line

    def done(self) -> int:
        """The line the record just read starts on."""
        start = self.start
        self.start += len(self.record)
        self.record = []
        return start

    def failed(self) -> int:
        """The line the failed record starts on; its other lines will be read again."""
        start = self.start
        self.pending.extendleft(reversed(self.record[1:]))
        self.start += 1
        self.record = []
        return start


def _holds_rows(cells: list[str], delimiter: str, width: int) -> bool:
    """Whether a value over several lines holds lines that look like whole rows of the file
    (as many delimiters as the header): a stray quote swallowed them."""
    least = max(1, width - 1)
    return any(
        line.count(delimiter) >= least
        for cell in cells
        if "\n" in cell or "\r" in cell
        for line in cell.splitlines()[1:]
    )


def _quote_problem(line: int) -> str:
    return _(
        'Line %(line)s of the file: a quote (") opens a value that is not closed where CSV '
        'allows it. Quote the whole value and double the quotes inside it ("").'
    ) % {"line": line}


def _csv_records(
    path: Path, encoding: str, delimiter: str, width: int = 0
) -> Iterator[tuple[int, list[str], str]]:
    """(first line, cells, problem) of each record. A record csv cannot read strictly (a
    stray quote), or one whose value over several lines holds whole rows, is a problem on
    its first line, and reading goes on at the next line: no row is merged into another."""
    with path.open("r", encoding=encoding, newline="") as handle:
        lines = _Lines(handle)
        while True:
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            try:
                for cells in reader:
                    if len(lines.record) > 1 and width and _holds_rows(cells, delimiter, width):
                        number = lines.failed()
                        yield number, [], _quote_problem(number)
                    else:
                        yield lines.done(), [cell.strip() for cell in cells], ""
                return
            except (csv.Error, _Unclosed):
                number = lines.failed()
                yield number, [], _quote_problem(number)


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
    """The header and the data rows of a file. ``rows()`` yields (row number, cells, problem)
    with the row number as people see it in a spreadsheet (the header is row 1 when it is the
    first) and the problem of a row the file's shape makes unreadable ("" when none)."""

    def __init__(self, path: Path, extension: str) -> None:
        self.path, self.extension = path, extension
        self.encoding = self.delimiter = ""
        if extension != ".xlsx":
            with path.open("rb") as raw:
                sample = raw.read(SAMPLE_BYTES)
            controls = sum(sample.count(bytes([b])) for b in BINARY_BYTES)
            if controls > len(sample) * BINARY_SHARE:
                raise ValidationError(
                    _("This is not a text table: save it as CSV (UTF-8) or XLSX.")
                )
            self.encoding = detect_encoding(path)
            self.delimiter = detect_delimiter(sample.decode(self.encoding, errors="ignore"))
        self.headers: list[str] = []
        self.header_row = 0
        for number, (_line, cells, problem) in enumerate(self._records(0), start=1):
            if problem:
                raise ValidationError(problem)  # the header itself cannot be read
            if any(cells):
                self.headers = _unique_headers(cells)
                self.header_row = number
                break
        if not self.headers:
            raise ValidationError(_("The file is empty: it has no rows."))

    def _records(self, width: int) -> Iterator[tuple[int, list[str], str]]:
        if self.extension == ".xlsx":
            return ((0, cells, "") for cells in _xlsx_rows(self.path))
        return _csv_records(self.path, self.encoding, self.delimiter, width)

    def rows(self, start: int = 0) -> Iterator[tuple[int, list[str], str]]:
        """Data rows after the header, skipping empty ones; the first ``start`` are skipped.
        A CSV row with more or fewer cells than the header has a problem, never a shift; an
        XLSX row may be shorter (its empty cells at the end are not stored)."""
        width = len(self.headers)
        seen = 0
        for number, (line, cells, problem) in enumerate(self._records(width), start=1):
            if number <= self.header_row or not (problem or any(cells)):
                continue
            seen += 1
            if seen <= start:
                continue
            if problem:
                yield number, [""] * width, problem
            elif len(cells) == width:
                yield number, cells, ""
            elif self.extension == ".xlsx" and not any(cells[width:]):
                yield number, (cells + [""] * (width - len(cells)))[:width], ""
            else:
                yield number, [""] * width, self._shape_problem(line, len(cells), width)

    def _shape_problem(self, line: int, cells: int, width: int) -> str:
        values = {"cells": cells, "columns": width, "line": line}
        if self.extension == ".xlsx":
            return _("This row has values in %(cells)s cells but the header has only "
                     "%(columns)s columns: give every value a column name.") % values  # fmt: skip
        return (
            _(
                "Line %(line)s of the file has %(cells)s cells but the header has %(columns)s "
                "columns: a value holding the separator must be quoted, and no cell may be missing."
            )
            % values
        )

    def count_lines(self) -> int:
        """How many non-empty lines the file has after the header (for a CSV: compared with
        the rows read, it tells of values over several lines); for an XLSX its rows."""
        if self.extension == ".xlsx":
            return sum(1 for _row in self.rows())
        lines = 0
        with self.path.open("rb") as handle:
            for line in handle:
                lines += bool(line.strip(b" \t\r\n,;"))  # empty rows are no rows
        return max(0, lines - self.header_row)


def batch_path(batch: Any) -> Path:  # an ImportBatch
    """Where an import batch's uploaded file is kept (under the data directory)."""
    return Path(settings.DATA_DIR) / str(batch.file_path)
