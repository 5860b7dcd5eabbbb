"""The customer timeline: one stream of everything that happened with a customer.

Each app that has events registers a source with ``register``; the timeline merges them, newest
first. A source returns at most ``limit`` items before ``before`` (None: from now).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.functional import Promise

from kehu.accounts.models import User


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # the source's name, used by the type filter ("interaction", "change", …)
    at: datetime
    title: str | Promise
    body: str = ""
    by: str = ""
    channel: str = ""
    url: str = ""
    obj: Any = field(default=None, compare=False)
    # a finer type inside the kind, e.g. "owner" for an archive change of owner
    detail: str = ""


Source = Callable[..., list[TimelineItem]]
SOURCES: dict[str, tuple[str | Promise, Source]] = {}


def register(kind: str, label: str | Promise) -> Callable[[Source], Source]:
    """Decorator: ``@register("interaction", _("Interactions"))`` on
    ``def source(*, user, customer, before, limit) -> list[TimelineItem]``."""

    def wrap(source: Source) -> Source:
        SOURCES[kind] = (label, source)
        return source

    return wrap


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    # The ``before`` of the next page, None on the last one.
    next_before: datetime | None


def customer_timeline_page(
    *,
    user: User,
    customer: Any,
    kinds: set[str] | None = None,
    before: datetime | None = None,
    limit: int = 30,
    subtypes: dict[str, str] | None = None,
) -> TimelinePage:
    """The newest ``limit`` items before ``before``, from the chosen kinds (all by default).

    ``subtypes`` narrows a source further (``{"interaction": "visit"}``) and is passed only to
    the sources it names. Items that share the time at which a page is cut go together onto the
    next page, so an item is never skipped between pages.
    """
    fetch = limit
    while True:
        items: list[TimelineItem] = []
        for kind, (_label, source) in SOURCES.items():
            if kinds and kind not in kinds:
                continue
            extra = {"subtype": subtypes[kind]} if subtypes and subtypes.get(kind) else {}
            items.extend(
                source(user=user, customer=customer, before=before, limit=fetch + 1, **extra)
            )
        items.sort(key=lambda item: item.at, reverse=True)
        if len(items) <= fetch:
            return TimelinePage(items=items, next_before=None)
        cut = items[fetch].at
        page = [item for item in items[:fetch] if item.at != cut]
        if page:
            return TimelinePage(items=page, next_before=page[-1].at)
        # More items share one time than fit on a page: widen the page until they all fit.
        fetch *= 2


def customer_timeline(
    *,
    user: User,
    customer: Any,
    kinds: set[str] | None = None,
    before: datetime | None = None,
    limit: int = 30,
) -> list[TimelineItem]:
    """The items of the first page of ``customer_timeline_page``."""
    return customer_timeline_page(
        user=user, customer=customer, kinds=kinds, before=before, limit=limit
    ).items
