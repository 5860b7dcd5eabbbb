"""Raw batch inserts for the bulk writers (demo loader, import, search index): rows skip the
ORM's per-object work and go in as ``COPY`` on PostgreSQL or multi-row ``INSERT`` on SQLite."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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
def sqlite_cache(kib: int = 262_144) -> Iterator[None]:
    """A larger page cache for this connection while a bulk writer (the analytics refresh, an
    order-history import) writes: pages of big indexes touched again in one transaction stay
    in memory instead of being spilled and read back (SQLite only; the default is 16 MiB)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")
