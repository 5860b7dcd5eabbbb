"""Undo of an import: the customers it created are removed (or archived when changed since),
the fields it changed are restored, chunk by chunk in the background; its rows say what was
done."""

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import require_archive_admin
from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent
from kehu.customers import services as customer_services
from kehu.customers.bulk import customers_delete
from kehu.customers.models import Customer, CustomerChange
from kehu.customers.related import OWN_RECORD, customers_attached
from kehu.customers.selectors import field_specs_for
from kehu.imports import orders
from kehu.imports.models import ImportBatch, ImportRow
from kehu.imports.selectors import IMPORTS_REFUSED
from kehu.imports.services import batches

logger = logging.getLogger(__name__)


def _changed_since(batch: ImportBatch, customer_ids: list[int]) -> set[int]:
    return set(
        CustomerChange.objects.filter(customer_id__in=customer_ids)
        .exclude(import_batch=batch)
        .values_list("customer_id", flat=True)
    )


UNDO_CHUNK_SIZE = 2000


def _undo_start(user: User, batch: ImportBatch) -> ImportBatch:
    """Mark a finished import as being undone by ``user`` and count the rows to undo; an undo
    already under way is left as it is (to be continued from its checkpoint)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == ImportBatch.Status.UNDOING:
            batch.error = ""
            batch.save(update_fields=["error", "updated_at"])
            return batch
        if not batch.can_undo:
            raise ValidationError(
                _("Only an import that is finished or stopped part-way can be undone.")
            )
        batch.status = ImportBatch.Status.UNDOING
        batch.undone_by = user
        batch.undo_rows = (
            orders.undo_rows(batch)
            if batch.kind == orders.ORDERS
            else ImportRow.objects.filter(
                batch=batch, outcome__in=[ImportRow.Outcome.CREATED, ImportRow.Outcome.UPDATED]
            ).count()
        )
        batch.undone_rows = batch.deleted_count = batch.archived_count = 0
        batch.restored_count = 0
        batch.error = ""
        batch.save()
    return batch


def _rows_to_undo(batch: ImportBatch, start: int, created_total: int) -> list[ImportRow]:
    """The next chunk of rows to undo after the first ``start``: the created rows first (as one
    undo always did: a customer this import created is deleted, not restored), then the
    updated ones, each in row order."""
    rows: list[ImportRow] = []
    in_order = ImportRow.objects.filter(batch=batch).only("outcome", "customer_id")
    if start < created_total:
        created = in_order.filter(outcome=ImportRow.Outcome.CREATED).order_by("row_number")
        rows = list(created[start : start + UNDO_CHUNK_SIZE])
    if len(rows) < UNDO_CHUNK_SIZE:
        skip = max(0, start - created_total)
        updated = in_order.filter(outcome=ImportRow.Outcome.UPDATED).order_by("row_number")
        rows += list(updated[skip : skip + UNDO_CHUNK_SIZE - len(rows)])
    return rows


def _undo_chunk(batch_id: int, created_total: int) -> ImportBatch:
    """Undo the next chunk of rows in one transaction, with the checkpoint and the counts:
    a stop leaves whole chunks undone and the next run goes on after them."""
    with transaction.atomic():
        # The batch row first: its lock (the row's on PostgreSQL, the write lock on SQLite),
        # held to the end of the chunk, keeps two runners of one undo from taking one chunk.
        ImportBatch.objects.filter(pk=batch_id).update(updated_at=timezone.now())
        batch = ImportBatch.objects.select_related("undone_by").get(pk=batch_id)
        if batch.status != ImportBatch.Status.UNDOING or batch.undone_rows >= batch.undo_rows:
            return batch
        rows = _rows_to_undo(batch, batch.undone_rows, created_total)
        note = _("Import #%(id)s undone") % {"id": batch.pk}
        created = [
            r.customer_id
            for r in rows
            if r.outcome == ImportRow.Outcome.CREATED and r.customer_id is not None
        ]
        deleted, archived = _remove_created(batch, created, note)
        updated = list(
            dict.fromkeys(
                r.customer_id
                for r in rows
                if r.outcome == ImportRow.Outcome.UPDATED and r.customer_id is not None
            )
        )
        restored = 0
        for customer in Customer.objects.filter(pk__in=updated).select_related(
            "person", "organization"
        ):
            restored += _restore(batch.undone_by, batch, customer, note)
        # No rows left (they cannot change while undoing, but never loop for ever): all done.
        batch.undone_rows = batch.undone_rows + len(rows) if rows else batch.undo_rows
        batch.deleted_count += deleted
        batch.archived_count += archived
        batch.restored_count += restored
        batch.save(
            update_fields=[
                "undone_rows",
                "deleted_count",
                "archived_count",
                "restored_count",
                "updated_at",
            ]
        )
    return batch


def _remove_created(batch: ImportBatch, ids: list[int], note: str) -> tuple[int, int]:
    """Delete these customers the import created, or archive those something has been attached
    to since; returns how many were deleted and archived."""
    if not ids:
        return 0, 0
    keep = customers_attached(ids, leave_out=OWN_RECORD) | _changed_since(batch, ids)
    archived = 0
    for customer in Customer.objects.filter(pk__in=sorted(keep)).exclude(
        status=Customer.Status.ARCHIVED
    ):
        customer_services.customer_archive(user=None, customer=customer, note=note)
        archived += 1
    deleted = customers_delete([i for i in ids if i not in keep])
    return deleted, archived


def _undo_rest(batch_id: int, ip_address: str | None = None) -> ImportBatch:
    """Undo the chunks not undone yet, then mark the batch undone and audit it (once)."""
    created_total = ImportRow.objects.filter(
        batch_id=batch_id, outcome=ImportRow.Outcome.CREATED
    ).count()
    kind = ImportBatch.objects.values_list("kind", flat=True).get(pk=batch_id)
    while True:
        if kind == orders.ORDERS:
            batch = orders.undo_chunk(batch_id)
        else:
            batch = _undo_chunk(batch_id, created_total)
        if batch.status != ImportBatch.Status.UNDOING or batch.undone_rows >= batch.undo_rows:
            break
    now = timezone.now()
    with transaction.atomic():
        finished = ImportBatch.objects.filter(
            pk=batch_id, status=ImportBatch.Status.UNDOING
        ).update(status=ImportBatch.Status.UNDONE, undone_at=now, error="", updated_at=now)
        batch = ImportBatch.objects.select_related("undone_by").get(pk=batch_id)
        if finished:
            audit_log(
                action=AuditEvent.Action.IMPORT_UNDONE,
                actor=batch.undone_by,
                ip_address=ip_address,
                object_type="import",
                object_id=batch.pk,
                detail={"file": batch.original_name, **undo_counts(batch)},
            )
    return batch


def undo_counts(batch: ImportBatch) -> dict[str, int]:
    return {
        "deleted": batch.deleted_count,
        "archived": batch.archived_count,
        "restored": batch.restored_count,
    }


def import_undo(*, user: User, batch: ImportBatch, ip_address: str | None = None) -> dict[str, int]:
    """Undo a whole import in the caller's process (or continue an undo that stopped): delete
    the customers it created (archive those something has been attached to since), restore
    the fields it updated where they still hold what the import wrote. Chunk by chunk, each
    in its own transaction; audited once at the end; the restorations are history rows of
    their own. Returns the counts (deleted, archived, restored), also kept on the batch."""
    require_archive_admin(user, IMPORTS_REFUSED)
    batch = _undo_start(user, batch)
    try:
        return undo_counts(_undo_rest(batch.pk, ip_address=ip_address))
    except Exception:
        _undo_failed(batch.pk)
        raise


def _undo_failed(batch_id: int) -> None:
    logger.exception("Undo of import %s failed", batch_id)
    message = _("The undo stopped with an error; continue it to undo the rest.")
    ImportBatch.objects.filter(pk=batch_id).update(error=message[:300])


def import_undo_continue(*, batch_id: int, ip_address: str | None = None) -> ImportBatch:
    """Undo the rest of an import being undone (the background task's work). An error is kept
    on the batch, which stays "undoing" and can be continued from its checkpoint."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status != ImportBatch.Status.UNDOING:
        return batch
    try:
        return _undo_rest(batch_id, ip_address=ip_address)
    except Exception:
        _undo_failed(batch_id)
        batch.refresh_from_db()
        return batch


def import_request_undo(
    *, user: User, batch: ImportBatch, ip_address: str | None = None
) -> ImportBatch:
    """Start undoing a finished import (or continue an undo that stopped) in the background;
    a small import is undone before this returns."""
    from kehu.imports.tasks import run_import_undo

    require_archive_admin(user, IMPORTS_REFUSED)
    if batch.status == ImportBatch.Status.UNDOING and not batch.can_continue_undo:
        raise ValidationError(_("This import is already being undone."))
    batch = _undo_start(user, batch)
    batch_id = batch.pk
    if batch.file_size <= batches.INLINE_MAX_BYTES:
        return import_undo_continue(batch_id=batch_id, ip_address=ip_address)
    transaction.on_commit(lambda: run_import_undo(batch_id))
    return batch


def _restore(user: User | None, batch: ImportBatch, customer: Customer, note: str) -> int:
    """Put back the old values of the fields this import changed, where unchanged since."""
    from kehu.customers.values import read_value, to_text

    specs = field_specs_for(customer.kind)
    data: dict[str, Any] = {}
    changes = CustomerChange.objects.filter(customer=customer, import_batch=batch).order_by("id")
    for entry in (entry for change in changes for entry in change.entries()):
        spec = specs.get(entry.field)
        if spec is None or entry.field in data:
            continue
        current = to_text(spec, read_value(customer, spec))
        if current == entry.text("new"):
            data[entry.field] = entry.text("old") or None
    if not data:
        return 0
    customer_services.customer_update(user=user, customer=customer, data=data, note=note)
    return len(data)
