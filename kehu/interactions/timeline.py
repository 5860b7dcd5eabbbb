"""The customer timeline: one stream of everything that happened with a customer.

Each app that has events registers a source with ``register``; the timeline merges them, newest
first. A source returns at most ``limit`` items before ``before`` (None: from now).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.functional import Promise


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


Source = Callable[..., list[TimelineItem]]
SOURCES: dict[str, tuple[str | Promise, Source]] = {}


def register(kind: str, label: str | Promise) -> Callable[[Source], Source]:
    """Decorator: ``@register("interaction", _("Interactions"))`` on
    ``def source(*, user, customer, before, limit) -> list[TimelineItem]``."""

    def wrap(source: Source) -> Source:
        SOURCES[kind] = (label, source)
        return source

    return wrap


def customer_timeline(
    *,
    user: Any,
    customer: Any,
    kinds: set[str] | None = None,
    before: datetime | None = None,
    limit: int = 30,
) -> list[TimelineItem]:
    """The newest ``limit`` items before ``before``, from the chosen kinds (all by default)."""
    items: list[TimelineItem] = []
    for kind, (_label, source) in SOURCES.items():
        if kinds and kind not in kinds:
            continue
        items.extend(source(user=user, customer=customer, before=before, limit=limit))
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]
