"""Raw batch inserts for the bulk writers (demo loader, import, search index): rows skip the
ORM's per-object work and go in as ``COPY`` on PostgreSQL or multi-row ``INSERT`` on SQLite."""

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models

# SQLite before 3.32 allows 999 bound values a statement; rows are grouped under that.
SQLITE_MAX_VALUES = 999


def insert_rows(
    cursor: Any, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``, adapted for the database) into
    ``table`` with the cursor's connection, inside the caller's transaction."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    into = f"INSERT INTO {quote(table)} ({names}) VALUES "  # noqa: S608 - names are quoted
    if connection.vendor == "postgresql":
        # COPY: several times faster than one INSERT per row.
        with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    # Many rows a statement: SQLite's per-statement work (bind, step, reset) made one INSERT
    # per row cost about a third more (850,000 search terms: 6.3 s against 4.3 s).
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per = max(1, SQLITE_MAX_VALUES // len(columns))
    whole = len(rows) - len(rows) % per
    if whole:
        groups = [
            [value for row in rows[start : start + per] for value in row]
            for start in range(0, whole, per)
        ]
        cursor.executemany(into + ", ".join([one] * per), groups)
    if whole < len(rows):
        rest = rows[whole:]
        cursor.execute(into + ", ".join([one] * len(rest)), [v for row in rest for v in row])


def sqlite_datetime(value: datetime | None) -> str | None:
    """What Django's SQLite backend stores (naive UTC as text), without its checks: 3x faster."""
    return None if value is None else str(value.astimezone(UTC).replace(tzinfo=None))


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field.column


def bulk_insert(
    cursor: Any, model: type[models.Model], fields: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in the order of ``fields``) into ``model``'s table."""
    if rows and len(rows[0]) != len(fields):
        raise ValueError(
            f"{model.__name__}: a row of {len(rows[0])} values for {len(fields)} columns"
        )
    insert_rows(cursor, model._meta.db_table, [_column(model, name) for name in fields], rows)


def datetime_adapter() -> Any:
    """The function that adapts an aware datetime for this database's batch rows."""
    if connection.vendor == "sqlite":
        return sqlite_datetime
    return connection.ops.adapt_datetimefield_value


@contextmanager
def sqlite_pragmas(**values: int) -> Iterator[None]:
    """SQLite only: set these PRAGMAs on this connection for the block, then put back what
    they were (the connection serves other work later)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        before = {}
        for name in values:
            cursor.execute(f"PRAGMA {name}")
            before[name] = cursor.fetchone()[0]
        for name, value in values.items():
            cursor.execute(f"PRAGMA {name} = {int(value)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in before.items():
                cursor.execute(f"PRAGMA {name} = {int(value)}")


def sqlite_cache(kib: int = 262_144) -> AbstractContextManager[None]:
    """A larger page cache for this connection while a bulk writer (the analytics refresh, an
    order-history import) writes: pages of big indexes touched again in one transaction stay
    in memory instead of being spilled and read back (SQLite only; the default is 16 MiB)."""
    return sqlite_pragmas(cache_size=-kib)


@contextmanager
def table_refilled(model: type[models.Model]) -> Iterator[str]:
    """Replace every row of ``model``'s table inside the caller's transaction: yields the name
    of the table to fill. Readers keep seeing the old rows until the commit. Filling empty
    tables and building each index once, sorted, costs a fraction of inserting into B-trees row
    by row (SQLite, 57,728 rows: 27.5 s before; PostgreSQL, 1,000,000 rows into ten indexes:
    ~28 of the store's 34 s; bench/RESULTS.md).

    SQLite: the secondary indexes are dropped, the rows deleted, and the indexes built again
    after the block (SQLite's DDL is transactional). PostgreSQL would lock readers out for the
    whole block if it dropped indexes, so the block fills a new table without any, which then
    gets the old one's constraints and indexes and takes its place and names: readers wait only
    for those renames at the end. For tables whose rows come with their keys (the value
    table's is the customer's): a generated key's sequence belongs to the old table."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with _shadow(table) as shadow:
            yield shadow
        return
    indexes = list(model._meta.indexes)
    editor = connection.schema_editor()
    editor.deferred_sql = []  # not entered: only its SQL is used
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for index in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {quote(index.name)}")
        cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 - a model's table
        yield table
        for index in indexes:
            cursor.execute(str(index.create_sql(model, editor)))


@contextmanager
def _shadow(table: str) -> Iterator[str]:
    """PostgreSQL: a new table like ``table`` (columns, defaults, NOT NULL; no index) to fill,
    then given ``table``'s constraints and indexes under temporary names, swapped in for it
    and given its names."""
    quote = connection.ops.quote_name
    shadow = f"{table}_refill"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass ORDER BY contype = 'f', conname",  # keys first
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
            "AND c.conrelid = x.indrelid) ORDER BY i.relname",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(f"DROP TABLE IF EXISTS {quote(shadow)}")
        cursor.execute(f"CREATE TABLE {quote(shadow)} (LIKE {quote(table)} INCLUDING DEFAULTS)")
        yield shadow
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        renames = []
        for n, (name, definition) in enumerate(constraints):
            temporary = f"kehu_refill_c{n}"
            cursor.execute(
                f"ALTER TABLE {quote(shadow)} ADD CONSTRAINT {quote(temporary)} {definition}"
            )
            renames.append(
                f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(temporary)} TO {quote(name)}"
            )
        for n, (name, definition) in enumerate(indexes):
            temporary = f"kehu_refill_i{n}"
            head, _on, rest = definition.partition(" ON ")
            on_table = rest.split(" USING ", 1)
            if not head.endswith(f" {quote(name)}") and not head.endswith(f" {name}"):
                raise RuntimeError(f"unexpected index definition: {definition}")
            cursor.execute(
                f"{head.rsplit(' ', 1)[0]} {quote(temporary)} ON {quote(shadow)} USING "
                f"{on_table[1]}"
            )
            renames.append(f"ALTER INDEX {quote(temporary)} RENAME TO {quote(name)}")
        cursor.execute(f"ANALYZE {quote(shadow)}")
        cursor.execute(f"DROP TABLE {quote(table)}")
        cursor.execute(f"ALTER TABLE {quote(shadow)} RENAME TO {quote(table)}")
        for rename in renames:
            cursor.execute(rename)
