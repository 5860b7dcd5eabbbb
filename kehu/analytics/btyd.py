"""Buy-till-you-die models on NumPy/SciPy: BG/NBD for repeat purchasing and Gamma-Gamma for
the spend per purchase, fitted by maximum likelihood over every customer at once.

BG/NBD: Fader, Hardie & Lee, "Counting your customers the easy way: an alternative to the
Pareto/NBD model" (Marketing Science, 2005). Gamma-Gamma: Fader, Hardie & Lee, "RFM and CLV:
using iso-value curves for customer base analysis" (JMR, 2005), with Fader & Hardie's note
"The Gamma-Gamma model of monetary value" (2013).

Input per customer: ``x`` repeat purchases (purchase days after the first), ``t_x`` the time of
the last purchase and ``T`` the age, both counted from the first purchase in one time unit.
The log-likelihoods and their gradients are vectorised; the optimiser (L-BFGS-B) works on the
logarithms of the parameters, bounded so they stay positive and finite.

SciPy is imported inside the functions: every start of Kehu imports this module, and SciPy
would add about a second to each.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
LOG_BOUNDS = (-12.0, 12.0)


class FitError(RuntimeError):
    """The optimiser did not converge: the data cannot identify the model."""


@dataclass(frozen=True)
class BGNBD:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float

    def p_alive(self, x: Array, t_x: Array, T: Array) -> Array:
        """Probability that each customer is still active at age ``T``."""
        with np.errstate(over="ignore"):
            odds = (
                self.a
                / np.maximum(self.b + x - 1, 1e-12)
                * np.exp((self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x)))
            )
        return np.where(x > 0, 1.0 / (1.0 + odds), 1.0)

    def expected_purchases(
        self,
        t: float,
        x: Array,
        t_x: Array,
        T: Array,
    ) -> Array:
        """E[Y(t) | x, t_x, T]: each customer's expected purchases in the next ``t`` units
        (equation 10 of the 2005 paper)."""
        from scipy.special import hyp2f1

        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        hyper = hyp2f1(r + x, b + x, a + b + x - 1, z)
        ratio = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
        numerator = (a + b + x - 1) / (a - 1) * (1.0 - ratio * hyper)
        with np.errstate(over="ignore"):
            odds = (
                a
                / np.maximum(b + x - 1, 1e-12)
                * np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
            )
        denominator = 1.0 + np.where(x > 0, odds, 0.0)
        return np.asarray(numerator / denominator, dtype=np.float64)


def _bgnbd_terms(
    params: Array,
    x: Array,
    t_x: Array,
    T: Array,
    by_x: tuple[Array, NDArray[np.intp]] | None = None,
) -> tuple[Array, Array]:
    """Per-customer log-likelihood and its gradient by the log-parameters (n × 4).

    ``by_x`` (the distinct repeat counts and each customer's index into them) lets the gamma
    functions, which depend on ``x`` alone, be computed once per distinct count."""
    from scipy.special import digamma, gammaln

    r, alpha, a, b = np.exp(params)
    ux, xi = by_x if by_x is not None else np.unique(x, return_inverse=True)
    g_rx, g_bx, g_abx = gammaln(r + ux)[xi], gammaln(b + ux)[xi], gammaln(a + b + ux)[xi]
    d_rx, d_bx, d_abx = digamma(r + ux)[xi], digamma(b + ux)[xi], digamma(a + b + ux)[xi]
    repeat = x > 0
    log_at, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    a1 = g_rx - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + g_bx - gammaln(b) - g_abx
    a3 = -(r + x) * log_at
    bx1 = np.where(repeat, b + x - 1, 1.0)
    a4 = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * log_atx, -np.inf)
    tail = np.logaddexp(a3, a4)
    w3 = np.exp(a3 - tail)
    w4 = np.exp(a4 - tail)
    d_r = d_rx - digamma(r) + np.log(alpha) - w3 * log_at - w4 * log_atx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    d_a = digamma(a + b) - d_abx + w4 / a
    d_b = digamma(a + b) + d_bx - digamma(b) - d_abx - w4 / bx1
    gradient = np.column_stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return a1 + a2 + tail, gradient


def bgnbd_log_likelihood(
    model: BGNBD,
    x: Array,
    t_x: Array,
    T: Array,
) -> float:
    params = np.log([model.r, model.alpha, model.a, model.b])
    return float(_bgnbd_terms(params, x, t_x, T)[0].sum())


def _compress(*columns: Array) -> tuple[list[Array], Array]:
    """Identical customers once, with a weight: the likelihood then costs per distinct row.
    (A lexsort and a diff: several times faster than ``np.unique(axis=0)``.)"""
    order = np.lexsort(columns[::-1])
    ordered = [np.asarray(column)[order] for column in columns]
    changed = np.zeros(len(order), bool)
    if len(order):
        changed[0] = True
    for column in ordered:
        changed[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(changed)
    counts = np.diff(np.append(starts, len(order))).astype(np.float64)
    return [column[starts] for column in ordered], counts


def bgnbd_fit(x: Array, t_x: Array, T: Array) -> BGNBD:
    """Maximum-likelihood BG/NBD parameters for these customers. Without repeat purchases the
    dropout process cannot be identified (``FitError``)."""
    if not np.any(np.asarray(x) > 0):
        raise FitError("no customer with repeat purchases")
    (x, t_x, T), weight = _compress(
        np.asarray(x, float), np.asarray(t_x, float), np.asarray(T, float)
    )
    scale = float(weight.sum())
    by_x = np.unique(x, return_inverse=True)

    def objective(params: Array) -> tuple[float, Array]:
        ll, gradient = _bgnbd_terms(params, x, t_x, T, by_x)
        return -float(weight @ ll) / scale, -(weight @ gradient) / scale

    from scipy.optimize import minimize

    result = minimize(objective, np.zeros(4), jac=True, method="L-BFGS-B", bounds=[LOG_BOUNDS] * 4)
    if not result.success and "ABNORMAL" not in str(result.message):
        raise FitError(str(result.message))
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    if abs(a - 1) < 1e-9:  # E[Y(t)] divides by a - 1
        raise FitError("degenerate fit (a = 1)")
    return BGNBD(r, alpha, a, b, log_likelihood=-float(result.fun) * scale)


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float
    log_likelihood: float

    @property
    def population_mean(self) -> float:
        """Expected spend per purchase of a customer we know nothing about."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("nan")

    def expected_spend(self, frequency: Array, monetary: Array) -> Array:
        """E[M | x, m_x]: the expected spend per purchase, shrunk from the customer's own mean
        toward the population's; customers without repeat purchases get the population mean."""
        p, q, gamma = self.p, self.q, self.gamma
        x = np.asarray(frequency, float)
        own = p * (gamma + x * np.asarray(monetary, float)) / np.maximum(p * x + q - 1, 1e-12)
        return np.where(x > 0, own, self.population_mean)


def _gg_terms(params: Array, x: Array, m: Array) -> tuple[Array, Array]:
    from scipy.special import digamma, gammaln

    p, q, gamma = np.exp(params)
    px = p * x
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - np.log(gamma + m * x))
    d_q = digamma(px + q) - digamma(q) + np.log(gamma) - np.log(gamma + m * x)
    d_gamma = q / gamma - (px + q) / (gamma + m * x)
    return ll, np.column_stack([d_p * p, d_q * q, d_gamma * gamma])


def gamma_gamma_fit(frequency: Array, monetary: Array) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma parameters from the customers with repeat purchases
    (``frequency`` > 0) and their mean spend per repeat purchase (``monetary`` > 0)."""
    keep = (np.asarray(frequency) > 0) & (np.asarray(monetary) > 0)
    (x, m), weight = _compress(
        np.asarray(frequency, float)[keep], np.asarray(monetary, float)[keep]
    )
    if not len(x):
        raise FitError("no customer with repeat purchases")
    scale = float(weight.sum())

    def objective(params: Array) -> tuple[float, Array]:
        ll, gradient = _gg_terms(params, x, m)
        return -float(weight @ ll) / scale, -(weight @ gradient) / scale

    from scipy.optimize import minimize

    result = minimize(objective, np.zeros(3), jac=True, method="L-BFGS-B", bounds=[LOG_BOUNDS] * 3)
    if not result.success and "ABNORMAL" not in str(result.message):
        raise FitError(str(result.message))
    p, q, gamma = (float(v) for v in np.exp(result.x))
    return GammaGamma(p, q, gamma, log_likelihood=-float(result.fun) * scale)
