"""Writing one chunk of an import: new customers as batch rows (``kehu.customers.bulk``),
matched customers updated by the batch's policy, and each row's outcome."""

import json
from contextlib import AbstractContextManager
from typing import Any

from django.db import connection, transaction
from django.db.models import Max

from kehu.core.bulk import bulk_insert, datetime_adapter, sqlite_pragmas
from kehu.customers.bulk import (
    CustomerRows,
    Provenance,
    changes_insert,
    contacts_create,
    customer_rows_insert,
    customer_values_write,
    tag_ids,
)
from kehu.customers.fields import FieldSpec, Type
from kehu.customers.models import (
    Customer,
    CustomerChange,
)
from kehu.customers.values import (
    read_value,
    to_text,
)
from kehu.imports.engine.matching import match_existing
from kehu.imports.engine.rows import Context, Row
from kehu.imports.models import ImportBatch, ImportRow
from kehu.search import services as search_services
from kehu.search.services import search_index_update


def report_rows(batch: ImportBatch, rows: list[tuple[int, str, int | None, list[Any]]]) -> None:
    with connection.cursor() as cursor:
        bulk_insert(
            cursor,
            ImportRow,
            ("batch", "row_number", "outcome", "customer_id", "problems"),
            [
                (batch.pk, n, o, c, json.dumps(p, ensure_ascii=False) if p else "[]")
                for n, o, c, p in rows
            ],
        )


# --- writing ----------------------------------------------------------------------------------


def sqlite_bulk_settings() -> AbstractContextManager[None]:
    """On SQLite, for the import's connection: a 256 MB page cache (the indexes of a growing
    archive stay in memory) and a checkpoint of the write-ahead log every ~100 MB instead of
    every 4 MB (each chunk's commit checkpointed ~10 MB of pages, many of them again and again).
    Put back afterwards: the connection serves other work later."""
    return sqlite_pragmas(cache_size=-262_144, wal_autocheckpoint=25_000)


def _reserve_ids(model: type[Customer], count: int) -> list[int]:
    """Ids for ``count`` new rows: from the sequence on PostgreSQL, after the highest on SQLite
    (whose writers are serialised, and this runs inside the chunk's write transaction)."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [r[0] for r in cursor.fetchall()]
    first = (model.objects.aggregate(last=Max("id"))["last"] or 0) + 1
    return list(range(first, first + count))


class _NewRows:
    """Table rows of the customers a chunk creates, from the rows' ``NewCustomer``."""

    def __init__(self, context: Context) -> None:
        c = self.context = context
        now = datetime_adapter()(c.now)
        self.owner_id = c.owner.pk if c.owner else None
        status = Customer.Status.ACTIVE if self.owner_id else Customer.Status.PUBLIC_POOL
        channel_id = c.channel.pk if c.channel else None
        # The columns every new customer / history row of the batch shares.
        self.customer_head = (now, now)
        self.customer_middle = (c.batch.kind,)
        self.customer_scope = (status, self.owner_id, c.team_id, channel_id)
        user_id = c.user.pk if c.user else None
        self.change_tail = (channel_id, user_id, now, c.note[:200], c.batch.pk)
        self.customers: list[tuple[Any, ...]] = []
        self.profiles: list[tuple[Any, ...]] = []
        self.phones: list[tuple[Any, ...]] = []
        self.emails: list[tuple[Any, ...]] = []
        self.tags: list[tuple[str, int]] = []
        self.changes: list[tuple[Any, ...]] = []
        self.search: list[tuple[Any, ...]] = []
        self.contacts: list[tuple[int, dict[str, Any]]] = []

    def add(self, customer_id: int, row: Row) -> None:
        new = row.new
        assert new is not None  # noqa: S101 - prepared for every valid row
        name, stage, grade, *rest = new.customer
        self.customers.append(
            (customer_id, *self.customer_head, name, *self.customer_middle, stage, grade,
             *self.customer_scope, *rest, None)
        )  # fmt: skip
        self.profiles.append((customer_id, *new.profile))
        self.phones.extend((customer_id, None, number, "") for number in new.phones)
        self.emails.extend((customer_id, None, address) for address in new.emails)
        self.tags.extend((tag, customer_id) for tag in new.tags)
        creation = (CustomerChange.CREATED, "", new.creation, new.sensitive)
        self.changes.append((customer_id, *creation, *self.change_tail))
        team_id = self.context.team_id
        self.search.extend(
            (term, customer_id, source, self.owner_id, team_id) for term, source in new.terms
        )
        if row.contact:
            self.contacts.append((customer_id, row.contact))

    def write(self) -> None:
        tags = tag_ids(name for name, _id in self.tags)
        person = self.context.batch.kind == Customer.Kind.PERSON
        rows = CustomerRows(
            customers=self.customers,
            people=self.profiles if person else [],
            organizations=[] if person else self.profiles,
            contacts=[],
            phones=self.phones,
            emails=self.emails,
            tags=[(cid, tags[name]) for name, cid in self.tags],
            shares=[],
            changes=self.changes,
        )
        with connection.cursor() as cursor:
            customer_rows_insert(cursor, rows)
            if self.context.defer_terms:
                search_services.pending_insert_rows(cursor, self.search)
            else:
                search_services.insert_rows(cursor, self.search)
        if self.contacts:
            contacts_create(contacts=self.contacts, by=_provenance(self.context))


def _provenance(context: Context) -> Provenance:
    return Provenance(
        channel=context.channel, user=context.user, at=context.now, note=context.note,
        import_batch_id=context.batch.pk,
    )  # fmt: skip


def _update(context: Context, rows: list[Row]) -> dict[int, bool]:
    """Apply the batch's policy (fill empty fields / overwrite) to the customers the rows match;
    returns row number -> whether anything changed. History rows carry the batch."""
    policy = context.batch.duplicates
    ids = {row.customer_id for row in rows}
    customers = (
        Customer.objects.select_related("person", "organization")
        .prefetch_related("phones", "emails", "tags")
        .in_bulk(ids)
    )
    changed: dict[int, bool] = {}
    history: list[CustomerChange] = []
    touched: set[int] = set()
    by = _provenance(context)
    for row in rows:
        customer = customers[row.customer_id or 0]
        values: list[tuple[FieldSpec, Any, str, str]] = []
        for code in sorted(row.given):
            spec = context.specs[code]
            value = row.values[code]
            current = read_value(customer, spec)
            old_text = to_text(spec, current)
            if spec.type in {Type.PHONES, Type.EMAILS, Type.TAGS, Type.MULTI_CHOICE}:
                if policy == ImportBatch.Duplicates.FILL and current:
                    continue
                value = list(dict.fromkeys([*(current or []), *value]))
            elif policy == ImportBatch.Duplicates.FILL and old_text:
                continue
            new_text = to_text(spec, value)
            if new_text != old_text:
                values.append((spec, value, old_text, new_text))
        if values:
            history += customer_values_write(customer=customer, values=values, by=by)
            touched.add(customer.pk)
        changed[row.number] = bool(values)
    changes_insert(history)
    if touched:
        search_index_update(customer_ids=sorted(touched))
    return changed


def write_chunk(context: Context, rows: list[Row]) -> None:
    batch = context.batch
    match_existing(batch.kind, [r for r in rows if r.valid])
    new = [r for r in rows if r.valid and r.customer_id is None]
    existing = [r for r in rows if r.valid and r.customer_id is not None]
    report: list[tuple[int, str, int | None, list[Any]]] = []
    with transaction.atomic():
        # The batch row first: on SQLite this takes the write lock before ids are chosen.
        batch.processed_rows += len(rows)
        batch.save(update_fields=["processed_rows", "updated_at"])
        ids = _reserve_ids(Customer, len(new))
        writer = _NewRows(context)
        for customer_id, row in zip(ids, new, strict=True):
            writer.add(customer_id, row)
            row.customer_id = customer_id
        writer.write()
        outcome = {}
        if existing and batch.duplicates != ImportBatch.Duplicates.SKIP:
            outcome = _update(context, existing)
        created = updated = skipped = invalid = 0
        new_numbers = {row.number for row in new}
        for row in rows:
            if not row.valid:
                report.append((row.number, ImportRow.Outcome.INVALID, None, row.problems))
                invalid += 1
            elif row.number in new_numbers:
                report.append((row.number, ImportRow.Outcome.CREATED, row.customer_id, []))
                created += 1
            elif outcome.get(row.number):
                report.append((row.number, ImportRow.Outcome.UPDATED, row.customer_id, []))
                updated += 1
            else:
                report.append((row.number, ImportRow.Outcome.SKIPPED, row.customer_id, []))
                skipped += 1
        report_rows(batch, report)
        batch.created_count += created
        batch.updated_count += updated
        batch.skipped_count += skipped
        batch.invalid_rows += invalid
        batch.save()
