"""Figures kept for the pages that show them and computed again in the background, one queued
computation at a time: the page shows the kept figures, marked stale, until the new ones land
(campaign results, a rep's analytics overview)."""

from collections.abc import Callable
from typing import Any

from django.core.cache import cache


def queue_once(key: str, seconds: int, task: Callable[..., Any], *args: Any) -> None:
    """Queue ``task(*args)`` unless a computation for ``key`` is queued already (for at most
    ``seconds``: a computation that never ran is queued again after that)."""
    if cache.add(f"kehu:queued:{key}", 1, seconds):
        task(*args)


def queued_started(key: str) -> None:
    """A computation for ``key`` started: a change from now on queues another."""
    cache.delete(f"kehu:queued:{key}")
