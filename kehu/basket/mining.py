"""Frequent itemsets and association rules (购物篮分析), vectorised with NumPy.

Input is one row per (basket, item) — an order line, or a line mapped to its category — as
two integer arrays. Pairs are counted by pairing each line with the lines after it in the
same basket (one pass per offset, no loop per basket); itemsets of three and more items are
counted level by level (Apriori candidates) as the popcount of the AND of the items' bitsets
over the baskets. Supports and rule metrics follow the definitions of mlxtend, which the
tests use as the oracle.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import numpy as np

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Itemset:
    items: tuple[int, ...]  # item codes, ascending
    count: int
    support: float


@dataclass(frozen=True)
class Rule:
    antecedent: tuple[int, ...]
    consequent: tuple[int, ...]
    count: int
    support: float
    antecedent_support: float
    consequent_support: float
    confidence: float
    lift: float
    leverage: float
    conviction: float  # math.inf when the confidence is 1


@dataclass(frozen=True)
class Mined:
    baskets: int
    itemsets: list[Itemset]


def _dense_baskets(basket: np.ndarray, item: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Baskets renumbered 0..n-1 and the (basket, item) pairs deduplicated, sorted."""
    if len(basket) == 0:
        return 0, np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys, basket_index = np.unique(np.asarray(basket, dtype=np.int64), return_inverse=True)
    item = np.asarray(item, dtype=np.int64)
    width = int(item.max()) + 1
    pair = np.unique(basket_index.astype(np.int64) * width + item)
    return len(keys), pair // width, pair % width


def _pair_counts(basket: np.ndarray, column: np.ndarray, k: int) -> np.ndarray:
    """k×k upper-triangular co-occurrence counts of the columns; rows sorted by basket."""
    counts = np.zeros(k * k, dtype=np.int64)
    for offset in range(1, len(basket)):
        same = basket[offset:] == basket[:-offset]
        if not same.any():
            break
        first, second = column[:-offset][same], column[offset:][same]
        low, high = np.minimum(first, second), np.maximum(first, second)
        counts += np.bincount(low * k + high, minlength=k * k)
    return counts.reshape(k, k)


def frequent_itemsets(
    basket: np.ndarray,
    item: np.ndarray,
    *,
    min_support: float,
    max_len: int | None = None,
    min_count: int = 1,
    progress: Progress | None = None,
) -> Mined:
    """All itemsets in at least ``min_support`` of the baskets and in at least ``min_count``
    baskets (up to ``max_len`` items)."""
    if not 0 < min_support <= 1:
        raise ValueError("min_support must be in (0, 1]")
    report = progress or (lambda _percent: None)
    n, basket, item = _dense_baskets(basket, item)
    if n == 0:
        return Mined(0, [])
    min_count = max(math.ceil(min_support * n), min_count)
    item_counts = np.bincount(item)
    frequent = np.flatnonzero(item_counts >= min_count)
    found = [Itemset((int(i),), int(item_counts[i]), item_counts[i] / n) for i in frequent]
    report(20)
    if max_len == 1 or len(frequent) < 2:
        return Mined(n, found)
    # --- pairs, among the frequent items only
    column_of = np.full(len(item_counts), -1, dtype=np.int64)
    column_of[frequent] = np.arange(len(frequent))
    keep = column_of[item] >= 0
    basket, column = basket[keep], column_of[item[keep]]
    k = len(frequent)
    pairs = _pair_counts(basket, column, k)
    low, high = np.nonzero(np.triu(pairs, 1) >= min_count)
    level: list[tuple[int, ...]] = [
        (int(a), int(b)) for a, b in zip(low.tolist(), high.tolist(), strict=True)
    ]
    found += [
        Itemset((int(frequent[a]), int(frequent[b])), int(pairs[a, b]), pairs[a, b] / n)
        for a, b in level
    ]
    report(50)
    # --- three items and more: Apriori candidates, counted on bitsets of the baskets
    size = 2
    bits: dict[int, np.ndarray] = {}
    while level and (max_len is None or size < max_len):
        size += 1
        known = set(level)
        by_prefix: dict[tuple[int, ...], list[int]] = {}
        for itemset in level:
            by_prefix.setdefault(itemset[:-1], []).append(itemset[-1])
        candidates = [
            (*prefix, a, b)
            for prefix, lasts in by_prefix.items()
            for a, b in combinations(sorted(lasts), 2)
            if all(sub in known for sub in combinations((*prefix, a, b), size - 1))
        ]
        if not candidates:
            break
        for c in {c for candidate in candidates for c in candidate} - bits.keys():
            member = np.zeros(n, dtype=bool)
            member[basket[column == c]] = True
            bits[c] = np.packbits(member)
        level = []
        for candidate in candidates:
            joint = bits[candidate[0]] & bits[candidate[1]]
            for c in candidate[2:]:
                joint &= bits[c]
            count = int(np.bitwise_count(joint).sum())
            if count >= min_count:
                level.append(candidate)
                items = tuple(int(frequent[c]) for c in candidate)
                found.append(Itemset(items, count, count / n))
        report(min(90, 50 + 10 * (size - 2)))
    return Mined(n, found)


def association_rules(itemsets: list[Itemset], *, min_confidence: float) -> list[Rule]:
    """Every split of every frequent itemset into antecedent → consequent with at least
    ``min_confidence``; metrics as mlxtend defines them."""
    support = {itemset.items: itemset.support for itemset in itemsets}
    rules = []
    for itemset in itemsets:
        if len(itemset.items) < 2:
            continue
        for size in range(1, len(itemset.items)):
            for antecedent in combinations(itemset.items, size):
                consequent = tuple(i for i in itemset.items if i not in antecedent)
                s_a, s_c = support[antecedent], support[consequent]
                confidence = itemset.support / s_a
                if confidence < min_confidence:
                    continue
                rules.append(
                    Rule(
                        antecedent=antecedent,
                        consequent=consequent,
                        count=itemset.count,
                        support=itemset.support,
                        antecedent_support=s_a,
                        consequent_support=s_c,
                        confidence=confidence,
                        lift=confidence / s_c,
                        leverage=itemset.support - s_a * s_c,
                        conviction=(1 - s_c) / (1 - confidence) if confidence < 1 else math.inf,
                    )
                )
    return rules
