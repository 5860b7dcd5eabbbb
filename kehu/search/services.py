"""Keeping the search index in step with the archive.

``search_index_update`` re-indexes some customers from what the database holds now; every
customer service calls it after a write, and so must a merge or an import that writes rows
itself. ``search_index_rebuild`` re-creates the whole index (``kehu search rebuild``).
Customers that are archived or merged are not in the index.

A large import writes its new customers' terms aside (``pending_insert_rows``) and moves them
into the index in one sorted pass before it reports done (``search_pending_flush``).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, transaction

from kehu.core import bulk
from kehu.customers.models import (
    Contact,
    Customer,
    CustomField,
    Email,
    OrganizationProfile,
    PersonProfile,
    Phone,
)
from kehu.customers.values import lookup_hash
from kehu.search.models import PendingTerm, SearchTerm
from kehu.search.terms import Indexable, Row, exact_value, rows_for

ROW_FIELDS = ("term", "customer_id", "source", "owner_id", "team_id")


def searchable_custom_codes() -> list[str]:
    """Custom fields marked searchable; sensitive ones never enter the index."""
    return list(
        CustomField.objects.filter(searchable=True, sensitive=False, is_active=True).values_list(
            "code", flat=True
        )
    )


def custom_texts(values: dict[str, Any], codes: Sequence[str]) -> list[str]:
    texts: list[str] = []
    for code in codes:
        value = values.get(code)
        if isinstance(value, list):
            texts.extend(str(v) for v in value if v not in (None, ""))
        elif value not in (None, "", True, False):
            texts.append(str(value))
    return texts


def indexables_for(customer_ids: Sequence[int], *, custom_codes: Sequence[str]) -> list[Indexable]:
    """What the index needs of these customers (7 queries for any number of them)."""
    customers = (
        Customer.objects.live()
        .filter(pk__in=customer_ids)
        .order_by("pk")
        .values_list("pk", "name", "kind", "owner_id", "team_id", "custom_values")
    )
    items: dict[int, Indexable] = {}
    for pk, name, kind, owner_id, team_id, custom_values in customers:
        items[pk] = Indexable(
            customer_id=pk,
            owner_id=owner_id,
            team_id=team_id,
            person=kind == Customer.Kind.PERSON,
            name=name,
            custom=custom_texts(custom_values or {}, custom_codes) if custom_codes else [],
        )
    ids = list(items)
    if not ids:
        return []
    for customer_id, name in Contact.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "name"
    ):
        items[customer_id].contacts.append(name)
    for customer_id, contact_id, number in Phone.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "contact_id", "number"
    ):
        target = items[customer_id].contact_phones if contact_id else items[customer_id].phones
        target.append(number)
    for customer_id, address in Email.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "address"
    ):
        items[customer_id].hashes.append(lookup_hash(exact_value(address, email=True)))
    for customer_id, id_hash in PersonProfile.objects.filter(
        customer_id__in=ids, id_number_hash__gt=""
    ).values_list("customer_id", "id_number_hash"):
        items[customer_id].hashes.append(id_hash)
    for customer_id, code in OrganizationProfile.objects.filter(
        customer_id__in=ids, credit_code__gt=""
    ).values_list("customer_id", "credit_code"):
        items[customer_id].hashes.append(lookup_hash(exact_value(code)))
    for customer_id, tag in Customer.tags.through.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "tag__name"
    ):
        items[customer_id].tags.append(tag)
    return list(items.values())


def insert_rows(cursor: Any, rows: list[Row]) -> None:
    """Write index rows fast: ``COPY`` on PostgreSQL, multi-row ``INSERT`` on SQLite."""
    bulk.insert_rows(cursor, SearchTerm._meta.db_table, ROW_FIELDS, rows)


def pending_insert_rows(cursor: Any, rows: list[Row]) -> None:
    """Keep index rows aside until ``search_pending_flush`` (rows as for ``insert_rows``)."""
    bulk.insert_rows(cursor, PendingTerm._meta.db_table, ROW_FIELDS, rows)


def search_pending_flush() -> int:
    """Move every pending term into the index, in the order of its scan index (one pass over
    its pages rather than a random insert per term); returns how many were moved.

    Atomic: a term is either still pending or in the index, never both nor neither; pending
    terms of an import still writing (PostgreSQL) are left for its own flush.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in ROW_FIELDS)
    index = quote(SearchTerm._meta.db_table)
    pending = quote(PendingTerm._meta.db_table)
    # The scan index's columns ("customer" is the column customer_id).
    order = ", ".join(
        quote(f"{name}_id" if name == "customer" else name) for name in _scan_index().fields
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement, so that a chunk committed meanwhile is neither lost nor moved twice.
            cursor.execute(
                f"WITH moved AS (DELETE FROM {pending} RETURNING {names}) "  # noqa: S608
                f"INSERT INTO {index} ({names}) SELECT {names} FROM moved ORDER BY {order}"
            )
            return int(cursor.rowcount)
        # SQLite: this transaction holds the only write lock from its start.
        cursor.execute(
            f"INSERT INTO {index} ({names}) SELECT {names} FROM {pending} ORDER BY {order}"  # noqa: S608
        )
        moved = int(cursor.rowcount)
        cursor.execute(f"DELETE FROM {pending}")  # noqa: S608 - emptied at once, no WHERE
        return moved


def search_terms_delete(*, customer_ids: Iterable[int]) -> int:
    """Drop these customers' terms, those in the index and those pending; returns how many."""
    ids = sorted(set(customer_ids))
    deleted = SearchTerm.objects.filter(customer_id__in=ids).delete()[0]
    return deleted + PendingTerm.objects.filter(customer_id__in=ids).delete()[0]


def search_index_update(*, customer_ids: Iterable[int]) -> int:
    """Re-index these customers (drop their terms, write them anew); returns rows written.

    Call it inside the transaction of the write, after the write: merges, imports and every
    customer service do. Customers no longer indexed (archived, merged, deleted) just lose
    their terms.
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return 0
    with transaction.atomic():
        search_terms_delete(customer_ids=ids)
        items = indexables_for(ids, custom_codes=searchable_custom_codes())
        rows = [row for item in items for row in rows_for(item)]
        with connection.cursor() as cursor:
            insert_rows(cursor, rows)
    return len(rows)


def _id_batches(batch_size: int) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = list(
            Customer.objects.live()
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def _scan_index() -> Any:
    return next(i for i in SearchTerm._meta.indexes if i.name == "search_term_scan")


def _run_index_sql(make: Callable[[Any, Any], Any]) -> None:
    # Plain statements rather than ``schema_editor()``: that refuses to run inside a
    # transaction on SQLite, and the demo loader and tests call this inside one.
    editor = connection.SchemaEditorClass(connection)
    with connection.cursor() as cursor:
        cursor.execute(str(make(SearchTerm, editor)))


def search_index_drop_scan_index() -> None:
    """Before a bulk load into an empty index: writing the rows then sorting once for the
    index is several times faster than keeping a B-tree in step with random terms."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(_scan_index().name)}")


def search_index_create_scan_index() -> None:
    _run_index_sql(_scan_index().create_sql)
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(SearchTerm._meta.db_table)
        cursor.execute(f"ANALYZE {table}")


def search_index_rebuild(
    *, batch_size: int = 5000, progress: Callable[[int, int], None] | None = None
) -> int:
    """Re-create the whole index from the archive; returns the number of terms.

    Searches made meanwhile see a partial index. ``progress(customers, terms)`` is called after
    each batch.
    """
    SearchTerm.objects.all().delete()
    search_index_drop_scan_index()
    codes = searchable_custom_codes()
    customers = terms = 0
    try:
        for ids in _id_batches(batch_size):
            rows = [
                row for item in indexables_for(ids, custom_codes=codes) for row in rows_for(item)
            ]
            with transaction.atomic(), connection.cursor() as cursor:
                # Indexed here from the archive: terms an import left pending would repeat them.
                PendingTerm.objects.filter(customer_id__in=ids).delete()
                insert_rows(cursor, rows)
            customers += len(ids)
            terms += len(rows)
            if progress is not None:
                progress(customers, terms)
    finally:
        search_index_create_scan_index()
    return terms


def search_index_stats() -> dict[str, int]:
    by_source: dict[str, int] = defaultdict(int)
    for source, count in _source_counts():
        by_source[SearchTerm.Source(source).name.lower()] = count
    return dict(by_source)


def _source_counts() -> list[tuple[int, int]]:
    from django.db.models import Count

    return list(SearchTerm.objects.values_list("source").annotate(n=Count("id")).order_by("source"))
