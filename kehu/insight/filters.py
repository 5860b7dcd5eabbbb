"""The propensity condition of the customer list and segments: customers whose score under a
model is at least a percentile and/or a probability. Imports no selectors, so the customer list
can use it."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from kehu.insight.models import PropensityModel, PropensityScore


def _number(raw: Any, *, low: float, high: float, name: str, message: str) -> float | None:
    if raw in (None, ""):
        return None
    try:
        number = float(raw)
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        raise ValidationError({name: [message]})
    return number


def propensity_q(filters: Any) -> Q:
    """``CustomerFilters.propensity_*`` as a condition on customers (ids from the score table,
    on its (model, percentile) index); raise ``ValidationError`` for an unknown model or a
    threshold out of range. Without a threshold: every customer the model scored."""
    model_id = getattr(filters, "propensity_model", None)
    percentile = _number(
        getattr(filters, "propensity_percentile_min", ""),
        low=0,
        high=100,
        name="propensity_percentile_min",
        message=_("Enter a percentile from 0 to 100."),
    )
    probability = _number(
        getattr(filters, "propensity_probability_min", ""),
        low=0,
        high=1,
        name="propensity_probability_min",
        message=_("Enter a probability between 0 and 1, e.g. 0.5."),
    )
    if model_id is None:
        if percentile is not None or probability is not None:
            raise ValidationError({"propensity_model": [_("Choose a propensity model.")]})
        return Q()
    if not PropensityModel.objects.filter(pk=model_id).exists():
        raise ValidationError({"propensity_model": [_("Unknown propensity model.")]})
    scores = PropensityScore.objects.filter(model_id=model_id)
    if percentile is not None:
        scores = scores.filter(percentile__gte=percentile)
    if probability is not None:
        scores = scores.filter(probability__gte=probability)
    return Q(pk__in=scores.values("customer_id"))
