"""The dry run and the import of one batch: stream the file, validate each row with the
archive's own validators, match it against existing customers, and write chunk by chunk.

Each chunk of rows is written in ONE transaction together with its per-row outcomes and the
batch's checkpoint (``processed_rows``): an interrupted import leaves whole chunks only and
continues after the last one. New customers go in as raw batch inserts in the style of
``kehu.demo.customers_load`` (the ORM's per-object work would be far too slow for a million
rows); customers a row matches are updated through the ORM with the services' own writer.
"""

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.selectors import primary_team
from kehu.core.forked import fewer_collections, iterate_in_child
from kehu.dedup.entry import likely_duplicates_report
from kehu.imports.engine.cleaning import (
    KEY_LABELS,
    FileDuplicates,
    PhoneCleaner,
    RowCleaner,
    cell_date,
    date_text,
    key_message,
)
from kehu.imports.engine.matching import match_existing
from kehu.imports.engine.rows import Context, Row
from kehu.imports.engine.writing import report_rows, sqlite_bulk_settings, write_chunk
from kehu.imports.models import ImportBatch, ImportRow
from kehu.imports.readers import Table, batch_path, file_hash
from kehu.search.services import search_pending_flush

__all__ = [
    "KEY_LABELS",
    "NOT_CHECKED",
    "PhoneCleaner",
    "Progress",
    "cell_date",
    "date_text",
    "dry_run",
    "key_message",
    "open_table",
    "run_import",
    "write_chunk",
]

CHUNK_SIZE = 5000
FIRST_CHUNK_SIZE = 500
# From this many rows the file is read and validated in a second process.
PARALLEL_FROM = 20_000
# With the file read in a second process, the share of each chunk's new customers that process
# prepares (``RowCleaner.prepare``: encryption, history texts, search terms); the writer prepares
# the rest before writing. With all of it in the reader the writer waited a third of the time
# (12.2 of 35.3 s for 100,000 rows; bench/RESULTS.md).
READER_PREPARES = 0.5
# From this many rows to write, new customers' search terms go into the index after the last
# chunk, in one sorted pass (``search_pending_flush``), instead of chunk by chunk.
DEFERRED_TERMS_FROM = 20_000
Progress = Callable[[ImportBatch], None]
NOT_CHECKED = gettext_lazy(
    "Run the dry run first: an import starts only over the file and mapping a dry run checked."
)

# --- the passes -------------------------------------------------------------------------------


def _chunks(
    rows: Iterator[tuple[int, list[str], str]], size: int
) -> Iterator[list[tuple[int, list[str], str]]]:
    """Chunks of ``size`` rows, but a small first one: the writer starts on it while the
    reading process prepares the next (a whole first chunk kept it waiting ~1.3 s)."""
    first = FIRST_CHUNK_SIZE
    while chunk := list(islice(rows, min(first, size))):
        yield chunk
        first = size


def _clean_chunks(
    table: Table, cleaner: RowCleaner, start: int, context: Context | None, share: float = 1.0
) -> Iterator[list[Row]]:
    """The rows after the first ``start`` cleaned, chunk by chunk, with the file's duplicates
    marked (the first ``start`` rows are cleaned too, only to know their keys again); with a
    ``context``, the first ``share`` of each chunk's valid rows prepared for writing."""
    duplicates = FileDuplicates()
    rows = table.rows()
    for number, cells, problem in islice(rows, start):
        duplicates.check(cleaner.clean(number, cells, problem))
    for chunk in _chunks(rows, CHUNK_SIZE):
        cleaned = [cleaner.clean(number, cells, problem) for number, cells, problem in chunk]
        for row in cleaned:
            duplicates.check(row)
        if context is not None:
            valid = [row for row in cleaned if row.valid]
            cleaner.prepare(valid[: round(len(valid) * share)], context)
        yield cleaned


def cleaned_chunks(
    table: Table,
    cleaner: RowCleaner,
    start: int,
    *,
    parallel: bool,
    context: Context | None = None,
) -> Iterator[list[Row]]:
    """``_clean_chunks``, in a forked process when ``parallel``: reading and validating the
    file overlaps matching and writing on the other core (as ``demo_load`` overlaps
    generating and writing). With a ``context`` every valid row comes prepared: those the
    reading process left (``READER_PREPARES``) are prepared here."""
    if not parallel:
        yield from _clean_chunks(table, cleaner, start, context)
        return
    for rows in iterate_in_child(
        lambda: _clean_chunks(table, cleaner, start, context, READER_PREPARES),
        what="reading the import file",
    ):
        if context is not None:
            cleaner.prepare([row for row in rows if row.valid and row.new is None], context)
        yield rows


def open_table(batch: ImportBatch) -> Table:
    path = batch_path(batch)
    return Table(path, path.suffix.lower())


def dry_run(batch: ImportBatch, progress: Progress | None = None) -> ImportBatch:
    """Check every row; keep the problems of invalid rows and which customer each duplicate
    row matches; count valid, invalid and existing. Writes nothing to the archive."""
    table = open_table(batch)
    cleaner = RowCleaner(batch.kind, table.headers, batch.mapping)
    ImportRow.objects.filter(batch=batch).delete()
    batch.status = ImportBatch.Status.VALIDATING
    batch.total_rows = lines = table.count_lines()
    batch.checked_rows = batch.valid_rows = batch.invalid_rows = batch.duplicate_rows = 0
    batch.checked_hash = batch.reading_note = ""
    batch.save()
    parallel = batch.total_rows >= PARALLEL_FROM
    with fewer_collections():
        for rows in cleaned_chunks(table, cleaner, 0, parallel=parallel):
            _check_chunk(batch, rows)
            if progress:
                progress(batch)
    return batch_validated(batch, table, lines)


def _check_chunk(batch: ImportBatch, rows: list[Row]) -> None:
    """Match a chunk of the dry run against the archive and keep its report rows."""
    match_existing(batch.kind, [r for r in rows if r.valid])
    report: list[tuple[int, str, int | None, list[Any]]] = []
    for row in rows:
        if not row.valid:
            report.append((row.number, ImportRow.Outcome.INVALID, None, row.problems))
        elif row.customer_id is not None:
            report.append((row.number, ImportRow.Outcome.EXISTING, row.customer_id, []))
    report += likely_duplicates_report(batch.kind, rows)
    with transaction.atomic():
        report_rows(batch, report)
        batch.checked_rows += len(rows)
        batch.invalid_rows += sum(1 for r in rows if not r.valid)
        batch.valid_rows += sum(1 for r in rows if r.valid)
        batch.duplicate_rows += sum(1 for r in rows if r.valid and r.customer_id)
        batch.save()


def run_import(batch: ImportBatch, progress: Progress | None = None) -> ImportBatch:
    """Import the valid rows, continuing after the checkpoint if an earlier run stopped."""
    if batch.status in {ImportBatch.Status.DONE, ImportBatch.Status.UNDONE}:
        return batch
    table = open_table(batch)
    if not batch.checked_hash or file_hash(table.path) != batch.checked_hash:
        raise ValidationError(NOT_CHECKED)
    cleaner = RowCleaner(batch.kind, table.headers, batch.mapping)
    start = batch_import_started(batch, table)
    team = primary_team(user=batch.owner) if batch.owner else None
    context = Context(
        batch=batch,
        user=batch.created_by,
        channel=batch.channel,
        owner=batch.owner,
        team_id=team.pk if team else None,
        now=timezone.now(),
        note=_("Import #%(id)s: %(file)s") % {"id": batch.pk, "file": batch.original_name},
        specs=cleaner.specs,
        defer_terms=(batch.total_rows or 0) - start >= DEFERRED_TERMS_FROM,
    )
    parallel = (batch.total_rows or 0) - start >= PARALLEL_FROM
    with fewer_collections(), sqlite_bulk_settings():
        try:
            for rows in cleaned_chunks(table, cleaner, start, parallel=parallel, context=context):
                write_chunk(context, rows)
                if progress:
                    progress(batch)
        finally:
            # Also when the import stops with an error: the customers of the chunks written
            # are searchable. (After a kill, the resumed run's flush moves them.)
            search_pending_flush()
    batch.status = ImportBatch.Status.DONE
    batch.total_rows = batch.processed_rows
    batch.finished_at = timezone.now()
    batch.save()
    return batch


def batch_validated(batch: ImportBatch, table: Table, lines: int) -> ImportBatch:
    """End a dry run: the rows checked are the batch's rows, with a note when the file's line
    count disagrees (a quote left open swallows the lines after it); the file's hash pins what
    was checked, so a different file cannot be imported on the strength of this dry run."""
    batch.total_rows = batch.checked_rows
    if lines != batch.checked_rows:
        batch.reading_note = _(
            "The file has %(lines)s lines after the header but %(rows)s rows: values in quotes "
            "run over several lines. Check that no quote is missing."
        ) % {"lines": lines, "rows": batch.checked_rows}
    batch.checked_hash = file_hash(table.path)
    batch.status = ImportBatch.Status.VALIDATED
    batch.save()
    return batch


def batch_import_started(batch: ImportBatch, table: Table) -> int:
    """Start (or resume) writing a checked batch: a fresh start forgets an earlier attempt's
    report rows and counts; returns the row to continue from (the checkpoint)."""
    start = batch.processed_rows
    if start == 0:
        ImportRow.objects.filter(batch=batch).delete()
        batch.created_count = batch.updated_count = batch.skipped_count = 0
        batch.invalid_rows = 0
        batch.total_rows = batch.total_rows or table.count_lines()
    batch.status = ImportBatch.Status.IMPORTING
    batch.error = ""
    batch.save()
    return start
