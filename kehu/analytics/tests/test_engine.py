"""Known answers, computed by hand, for RFM scores, segments, tiers, Pareto and cohorts."""

from datetime import date

import numpy as np
import pytest

from kehu.analytics.engine import (
    SEGMENTS,
    Config,
    Purchases,
    cohort_matrix,
    compute,
    day_number,
    pareto_curve,
    quintile_cuts,
    rfm_score,
    rfm_segments,
    top_share,
    value_tiers,
)


def test_quintile_scores_higher_is_better_and_recency_the_other_way():
    values = np.arange(1, 11, dtype=float)
    cuts = quintile_cuts(values)  # linear interpolation: 2.8, 4.6, 6.4, 8.2
    assert cuts.tolist() == pytest.approx([2.8, 4.6, 6.4, 8.2])
    assert rfm_score(values, cuts, higher_is_better=True).tolist() == [
        1, 1, 2, 2, 3, 3, 4, 4, 5, 5,
    ]  # fmt: skip
    assert rfm_score(values, cuts, higher_is_better=False).tolist() == [
        5, 5, 4, 4, 3, 3, 2, 2, 1, 1,
    ]  # fmt: skip


def test_fixed_thresholds_and_ties_on_a_cut_point():
    # a value equal to a cut point is not above it
    scores = rfm_score(np.array([0.0, 100.0, 100.01, 5000.0]), np.array([100, 200, 300, 400]),
                       higher_is_better=True)  # fmt: skip
    assert scores.tolist() == [1, 1, 2, 5]


def test_segments_against_the_mean_scores():
    r, f, m = np.array([5, 1, 3]), np.array([1, 5, 3]), np.array([5, 5, 1])
    # means: R 3, F 3, M 3.67 — high means above the mean
    names = [SEGMENTS[i] for i in rfm_segments(r, f, m)]
    assert names == ["important_develop", "important_retain", "general_win_back"]
    high_low = np.array([5, 1])
    names = [SEGMENTS[i] for i in rfm_segments(high_low, high_low, high_low)]
    assert names == ["important_value", "general_win_back"]
    r, f, m = np.array([5, 1, 5, 1]), np.array([5, 5, 1, 1]), np.array([1, 1, 1, 5])
    # means R 3, F 3, M 2: customers 0–2 have M 1 (low), customer 3 M 5 (high)
    names = [SEGMENTS[i] for i in rfm_segments(r, f, m)]
    assert names == ["general_value", "general_retain", "general_develop", "important_win_back"]


def test_value_tiers_at_80_and_95_percent():
    revenue = np.array([6.0, 50.0, 4.0, 30.0, 10.0])
    rank, share, tier = value_tiers(revenue, (0.80, 0.95))
    assert rank.tolist() == [4, 1, 5, 2, 3]
    assert share.tolist() == pytest.approx([0.96, 0.5, 1.0, 0.8, 0.9])
    # revenue before each: 0.9, 0, 0.96, 0.5, 0.8 → B, A, C, A, B (0.8 is not below 0.8)
    assert ["ABC"[t] for t in tier] == ["B", "A", "C", "A", "B"]


def test_pareto_and_concentration():
    revenue = np.array([6.0, 50.0, 4.0, 30.0, 10.0])
    curve = pareto_curve(revenue, points=5)  # top 0, 1, 2, 3, 4, 5 customers
    assert curve == [0.0, 50.0, 80.0, 90.0, 96.0, 100.0]
    assert top_share(revenue, 0.2) == 50.0  # one customer of five
    assert top_share(revenue, 0.1) == 50.0  # ceil(0.5) = one customer


def _days(*iso: str) -> np.ndarray:
    return np.array([day_number(date.fromisoformat(d)) for d in iso], dtype=np.int64)


def test_cohort_retention_by_first_purchase_month():
    index = np.array([0, 0, 0, 1, 1, 2])
    days = _days("2026-01-05", "2026-02-10", "2026-03-01", "2026-01-20", "2026-03-15", "2026-02-03")
    matrix = cohort_matrix(index, days, months=12)
    assert matrix["cohorts"] == ["2026-01", "2026-02", "2026-03"]
    assert matrix["sizes"] == [2, 1, 0]
    assert matrix["retention"] == [[100.0, 50.0, 100.0], [100.0, 0.0], [None]]
    # only the last two cohorts
    assert cohort_matrix(index, days, months=2)["cohorts"] == ["2026-02", "2026-03"]


def test_compute_per_customer_figures():
    # customer 7: three purchase days (one with two orders); customer 9: one day
    purchases = Purchases(
        customer=np.array([7, 7, 7, 9]),
        day=_days("2025-01-01", "2025-07-01", "2026-01-01", "2025-12-02"),
        amount=np.array([100.0, 300.0, 200.0, 50.0]),
        orders=np.array([1, 2, 1, 1]),
    )
    result = compute(purchases, today=date(2026, 1, 31), config=Config())
    c = result.columns
    assert c["customer_id"].tolist() == [7, 9]
    assert c["purchase_days"].tolist() == [3, 1]
    assert c["orders"].tolist() == [4, 1]
    assert c["revenue"].tolist() == [600.0, 50.0]
    assert c["average_order_value"].tolist() == [150.0, 50.0]
    assert c["mean_interval_days"][0] == 365 / 2
    assert np.isnan(c["mean_interval_days"][1])
    assert c["recency_days"].tolist() == [30, 60]
    assert c["spend_90"].tolist() == [200.0, 50.0]
    assert c["spend_365"].tolist() == [500.0, 50.0]  # 2025-07-01 and 2026-01-01; 2025-12-02
    assert c["spend_prev_365"].tolist() == [100.0, 0.0]
    assert c["change_365"][0] == pytest.approx(400.0)
    assert np.isnan(c["change_365"][1])
    summary = result.summary
    assert summary["customers"] == 2
    assert summary["orders"] == 5
    assert summary["repeat_rate"] == 50.0
    assert summary["average_order_value"] == 130.0
    assert (
        summary["segments"]["important_value"]["count"]
        + summary["segments"]["general_win_back"]["count"]
        == 2
    )


def test_compute_ignores_days_after_today():
    purchases = Purchases(
        customer=np.array([1, 1]),
        day=_days("2026-01-01", "2026-03-01"),
        amount=np.array([10.0, 99.0]),
        orders=np.array([1, 1]),
    )
    result = compute(purchases, today=date(2026, 1, 31), config=Config())
    assert result.columns["revenue"].tolist() == [10.0]
    assert compute(Purchases.empty(), today=date(2026, 1, 31), config=Config()).summary == {
        "customers": 0
    }
