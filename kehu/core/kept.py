"""Figures kept for the pages that show them and computed again in the background, one queued
computation at a time: the page shows the kept figures, marked stale, until the new ones land
(campaign results, a rep's analytics overview, the dashboards)."""

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder


def queue_once(key: str, seconds: int, task: Callable[..., Any], *args: Any) -> None:
    """Queue ``task(*args)`` unless a computation for ``key`` is queued already (for at most
    ``seconds``: a computation that never ran is queued again after that)."""
    if cache.add(f"kehu:queued:{key}", 1, seconds):
        task(*args)


def queued_started(key: str) -> None:
    """A computation for ``key`` started: a change from now on queues another."""
    cache.delete(f"kehu:queued:{key}")


class KeptEncoder(DjangoJSONEncoder):
    """JSON for kept figures that reads back as it was written: amounts stay ``Decimal`` and
    days stay ``date`` (``KeptDecoder``), where plain JSON would turn both into text."""

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return {"$decimal": str(o)}
        if isinstance(o, date) and not isinstance(o, datetime):
            return {"$date": o.isoformat()}
        return super().default(o)


def _restored(value: dict[str, Any]) -> Any:
    if len(value) == 1:
        if "$decimal" in value:
            return Decimal(value["$decimal"])
        if "$date" in value:
            return date.fromisoformat(value["$date"])
    return value


class KeptDecoder(json.JSONDecoder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "object_hook": _restored})
