"""Frequent itemsets and association rules (购物篮分析), vectorised with NumPy and SciPy.

Input is one row per (basket, item) — an order line, or a line mapped to its category — as
two integer arrays. The lines become a sparse basket × item matrix (CSR, one per basket and
item however many lines repeat it; no sort of the lines: baskets and items are renumbered
through a presence table when their keys are compact). Item supports are its column counts,
pairs are counted at once as the sparse product ``Xᵀ X`` over the frequent items, and
itemsets of three and more items level by level (Apriori candidates) as the popcount of the
AND of the items' bitsets over the baskets, one NumPy call for all the candidates that share
their first items. Supports and rule metrics follow the definitions of mlxtend, which the
tests use as the oracle.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy import sparse

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


def _renumber(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys, ascending, and each key's index among them. Compact keys (order
    ids, product ids) go through a presence table, O(n); scattered ones are sorted."""
    low, high = int(keys.min()), int(keys.max())
    span = high - low + 1
    if span > 2 * len(keys) + 1_000_000:
        distinct, index = np.unique(keys, return_inverse=True)
        return distinct, index.astype(np.int32 if len(distinct) < 2**31 else np.int64)
    offset = keys - low
    present = np.zeros(span, dtype=bool)
    present[offset] = True
    rank = np.cumsum(present, dtype=np.int64 if span >= 2**31 else np.int32)
    return np.flatnonzero(present) + low, rank[offset] - 1


def basket_matrix(basket: np.ndarray, item: np.ndarray) -> tuple[sparse.csr_array, np.ndarray]:
    """The baskets × distinct items 0/1 matrix (CSR, int32) and the items' codes."""
    basket = np.asarray(basket, dtype=np.int64)
    item = np.asarray(item, dtype=np.int64)
    if len(basket) == 0:
        return sparse.csr_array((0, 0), dtype=np.int32), np.zeros(0, np.int64)
    baskets, row = _renumber(basket)
    codes, column = _renumber(item)
    ones = np.ones(len(row), dtype=np.int32)
    matrix = sparse.csr_array((ones, (row, column)), shape=(len(baskets), len(codes)))
    matrix.sum_duplicates()
    matrix.data[:] = 1  # an item twice in a basket counts once
    return matrix, codes


def _bitsets(columns: sparse.csc_array, n: int, used: np.ndarray) -> np.ndarray:
    """For each column in ``used`` (the others: zeros, never read), the baskets holding it as
    a bitset of n bits (uint64 words). Only the columns in some frequent pair are built:
    n/8 bytes each."""
    words = (n + 63) // 64
    bits = np.zeros((len(used), words * 8), dtype=np.uint8)
    for row, c in enumerate(used.tolist()):
        member = np.zeros(words * 64, dtype=bool)
        member[columns.indices[columns.indptr[c] : columns.indptr[c + 1]]] = True
        bits[row] = np.packbits(member)
    return bits.view(np.uint64)


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
    matrix, codes = basket_matrix(basket, item)
    n = matrix.shape[0]
    if n == 0:
        return Mined(0, [])
    min_count = max(math.ceil(min_support * n), min_count)
    item_counts = np.bincount(matrix.indices, minlength=len(codes))
    frequent = np.flatnonzero(item_counts >= min_count)
    found = [Itemset((int(codes[i]),), int(item_counts[i]), item_counts[i] / n) for i in frequent]
    report(20)
    if max_len == 1 or len(frequent) < 2:
        return Mined(n, found)
    # --- pairs, among the frequent items only: Xᵀ X
    names = codes[frequent]
    x = matrix[:, frequent] if len(frequent) < len(codes) else matrix
    x = sparse.csr_array(x)
    columns = sparse.csc_array(x)
    together = sparse.triu(sparse.csr_array(columns.T) @ x, k=1).tocoo()
    keep = together.data >= min_count
    low, high, count = together.row[keep], together.col[keep], together.data[keep]
    order = np.lexsort((high, low))
    low, high, count = low[order].tolist(), high[order].tolist(), count[order].tolist()
    level: list[tuple[int, ...]] = list(zip(low, high, strict=True))
    found += [
        Itemset((int(names[a]), int(names[b])), c, c / n)
        for a, b, c in zip(low, high, count, strict=True)
    ]
    report(50)
    # --- three items and more: Apriori candidates, counted on bitsets of the baskets
    size = 2
    bits: np.ndarray | None = None
    while level and (max_len is None or size < max_len):
        size += 1
        known = set(level)
        by_prefix: dict[tuple[int, ...], list[int]] = {}
        for itemset in level:
            by_prefix.setdefault(itemset[:-1], []).append(itemset[-1])
        if bits is None:
            used = np.unique(np.array(level, dtype=np.int64))
            bits = _bitsets(columns, n, used)
            at = np.full(columns.shape[1], -1, dtype=np.int64)
            at[used] = np.arange(len(used))
        level = []
        for prefix, lasts in by_prefix.items():
            if len(lasts) < 2:
                continue
            base = None
            for i, a in enumerate(lasts[:-1]):
                head = (*prefix, a)
                # every subset is frequent: without b and without a hold by construction
                tails = [
                    b
                    for b in lasts[i + 1 :]
                    if all(
                        (*prefix[:j], *prefix[j + 1 :], a, b) in known for j in range(len(prefix))
                    )
                ]
                if not tails:
                    continue
                if base is None:
                    base = bits[at[prefix[0]]].copy()
                    for c in prefix[1:]:
                        base &= bits[at[c]]
                joint = base & bits[at[a]]
                counts = np.bitwise_count(bits[at[tails]] & joint).sum(axis=1, dtype=np.int64)
                for b, c in zip(tails, counts.tolist(), strict=True):
                    if c >= min_count:
                        level.append((*head, b))
                        items = tuple(int(names[i]) for i in (*head, b))
                        found.append(Itemset(items, c, c / n))
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
