"""The miner against mlxtend (an independent implementation, test-only) on generated baskets
with planted pairs and triples: the same itemsets with the same supports, the same rules with
the same metrics (seeded; the public data sets are in test_public_data.py)."""

import math

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import association_rules as mlx_rules
from mlxtend.frequent_patterns import fpgrowth

from kehu.basket.mining import association_rules, frequent_itemsets


def generated_baskets(seed: int, n: int, items: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    size = 1 + rng.poisson(1.5, n)
    basket = np.repeat(np.arange(n) * 7 + 3, size)  # sparse, unordered basket keys
    popularity = rng.pareto(1.2, items) + 0.1
    item = rng.choice(items, size=len(basket), p=popularity / popularity.sum())
    planted = rng.random(len(basket)) < 0.3
    item[planted] = (item[planted] * 3 + 1) % items  # partners
    order = rng.permutation(len(basket))
    return basket[order], item[order]


def oracle(basket: np.ndarray, item: np.ndarray, min_support: float, max_len: int | None):
    frame = pd.crosstab(basket, item).astype(bool)
    found = fpgrowth(frame, min_support=min_support, use_colnames=True, max_len=max_len)
    return frame, found


@pytest.mark.parametrize(
    ("seed", "n", "items", "min_support", "max_len"),
    [(1, 3000, 30, 0.005, None), (2, 5000, 60, 0.002, 3), (3, 800, 12, 0.02, None)],
)
def test_itemsets_and_rules_match_mlxtend(seed, n, items, min_support, max_len):
    # given
    basket, item = generated_baskets(seed, n, items)
    frame, expected = oracle(basket, item, min_support, max_len)
    # when
    mined = frequent_itemsets(basket, item, min_support=min_support, max_len=max_len)
    # then: the same itemsets with the same supports
    ours = {frozenset(s.items): s.support for s in mined.itemsets}
    theirs = {
        frozenset(int(i) for i in s): v
        for s, v in zip(expected.itemsets, expected.support, strict=True)
    }
    assert mined.baskets == len(frame)
    assert ours.keys() == theirs.keys()
    assert max(len(s) for s in ours) >= 3
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, abs=1e-9)
    # and the same rules with the same metrics
    rules = association_rules(mined.itemsets, min_confidence=0.1)
    reference = mlx_rules(expected, num_itemsets=len(frame), metric="confidence", min_threshold=0.1)
    ref = {
        (frozenset(int(i) for i in a), frozenset(int(i) for i in c)): row
        for a, c, row in zip(
            reference.antecedents, reference.consequents, reference.itertuples(), strict=True
        )
    }
    got = {(frozenset(r.antecedent), frozenset(r.consequent)): r for r in rules}
    assert got.keys() == ref.keys()
    assert len(got) > 10
    for split, rule in got.items():
        row = ref[split]
        assert rule.support == pytest.approx(row.support, abs=1e-9)
        assert rule.confidence == pytest.approx(row.confidence, abs=1e-9)
        assert rule.lift == pytest.approx(row.lift, abs=1e-9)
        assert rule.leverage == pytest.approx(row.leverage, abs=1e-9)
        if math.isinf(rule.conviction):
            assert math.isinf(row.conviction)
        else:
            assert rule.conviction == pytest.approx(row.conviction, abs=1e-9)


def test_duplicate_lines_count_once_and_support_is_checked():
    basket = np.array([1, 1, 1, 2, 2, 3])
    item = np.array([5, 5, 6, 5, 6, 6])
    mined = frequent_itemsets(basket, item, min_support=0.5)
    assert {s.items: s.count for s in mined.itemsets} == {(5,): 2, (6,): 3, (5, 6): 2}
    assert [
        s.items for s in frequent_itemsets(basket, item, min_support=0.1, min_count=3).itemsets
    ] == [(6,)]
    with pytest.raises(ValueError, match="min_support"):
        frequent_itemsets(basket, item, min_support=0)
