"""Bulk-job helpers: a generator run in a forked child, and the garbage collector held back."""

import gc
import os

import pytest
from django.core.exceptions import ValidationError

from kehu.core.forked import fewer_collections, iterate_in_child


def test_items_come_from_a_child_process_in_order():
    parent = os.getpid()

    def items():
        for n in range(5):
            yield (n, os.getpid())

    got = list(iterate_in_child(items, what="counting"))
    assert [n for n, _pid in got] == [0, 1, 2, 3, 4]
    assert {pid for _n, pid in got} != {parent}


def test_a_users_error_in_the_child_reaches_the_parent_as_such():
    def items():
        yield 1
        raise ValidationError("bad row")

    with pytest.raises(ValidationError, match="bad row"):
        list(iterate_in_child(items, what="reading"))


def test_fewer_collections_puts_the_collector_back_even_after_an_error():
    before = gc.get_threshold()
    seen = {}

    def bulk_job():
        with fewer_collections(threshold=123_456):
            seen["threshold"] = gc.get_threshold()[0]
            seen["frozen"] = gc.get_freeze_count()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        bulk_job()
    assert seen["threshold"] == 123_456
    assert seen["frozen"] > 0  # what existed was frozen
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_overlapping_bulk_jobs_put_the_collector_back_when_the_last_one_ends():
    before = gc.get_threshold()
    first, second = fewer_collections(threshold=111_111), fewer_collections(threshold=222_222)
    first.__enter__()
    second.__enter__()
    assert gc.get_threshold()[0] == 111_111  # the first holds it
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] == 111_111  # the second still runs
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
