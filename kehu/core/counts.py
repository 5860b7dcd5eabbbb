"""Several row counts read in one query, for the badges a page shows beside its menu."""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection


def counts_in_one_query(querysets: Sequence[Any]) -> list[int]:
    """How many rows each queryset has (a sliced one counts at most its slice), in one round
    trip: ``SELECT (SELECT COUNT(*) FROM (…)), (SELECT COUNT(*) FROM (…)), …``."""
    parts: list[str] = []
    params: list[Any] = []
    empty: set[int] = set()
    for i, queryset in enumerate(querysets):
        try:
            sql, args = queryset.query.sql_with_params()
        except EmptyResultSet:
            empty.add(i)
            continue
        # The SQL is Django's own compilation of the queryset; its values stay parameters.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{i})")  # noqa: S608
        params.extend(args)
    if not parts:
        return [0] * len(querysets)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = iter(cursor.fetchone())
    return [0 if i in empty else int(next(row)) for i in range(len(querysets))]
