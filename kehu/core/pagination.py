"""Keyset cursor pagination that follows the queryset's own ordering.

ninja's ``CursorPagination`` takes its ordering from the decorator and positions on one field,
skipping equal values by an offset that may not pass ``NINJA_PAGINATION_MAX_OFFSET``: ordering a
million customers by grade breaks on the third page. Here the position is the first ordering
field *and* the id, so every position is unique and each page is one range query on an index,
however deep. The answer keeps the house shape: ``{"results", "next", "previous"}``.
"""

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from ninja import Field, Schema
from ninja.errors import ValidationError
from ninja.pagination import CursorPagination
from pydantic import ValidationError as PydanticValidationError


def _name(term: str) -> str:
    name = term.lstrip("-")
    return "id" if name == "pk" else name


def _keys(queryset: QuerySet[Any]) -> tuple[str, ...]:
    """The ordering terms the cursor keys on: the first one, then the id as the tie-breaker."""
    order = [str(term) for term in (queryset.query.order_by or queryset.model._meta.ordering)]
    order = [term.replace("pk", "id") if _name(term) == "id" else term for term in order]
    if not order:
        return ("-id",)
    first = order[0]
    if _name(first) == "id":
        return (first,)
    tie = next((term for term in order if _name(term) == "id"), None)
    return (first, tie or ("-id" if first.startswith("-") else "id"))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _position(item: Any, keys: tuple[str, ...]) -> str:
    return json.dumps([_plain(getattr(item, _name(key))) for key in keys], ensure_ascii=False)


def _invalid_cursor() -> ValidationError:
    return ValidationError(
        [{"loc": ("query", "cursor"), "msg": "Invalid cursor.", "type": "value_error"}]
    )


def _after(order: tuple[str, ...], position: str) -> Q:
    """Rows strictly after ``position`` in ``order``."""
    try:
        values = json.loads(position)
    except ValueError:
        raise _invalid_cursor() from None
    if not isinstance(values, list) or len(values) != len(order):
        raise _invalid_cursor()

    def strictly_after(term: str, value: Any) -> Q:
        return Q(**{f"{_name(term)}__{'lt' if term.startswith('-') else 'gt'}": value})

    if len(order) == 1:
        return strictly_after(order[0], values[0])
    return strictly_after(order[0], values[0]) | (
        Q(**{_name(order[0]): values[0]}) & strictly_after(order[1], values[1])
    )


class BoundedCursorPagination(CursorPagination):
    """ninja's cursor pagination, refusing a page size outside 1..200 instead of clamping it."""

    class Input(Schema):
        page_size: int | None = Field(None, ge=1, le=settings.NINJA_MAX_PER_PAGE_SIZE)
        cursor: str | None = None


class KeysetPagination(BoundedCursorPagination):
    """``?page_size=&cursor=`` over whatever order the handler's selector chose."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(ordering=("-id",), **kwargs)

    def paginate_queryset(
        self,
        queryset: QuerySet[Any],
        pagination: CursorPagination.Input,
        request: HttpRequest,
        **params: Any,
    ) -> Any:
        page = keyset_page(
            queryset, cursor=pagination.cursor, page_size=self._get_page_size(pagination.page_size)
        )
        url = request.build_absolute_uri()
        return {
            "next": self._add_cursor_to_URL(url, page.next_cursor),
            "previous": self._add_cursor_to_URL(url, page.previous_cursor),
            self.items_attribute: page.rows,
        }


Cursor = CursorPagination.Cursor


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows in the queryset's order and the cursors of the pages beside it."""

    rows: list[Any]
    next_cursor: Cursor | None
    previous_cursor: Cursor | None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def next(self) -> str:
        """The next page's ``cursor`` parameter ("" on the last page)."""
        return self.next_cursor.encode_as_param() if self.next_cursor else ""

    @property
    def previous(self) -> str:
        return self.previous_cursor.encode_as_param() if self.previous_cursor else ""


def keyset_page(queryset: QuerySet[Any], *, cursor: str | None, page_size: int) -> KeysetPage:
    """The page after (or, for a reversed cursor, before) ``cursor`` in the queryset's order:
    one range query on the ordering's index with ``LIMIT page_size + 1``, however deep.

    An invalid cursor raises ninja's ``ValidationError`` (the API answers 422)."""
    keys = _keys(queryset)
    try:
        position = Cursor.from_encoded_param(cursor)
    except PydanticValidationError:
        raise _invalid_cursor() from None
    order = CursorPagination._reverse_order(keys) if position.r else keys
    queryset = queryset.order_by(*order)
    if position.p is not None:
        try:
            queryset = queryset.filter(_after(order, position.p))
        except (ValueError, TypeError, DjangoValidationError):
            raise _invalid_cursor() from None
    rows = list(queryset[: page_size + 1])
    more = len(rows) > page_size
    rows = rows[:page_size]
    if position.r:
        rows.reverse()
        has_next, has_previous = True, more
    else:
        has_next, has_previous = more, position.p is not None
    return KeysetPage(
        rows=rows,
        next_cursor=Cursor(p=_position(rows[-1], keys)) if rows and has_next else None,
        previous_cursor=(
            Cursor(p=_position(rows[0], keys), r=True) if rows and has_previous else None
        ),
    )


@dataclass(frozen=True)
class CappedCount:
    """How many rows match, counted up to ``cap``: ``capped`` when there are more (shown as
    "1,000+")."""

    count: int
    cap: int
    capped: bool

    def __str__(self) -> str:
        return f"{self.count:,}+" if self.capped else f"{self.count:,}"

    def __bool__(self) -> bool:
        return self.count > 0


def capped_count(queryset: QuerySet[Any], cap: int) -> CappedCount:
    """``COUNT(*)`` that stops after ``cap + 1`` rows (a ``LIMIT``-ed subquery, unordered:
    an ordering would make the database sort every row before counting the first few)."""
    counted = queryset.order_by()[: cap + 1].count()
    return CappedCount(count=min(counted, cap), cap=cap, capped=counted > cap)


def first_rows(
    queryset: QuerySet[Any], order: Sequence[str], limit: int | None, related: Sequence[str]
) -> list[Any]:
    """The first ``limit`` rows of ``queryset`` in ``order``, with the ``related`` rows joined.

    The ids are ordered first, from the queryset's own table, and only those rows are then read
    with their related rows: joined before the sort, every matching row would be (a service
    agent's 7,000 open cases, each with its customer, for the six a card shows)."""
    if limit is None:
        return list(queryset.select_related(*related).order_by(*order))
    ids = list(queryset.order_by(*order).values_list("pk", flat=True)[:limit])
    found = queryset.filter(pk__in=ids).select_related(*related).in_bulk()
    return [found[pk] for pk in ids]


class CappedPaginator(Paginator[Any]):
    """Page numbers for list pages without an exact ``COUNT(*)`` over a million rows.

    Counts at most ``cap`` rows (a ``LIMIT``-ed count stops early); beyond that the page says
    "more than 10,000" and offers as many pages as the cap covers. Narrow the filters (or use
    the API's keyset pagination) to go deeper.
    """

    def __init__(self, object_list: Any, per_page: int, cap: int = 10_000) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        rows: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        return rows.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @cached_property
    def capped(self) -> bool:
        """More rows match than were counted."""
        return self._counted > self.cap
