"""The analytics computation on arrays: from every customer's purchase days to their value
figures (RFM, 20/80 tier, BG/NBD, Gamma-Gamma, CLV, churn risk, growth) and the archive's
summaries (repeat rate, cohorts, concentration, CLV distribution). No database here, and no
Python loop per customer or per purchase: the refresh (``kehu.analytics.services``) feeds it.

A *purchase day* is one customer's orders of one day summed (cancelled orders never arrive
here); the models count purchase days, as the published BG/NBD analyses do.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kehu.analytics.btyd import BGNBD, FitError, GammaGamma, bgnbd_fit, gamma_gamma_fit

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Numbers = NDArray[Any]  # floats or integers

EPOCH = date(1970, 1, 1)
WEEK = 7.0  # the models' time unit, as in the published CDNOW analyses

# The eight classical RFM segments, by (R high, F high, M high) against the averages.
SEGMENTS = (
    "important_value",  # R high, F high, M high   重要价值客户
    "important_retain",  # R low,  F high, M high  重要保持客户
    "important_develop",  # R high, F low,  M high 重要发展客户
    "important_win_back",  # R low, F low,  M high 重要挽留客户
    "general_value",  # R high, F high, M low      一般价值客户
    "general_retain",  # R low,  F high, M low     一般保持客户
    "general_develop",  # R high, F low,  M low    一般发展客户
    "general_win_back",  # R low,  F low,  M low   一般挽留客户
)
TIERS = ("A", "B", "C")


@dataclass(frozen=True)
class Config:
    """What an administrator may tune (``KEHU_ANALYTICS_*``; see docs/analytics.md)."""

    tier_cuts: tuple[float, float] = (0.80, 0.95)  # cumulative revenue share closing A and B
    # Fixed RFM score thresholds (four ascending cut points each: recency in days, frequency
    # in orders, monetary in money); None scores by quintiles of the archive.
    rfm_thresholds: dict[str, tuple[float, float, float, float]] | None = None
    annual_discount_rate: float = 0.10
    churn_p_alive_below: float = 0.5
    churn_min_monetary_score: int = 4
    cohort_months: int = 12


@dataclass
class Purchases:
    """Purchase days sorted by customer then day: parallel arrays, one entry a day."""

    customer: Ints
    day: Ints  # days since 1970-01-01
    amount: Floats
    orders: Ints

    @classmethod
    def empty(cls) -> "Purchases":
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))


@dataclass
class Result:
    """Per-customer columns (aligned with ``customer_id``) and the archive's summary."""

    columns: dict[str, NDArray[Any]]
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def customer_id(self) -> Ints:
        return self.columns["customer_id"]


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_from_number(number: int) -> date:
    return EPOCH + timedelta(days=int(number))


def rfm_score(values: Numbers, cuts: Floats, *, higher_is_better: bool) -> Ints:
    """Scores 1–5 against four ascending cut points: a value scores one more for every cut
    point strictly below it (recency, where less is better, the other way round)."""
    above = np.searchsorted(np.asarray(cuts, float), values, side="left").astype(np.int64)
    return 1 + above if higher_is_better else 5 - above


def quintile_cuts(values: Numbers) -> Floats:
    return np.quantile(values, [0.2, 0.4, 0.6, 0.8]) if len(values) else np.zeros(4)


def rfm_segments(r: Ints, f: Ints, m: Ints) -> Ints:
    """Index into ``SEGMENTS``: each score high when above the archive's mean score."""
    if not len(r):
        return np.zeros(0, np.int64)
    low_r = (r <= r.mean()).astype(np.int64)
    low_f = (f <= f.mean()).astype(np.int64)
    low_m = (m <= m.mean()).astype(np.int64)
    segment: Ints = low_m * 4 + low_f * 2 + low_r
    return segment


def value_tiers(revenue: Floats, cuts: tuple[float, float]) -> tuple[Ints, Floats, Ints]:
    """Rank by revenue (1 = largest; ties by position), the cumulative revenue share up to and
    including each customer, and the tier index (0 = A): a customer is in A while the
    customers before it bring less than ``cuts[0]`` of revenue, in B below ``cuts[1]``."""
    n = len(revenue)
    order = np.argsort(-revenue, kind="stable")
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(1, n + 1)
    total = float(revenue.sum())
    cumulative = np.cumsum(revenue[order]) / total if total > 0 else np.zeros(n)
    before = np.empty(n)
    before[order] = cumulative - (revenue[order] / total if total > 0 else 0)
    share = np.empty(n)
    share[order] = cumulative
    tier = np.where(before < cuts[0] - 1e-12, 0, np.where(before < cuts[1] - 1e-12, 1, 2))
    return rank, share, tier.astype(np.int64)


def pareto_curve(revenue: Floats, points: int = 100) -> list[float]:
    """Share of revenue (%) brought by the top k% of customers, k = 0…100."""
    n = len(revenue)
    total = float(revenue.sum())
    if not n or total <= 0:
        return [0.0] * (points + 1)
    cumulative = np.concatenate([[0.0], np.cumsum(np.sort(revenue)[::-1]) / total])
    at = np.ceil(np.linspace(0, n, points + 1)).astype(np.int64)
    return [round(float(v) * 100, 2) for v in cumulative[at]]


def top_share(revenue: Floats, fraction: float) -> float | None:
    total = float(revenue.sum())
    if not len(revenue) or total <= 0:
        return None
    k = int(np.ceil(fraction * len(revenue)))
    return round(float(np.sort(revenue)[::-1][:k].sum() / total) * 100, 2)


def month_number(days: Ints) -> Ints:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def cohort_matrix(index: Ints, days: Ints, months: int) -> dict[str, Any]:
    """Retention by first-purchase month: for the last ``months`` cohorts, the share of each
    cohort that bought in its month 0, 1, 2… (``index`` numbers the customers 0…n-1)."""
    if not len(days):
        return {"cohorts": [], "sizes": [], "retention": []}
    month = month_number(days)
    low = int(month.min())
    span = int(month.max()) - low + 1
    active = np.unique(index * span + (month - low))
    who, when = active // span, active % span
    first = np.full(int(who.max()) + 1, span, np.int64)
    np.minimum.at(first, who, when)
    offset = when - first[who]
    latest = span - 1
    start = max(0, latest - months + 1)
    keep = first[who] >= start
    rows = first[who][keep] - start
    width = latest - start + 1
    counts = np.bincount(rows * width + offset[keep], minlength=width * width).reshape(width, width)
    sizes = counts[:, 0]
    labels = [str(np.datetime64(low + start + i, "M")) for i in range(width)]  # "2026-01"
    retention = [
        [
            round(float(counts[i, k]) / sizes[i] * 100, 1) if sizes[i] else None
            for k in range(width - i)
        ]
        for i in range(width)
    ]
    return {"cohorts": labels, "sizes": [int(s) for s in sizes], "retention": retention}


def histogram(values: Floats, bins: int = 20) -> dict[str, list[float]]:
    """Counts over equal-width bins up to the 99th percentile, the rest in the last bin."""
    if not len(values):
        return {"edges": [], "counts": []}
    top = float(np.quantile(values, 0.99)) or float(values.max()) or 1.0
    edges = np.linspace(0.0, top, bins + 1)
    counts = np.bincount(np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1))
    return {
        "edges": [round(float(e), 2) for e in edges],
        "counts": [int(c) for c in np.pad(counts, (0, bins - len(counts)))],
    }


def _first(ids: Ints, key: Numbers, where: NDArray[np.bool_], count: int = 50) -> list[int]:
    """Up to ``count`` ids where ``where`` holds, by ascending ``key``."""
    chosen = np.flatnonzero(where)
    return [int(i) for i in ids[chosen[np.argsort(key[chosen], kind="stable")][:count]]]


def _groups(names: tuple[str, ...], group: Ints, revenue: Floats) -> dict[str, dict[str, Any]]:
    counts = np.bincount(group, minlength=len(names))
    sums = np.bincount(group, weights=revenue, minlength=len(names))
    return {
        name: {"count": int(counts[i]), "revenue": round(float(sums[i]), 2)}
        for i, name in enumerate(names)
    }


def _window(index: Ints, n: int, days: Ints, amount: Floats, low: int, high: int) -> Numbers:
    """Each customer's spend on days in (low, high]."""
    inside = (days > low) & (days <= high)
    return np.bincount(index[inside], weights=amount[inside], minlength=n)


def _change(current: Floats, previous: Floats) -> Numbers:
    """Relative change in %, NaN where there was nothing before."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(previous > 0, (current - previous) / previous * 100, np.nan)


def _by_unique(
    model: BGNBD,
    t: float,
    x: Floats,
    t_x: Floats,
    T: Floats,
    groups: Ints,
    first: Ints,
) -> Floats:
    """E[Y(t)] computed once per distinct (x, t_x, T) and spread back to the customers."""
    return model.expected_purchases(t, x[first], t_x[first], T[first])[groups]


def compute(purchases: Purchases, *, today: date, config: Config) -> Result:
    """Every value figure for the customers in ``purchases`` (days after ``today`` ignored)."""
    now = day_number(today)
    keep = purchases.day <= now
    cust, days = purchases.customer[keep], purchases.day[keep]
    amount, orders = purchases.amount[keep], purchases.orders[keep]
    customer_id, starts, index = np.unique(cust, return_index=True, return_inverse=True)
    n = len(customer_id)
    if n == 0:
        return Result(columns={"customer_id": customer_id}, summary={"customers": 0})
    index = index.astype(np.int64)
    first_day, last_day = days[starts], np.maximum.reduceat(days, starts)
    purchase_days = np.diff(np.append(starts, len(days))).astype(np.int64)
    order_count = np.add.reduceat(orders, starts).astype(np.int64)
    revenue = np.add.reduceat(amount, starts)
    aov = revenue / np.maximum(order_count, 1)
    repeat = purchase_days - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_interval = np.where(repeat > 0, (last_day - first_day) / repeat, np.nan)
    recency = now - last_day

    # RFM
    thresholds = config.rfm_thresholds or {}
    cuts = {
        "recency": np.asarray(thresholds.get("recency", quintile_cuts(recency)), float),
        "frequency": np.asarray(thresholds.get("frequency", quintile_cuts(order_count)), float),
        "monetary": np.asarray(thresholds.get("monetary", quintile_cuts(revenue)), float),
    }
    r_score = rfm_score(recency, cuts["recency"], higher_is_better=False)
    f_score = rfm_score(order_count, cuts["frequency"], higher_is_better=True)
    m_score = rfm_score(revenue, cuts["monetary"], higher_is_better=True)
    segment = rfm_segments(r_score, f_score, m_score)

    # 20/80
    rank, cumulative_share, tier = value_tiers(revenue, config.tier_cuts)

    # BG/NBD and Gamma-Gamma, in weeks
    x = repeat.astype(float)
    t_x = (last_day - first_day) / WEEK
    age = (now - first_day) / WEEK
    models: dict[str, Any] = {}
    try:
        bgnbd: BGNBD | None = bgnbd_fit(x, t_x, age)
    except (FitError, ValueError, FloatingPointError):
        bgnbd = None
    first_amount = amount[starts]
    with np.errstate(divide="ignore", invalid="ignore"):
        repeat_mean = np.where(repeat > 0, (revenue - first_amount) / repeat, 0.0)
    try:
        gamma_gamma: GammaGamma | None = gamma_gamma_fit(x, repeat_mean)
    except (FitError, ValueError, FloatingPointError):
        gamma_gamma = None
    spend = (
        gamma_gamma.expected_spend(x, repeat_mean)
        if gamma_gamma is not None and gamma_gamma.q > 1
        else aov
    )
    horizons = [7, 14, 30, 60, 90, 180, 270, 365, 545, 730, 910, 1095]
    if bgnbd is not None:
        p_alive = bgnbd.p_alive(x, t_x, age)
        span = int(age.max() * WEEK) + 1
        key = repeat * span * span + (last_day - first_day) * span + (now - first_day)
        _keys, first, groups = np.unique(key, return_index=True, return_inverse=True)
        expected = {h: _by_unique(bgnbd, h / WEEK, x, t_x, age, groups, first) for h in horizons}
        quarter_days = 365.25 / 4
        quarterly = (1 + config.annual_discount_rate) ** (1 / 4) - 1
        cum_prev = np.zeros(n)
        clv = {12: np.zeros(n), 36: np.zeros(n)}
        for k in range(1, 13):
            cum = _by_unique(bgnbd, k * quarter_days / WEEK, x, t_x, age, groups, first)
            value = (cum - cum_prev) * spend / (1 + quarterly) ** k
            clv[36] += value
            if k <= 4:
                clv[12] += value
            cum_prev = cum
        # The expected next purchase: where E[Y(t)] reaches one, between grid points.
        grid = np.array(horizons, float)
        curve = np.column_stack([expected[h] for h in horizons])
        reached = curve >= 1.0
        any_reached = reached.any(axis=1)
        j = np.argmax(reached, axis=1)
        lo_t = np.where(j > 0, grid[np.maximum(j - 1, 0)], 0.0)
        lo_v = np.where(j > 0, curve[np.arange(n), np.maximum(j - 1, 0)], 0.0)
        hi_v = curve[np.arange(n), j]
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(hi_v > lo_v, (1.0 - lo_v) / (hi_v - lo_v), 0.0)
        next_in = np.where(any_reached, lo_t + step * (grid[j] - lo_t), np.nan)
        models["bgnbd"] = {
            "r": bgnbd.r,
            "alpha": bgnbd.alpha * WEEK,  # in days, for readers
            "a": bgnbd.a,
            "b": bgnbd.b,
            "log_likelihood": bgnbd.log_likelihood,
        }
    else:
        p_alive = np.full(n, np.nan)
        expected = {h: np.full(n, np.nan) for h in horizons}
        clv = {12: np.full(n, np.nan), 36: np.full(n, np.nan)}
        next_in = np.full(n, np.nan)
    if gamma_gamma is not None:
        models["gamma_gamma"] = {
            "p": gamma_gamma.p,
            "q": gamma_gamma.q,
            "gamma": gamma_gamma.gamma,
            "log_likelihood": gamma_gamma.log_likelihood,
        }

    churn_risk = (m_score >= config.churn_min_monetary_score) & (
        p_alive < config.churn_p_alive_below
    )
    spend_90 = _window(index, n, days, amount, now - 90, now)
    spend_prev_90 = _window(index, n, days, amount, now - 180, now - 90)
    spend_365 = _window(index, n, days, amount, now - 365, now)
    spend_prev_365 = _window(index, n, days, amount, now - 730, now - 365)

    columns: dict[str, NDArray[Any]] = {
        "customer_id": customer_id,
        "first_purchase": first_day,
        "last_purchase": last_day,
        "purchase_days": purchase_days,
        "orders": order_count,
        "revenue": revenue,
        "average_order_value": aov,
        "mean_interval_days": mean_interval,
        "recency_days": recency,
        "r_score": r_score,
        "f_score": f_score,
        "m_score": m_score,
        "segment": segment,
        "revenue_rank": rank,
        "cumulative_share": cumulative_share,
        "tier": tier,
        "p_alive": p_alive,
        "expected_30": expected[30],
        "expected_90": expected[90],
        "expected_365": expected[365],
        "next_purchase_in": next_in,
        "expected_order_value": spend,
        "clv_12": clv[12],
        "clv_36": clv[36],
        "churn_risk": churn_risk,
        "spend_90": spend_90,
        "spend_prev_90": spend_prev_90,
        "change_90": _change(spend_90, spend_prev_90),
        "spend_365": spend_365,
        "spend_prev_365": spend_prev_365,
        "change_365": _change(spend_365, spend_prev_365),
    }
    total_orders = int(order_count.sum())
    delta_365 = spend_365 - spend_prev_365
    clv_known = clv[12][np.isfinite(clv[12])]
    summary = {
        "as_of": today.isoformat(),
        "customers": n,
        "orders": total_orders,
        "revenue": round(float(revenue.sum()), 2),
        "repeat_rate": round(float((purchase_days > 1).mean()) * 100, 2),
        "average_order_value": round(float(revenue.sum()) / total_orders, 2)
        if total_orders
        else None,
        "top10_share": top_share(revenue, 0.10),
        "top20_share": top_share(revenue, 0.20),
        "pareto": pareto_curve(revenue),
        "cohorts": cohort_matrix(index, days, config.cohort_months),
        "clv_histogram": histogram(clv_known),
        "clv_total": round(float(clv_known.sum()), 2),
        "rfm_cuts": {name: [float(c) for c in value] for name, value in cuts.items()},
        "rfm_means": {
            "r": round(float(r_score.mean()), 3),
            "f": round(float(f_score.mean()), 3),
            "m": round(float(m_score.mean()), 3),
        },
        "tier_cuts": list(config.tier_cuts),
        "annual_discount_rate": config.annual_discount_rate,
        "models": models,
        "segments": _groups(SEGMENTS, segment, revenue),
        "tiers": _groups(TIERS, tier, revenue),
        "churn_risk": int(churn_risk.sum()),
        # the first customers of the headline lists, so whole-archive pages read a few rows
        "lists": {
            "churn": _first(customer_id, rank, churn_risk),
            # growth needs spend in the year before (the change in % is defined), as the list
            "growth": _first(customer_id, -delta_365, (delta_365 > 0) & (spend_prev_365 > 0)),
            "decline": _first(customer_id, delta_365, delta_365 < 0),
        },
    }
    return Result(columns=columns, summary=summary)
