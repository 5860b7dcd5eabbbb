"""BG/NBD and Gamma-Gamma against the published CDNOW results (Fader, Hardie & Lee 2005)."""

import numpy as np
import pytest

from kehu.analytics.btyd import BGNBD, FitError, bgnbd_fit, bgnbd_log_likelihood, gamma_gamma_fit
from kehu.analytics.tests.cdnow import table


@pytest.fixture(scope="module")
def cdnow():
    data = table("cdnow_customers_summary.csv")
    assert len(data) == 2357
    return data["frequency"], data["recency"], data["T"]


@pytest.fixture(scope="module")
def fitted(cdnow):
    return bgnbd_fit(*cdnow)


def test_bgnbd_reproduces_the_published_parameters(fitted):
    # "Counting your customers the easy way", table of estimates: r, α, a, b and LL
    assert fitted.r == pytest.approx(0.243, abs=5e-4)
    assert fitted.alpha == pytest.approx(4.414, abs=5e-3)
    assert fitted.a == pytest.approx(0.793, abs=5e-4)
    assert fitted.b == pytest.approx(2.426, abs=5e-3)
    assert fitted.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_bgnbd_log_likelihood_at_the_published_parameters(cdnow, fitted):
    published = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0)
    assert bgnbd_log_likelihood(published, *cdnow) == pytest.approx(-9582.4, abs=0.5)
    # the optimum is at least as good as the rounded published point
    assert fitted.log_likelihood >= bgnbd_log_likelihood(published, *cdnow)


def test_conditional_expectation_of_the_papers_example_customer(fitted):
    # E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226
    expected = fitted.expected_purchases(39, np.array([2.0]), np.array([30.43]), np.array([38.86]))
    assert expected[0] == pytest.approx(1.226, abs=5e-4)


def test_p_alive_is_one_without_repeat_and_falls_with_silence(fitted):
    x = np.array([0.0, 5.0, 5.0])
    t_x = np.array([0.0, 38.0, 5.0])
    T = np.array([38.86, 38.86, 38.86])
    p = fitted.p_alive(x, t_x, T)
    assert p[0] == 1.0
    assert 0.85 < p[1] < 1.0
    assert p[2] < 0.2


def test_gamma_gamma_reproduces_the_published_parameters():
    data = table("cdnow_customers_summary_with_transactions.csv")
    model = gamma_gamma_fit(data["x"], data["zbar"])
    # "RFM and CLV" / Fader & Hardie's Gamma-Gamma note: p = 6.25, q = 3.74, γ = 15.44
    assert model.p == pytest.approx(6.25, abs=5e-3)
    assert model.q == pytest.approx(3.74, abs=5e-3)
    assert model.gamma == pytest.approx(15.44, abs=1e-2)
    # a customer with many repeat purchases keeps nearly their own mean
    spend = model.expected_spend(np.array([0.0, 50.0]), np.array([0.0, 40.0]))
    assert spend[0] == pytest.approx(model.p * model.gamma / (model.q - 1))
    assert 38 < spend[1] < 40


def test_gamma_gamma_without_repeat_customers_is_an_error():
    with pytest.raises(FitError):
        gamma_gamma_fit(np.zeros(3), np.zeros(3))
