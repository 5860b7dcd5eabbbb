"""The administrator's knobs (``settings.KEHU_ANALYTICS``, from ``KEHU_ANALYTICS_*``), read and
checked once: a wrong value stops the refresh with a clear message instead of a silent default."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kehu.analytics.engine import Config

DEFAULTS: dict[str, Any] = {
    "hour": 3,
    "tier_cuts": "80,95",
    "rfm_thresholds": "",
    "discount_rate": "10",
    "churn_p_alive_below": "50",
    "churn_min_m_score": 4,
}


def raw() -> dict[str, Any]:
    return {**DEFAULTS, **getattr(settings, "KEHU_ANALYTICS", {})}


def _numbers(name: str, text: str, count: int) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in str(text).split(","))
    except ValueError:
        values = ()
    if len(values) != count or list(values) != sorted(values):
        raise ImproperlyConfigured(f"{name} must be {count} ascending numbers separated by commas.")
    return values


def _percent(name: str, text: Any) -> float:
    (value,) = _numbers(name, str(text), 1)
    if not 0 <= value <= 100:
        raise ImproperlyConfigured(f"{name} must be a percentage from 0 to 100.")
    return value / 100


def nightly_hour() -> int:
    hour = int(raw()["hour"])
    if not 0 <= hour <= 23:
        raise ImproperlyConfigured("KEHU_ANALYTICS_HOUR must be an hour from 0 to 23.")
    return hour


def engine_config() -> Config:
    values = raw()
    cut_a, cut_b = _numbers("KEHU_ANALYTICS_TIER_CUTS", values["tier_cuts"], 2)
    if not 0 < cut_a < cut_b <= 100:
        raise ImproperlyConfigured("KEHU_ANALYTICS_TIER_CUTS must be two percentages, e.g. 80,95.")
    thresholds = None
    if str(values["rfm_thresholds"]).strip():
        # "recency days;frequency orders;monetary amount", four ascending cut points each
        parts = str(values["rfm_thresholds"]).split(";")
        if len(parts) != 3:
            raise ImproperlyConfigured(
                "KEHU_ANALYTICS_RFM_THRESHOLDS must be three groups (recency;frequency;monetary)."
            )
        thresholds = {
            name: _numbers("KEHU_ANALYTICS_RFM_THRESHOLDS", part, 4)
            for name, part in zip(("recency", "frequency", "monetary"), parts, strict=True)
        }
    m_score = int(values["churn_min_m_score"])
    if not 1 <= m_score <= 5:
        raise ImproperlyConfigured("KEHU_ANALYTICS_CHURN_M_SCORE must be a score from 1 to 5.")
    return Config(
        tier_cuts=(cut_a / 100, cut_b / 100),
        rfm_thresholds=thresholds,  # type: ignore[arg-type]
        annual_discount_rate=_percent("KEHU_ANALYTICS_DISCOUNT_RATE", values["discount_rate"]),
        churn_p_alive_below=_percent("KEHU_ANALYTICS_CHURN_P_ALIVE", values["churn_p_alive_below"]),
        churn_min_monetary_score=m_score,
    )
