"""Run a generator in a forked child process, so producing items (generating demo data, reading
and validating an import file) overlaps consuming them (writing) on another core; and collect
garbage less often while a bulk job runs."""

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from queue import Empty, Full
from typing import Any, TypeVar

from django.core.exceptions import ValidationError

T = TypeVar("T")


def _produce(items: Callable[[], Iterable[Any]], queue: Any, parent: int, what: str) -> None:
    """In the child: put each item on ``queue``, then None (or the error). Exits when the parent
    has gone (killed mid-way) instead of waiting forever on a full queue."""

    def put(item: object) -> None:
        while True:
            try:
                queue.put(item, timeout=2)
                return
            except Full:
                if os.getppid() != parent:
                    os._exit(1)

    try:
        for item in items():
            put(item)
        put(None)
    except ValidationError as exc:  # the user's error, raised as such by the parent
        put(ValidationError(exc.messages))
    except BaseException as exc:  # reported to the parent, which raises it
        put(RuntimeError(f"{what} failed: {exc!r}"))


def iterate_in_child(items: Callable[[], Iterable[T]], *, what: str) -> Iterator[T]:
    """Yield what ``items()`` yields, computed in a forked child (a few items ahead)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=3)
    child = context.Process(target=_produce, args=(items, queue, os.getpid(), what), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = queue.get(timeout=5)
            except Empty:
                if not child.is_alive():
                    raise RuntimeError(f"{what} stopped unexpectedly") from None
                continue
            if item is None:
                break
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


_collections_lock = threading.Lock()
_collections_held = 0  # bulk jobs running in this process
_thresholds = gc.get_threshold()  # to put back when the last one ends


@contextmanager
def fewer_collections(threshold: int = 200_000) -> Iterator[None]:
    """Run the block with Python's cyclic garbage collector out of the way: what exists now is
    frozen (never scanned again until the end; a forked child inherits that, and shares those
    pages instead of copying them), and a young-generation collection waits for ``threshold``
    new containers instead of 700. A bulk job makes millions of short-lived tuples, lists and
    dicts (rows read, unpickled, inserted): with the default thresholds the collector ran
    thousands of times per 100,000 imported rows, each older-generation pass scanning the
    whole heap (8–16% of the import's time, more as the heap grew).

    The collector is the process's: when bulk jobs overlap (two task-worker threads), the
    first to start holds it back and the last to finish puts it back."""
    global _collections_held, _thresholds  # the collector is per process
    with _collections_lock:
        if _collections_held == 0:
            _thresholds = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(threshold, *_thresholds[1:])
        _collections_held += 1
    try:
        yield
    finally:
        with _collections_lock:
            _collections_held -= 1
            if _collections_held == 0:
                gc.set_threshold(*_thresholds)
                gc.unfreeze()
