"""Reads of imports: batches, saved mappings, the per-row report (and its XLSX form)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import User
from kehu.core.access import require_archive_admin
from kehu.imports.mapping import CONTACT_FIELDS, import_specs
from kehu.imports.models import ImportBatch, ImportMapping, ImportRow

IMPORTS_REFUSED = gettext_lazy("Only archive administrators may import customers.")


def _imports_of_same_file() -> QuerySet[ImportBatch]:
    return ImportBatch.objects.filter(status=ImportBatch.Status.DONE).exclude(content_hash="")


def import_batches(*, user: User) -> QuerySet[ImportBatch]:
    """Batches, newest first; each with ``earlier_import_pk``: see ``earlier_import``."""
    require_archive_admin(user, IMPORTS_REFUSED)
    earlier = (
        _imports_of_same_file()
        .filter(content_hash=OuterRef("content_hash"))
        .exclude(pk=OuterRef("pk"))
        .order_by("-id")
        .values("pk")[:1]
    )
    return (
        ImportBatch.objects.select_related("channel", "owner", "created_by")
        .annotate(earlier_import_pk=Subquery(earlier))
        .order_by("-id")
    )


def import_batch_get(*, user: User, batch_id: int) -> ImportBatch:
    batch = import_batches(user=user).filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    return batch


def earlier_import(*, user: User, batch: ImportBatch) -> ImportBatch | None:
    """The latest other batch of the same file content that is imported (and not undone):
    uploading a file again is allowed, but the user is told."""
    require_archive_admin(user, IMPORTS_REFUSED)
    if not batch.content_hash:
        return None
    return (
        _imports_of_same_file()
        .filter(content_hash=batch.content_hash)
        .exclude(pk=batch.pk)
        .order_by("-id")
        .first()
    )


def import_mappings(*, user: User) -> QuerySet[ImportMapping]:
    require_archive_admin(user, IMPORTS_REFUSED)
    return ImportMapping.objects.order_by("-id")


def import_mapping_get(*, user: User, mapping_id: int) -> ImportMapping:
    mapping = import_mappings(user=user).filter(pk=mapping_id).first()
    if mapping is None:
        raise Http404
    return mapping


def import_report(
    *, user: User, batch: ImportBatch, outcome: str | None = None
) -> QuerySet[ImportRow]:
    """The batch's row outcomes in row order (after a dry run: its invalid and matching rows;
    after the import: every row)."""
    require_archive_admin(user, IMPORTS_REFUSED)
    rows = ImportRow.objects.filter(batch=batch)
    if outcome:
        rows = rows.filter(outcome=outcome)
    return rows.order_by("row_number", "id")


def field_labels(kind: str) -> dict[str, str]:
    labels = {code: str(spec.label) for code, spec in import_specs(kind).items()}
    labels.update({code: str(label) for code, label in CONTACT_FIELDS.items()})
    return labels


def report_lines(batch: ImportBatch, rows: QuerySet[ImportRow]) -> Iterator[list[Any]]:
    """One line per problem (or per row without problems): row, outcome, customer, field,
    problem, value (sensitive values were masked when the report was written)."""
    labels = field_labels(batch.kind)
    outcomes = dict(ImportRow.Outcome.choices)
    for row in rows.iterator(chunk_size=2000):
        outcome = str(outcomes.get(row.outcome, row.outcome))
        if not row.problems:
            yield [row.row_number, outcome, row.customer_id or "", "", "", ""]
        for problem in row.problems:
            field = labels.get(problem["field"], problem["field"])
            yield [
                row.row_number,
                outcome,
                row.customer_id or "",
                field,
                problem["message"],
                problem["value"],
            ]


def report_header() -> list[str]:
    return [_("Row"), _("Outcome"), _("Customer"), _("Field"), _("Problem"), _("Value")]


def write_report_xlsx(path: Path, batch: ImportBatch, rows: QuerySet[ImportRow]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Import report"))
    sheet.append(report_header())
    for line in report_lines(batch, rows):
        sheet.append([_neutral(v) for v in line])
    workbook.save(path)


def _neutral(value: Any) -> Any:
    """Cells that a spreadsheet would read as a formula are written as text with a quote."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@"}:
        return "'" + value
    return value
