"""Next best products (下一步推荐) for one customer, from their own history and the mined pairs.

Pure: the selector feeds it the customer's lines, the pair rules and the popularity; the
offline evaluation (bench/basket.py) feeds it generated histories. Three sources, scored on one
scale (an estimate of the chance the product is in the next order):
- due again: a product bought on several days, whose usual interval has (nearly) passed;
- bought with: the confidence of a mined rule X → Y for products X the customer bought,
  weighted down by how long ago X was bought;
- the customer's own share and the overall popularity, as a prior.
Products bought in the last ``just_bought_days`` (unless due again) and discontinued ones are
left out.
"""

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

DUE_SHARE = 0.8  # due once 80% of the usual interval has passed
RECENCY_DAYS = 180.0  # a purchase's weight for "bought with" halves every this many days
OWN_WEIGHT = 0.6
POPULAR_WEIGHT = 0.3


@dataclass(frozen=True)
class Pair:
    consequent: int
    confidence: float
    lift: float


@dataclass(frozen=True)
class Suggestion:
    product: int
    score: float
    reason: str  # "due", "bought_with", "favourite", "popular"
    # due: (usual interval, days since last); bought_with: (antecedent id, confidence, lift)
    detail: tuple[float, ...]


def recommend(
    *,
    products: np.ndarray,
    days: np.ndarray,
    today: int,
    pairs: dict[int, list[Pair]],
    popularity: dict[int, float],
    excluded: set[int],
    limit: int = 10,
    just_bought_days: int = 14,
) -> list[Suggestion]:
    """``products``/``days``: the customer's order lines (product id, day number), any order;
    ``popularity``: product id → share of baskets; ``excluded``: discontinued products."""
    score: dict[int, float] = defaultdict(float)
    best: dict[int, tuple[float, str, tuple[float, ...]]] = {}

    def add(product: int, value: float, reason: str, detail: tuple[float, ...]) -> None:
        score[product] += value
        if value > best.get(product, (-1.0, "", ()))[0]:
            best[product] = (value, reason, detail)

    recent: set[int] = set()
    due: set[int] = set()
    if len(products):
        order = np.lexsort((days, products))
        products, days = products[order], days[order]
        bought, start, counts = np.unique(products, return_index=True, return_counts=True)
        total_orders = len(np.unique(days))
        for product, first, n in zip(bought.tolist(), start.tolist(), counts.tolist(), strict=True):
            its_days = np.unique(days[first : first + n])
            last = int(its_days[-1])
            since = today - last
            if since < just_bought_days:
                recent.add(product)
            add(product, OWN_WEIGHT * len(its_days) / total_orders, "favourite", (len(its_days),))
            if len(its_days) >= 2:
                interval = (last - int(its_days[0])) / (len(its_days) - 1)
                if interval > 0 and since >= DUE_SHARE * interval:
                    due.add(product)
                    add(product, min(1.0, since / interval) * 0.5, "due", (interval, since))
            weight = 0.5 ** (since / RECENCY_DAYS)
            for pair in pairs.get(product, ()):
                add(pair.consequent, pair.confidence * weight, "bought_with",
                    (product, pair.confidence, pair.lift))  # fmt: skip
    for product, share in popularity.items():
        add(product, POPULAR_WEIGHT * share, "popular", (share,))
    drop = excluded | (recent - due)
    ranked = sorted((p for p in score if p not in drop), key=lambda p: (-score[p], p))[:limit]
    return [Suggestion(p, score[p], best[p][1], best[p][2]) for p in ranked]
