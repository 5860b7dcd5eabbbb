"""Reads of profile insight: saved views, propensity models with what a user may read of their
explanations, a customer's scores."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import get_language

from kehu.accounts.models import User
from kehu.core.access import SensitiveGroup, can_reveal, can_see_customers
from kehu.insight.models import CrossTabView, PropensityModel, PropensityScore

# A sensitive feature's name is shown only to roles that may reveal these groups.
SENSITIVE_GROUPS = (SensitiveGroup.FAMILY, SensitiveGroup.FINANCE)


def crosstab_views_for(user: User) -> QuerySet[CrossTabView]:
    return CrossTabView.objects.filter(owner=user)


def crosstab_view_get(*, user: User, view_id: int) -> CrossTabView:
    view = crosstab_views_for(user).filter(pk=view_id).first()
    if view is None:
        raise Http404
    return view


def models_for(user: User) -> QuerySet[PropensityModel]:
    """Every model for those who see customers (scores follow the customer's scope)."""
    if not can_see_customers(user):
        return PropensityModel.objects.none()
    return PropensityModel.objects.all()


def model_get(*, user: User, model_id: int) -> PropensityModel:
    model = models_for(user).filter(pk=model_id).first()
    if model is None:
        raise Http404
    return model


def influences_for(*, user: User, model: PropensityModel) -> list[dict[str, Any]]:
    """The model's most influential features in words, in the user's language; a sensitive one
    is named only to roles that may reveal family and finance fields."""
    may = all(can_reveal(user, group) for group in SENSITIVE_GROUPS)
    zh = (get_language() or "").startswith("zh")
    out = []
    for item in (model.evaluation or {}).get("influences", []):
        if item.get("sensitive") and not may:
            continue
        out.append({"text": item["zh"] if zh else item["en"], "ratio": item["ratio"]})
    return out


def scores_for_customer(*, customer_id: int) -> QuerySet[PropensityScore]:
    """The scores of a customer the caller fetched through a scoped selector."""
    return (
        PropensityScore.objects.filter(customer_id=customer_id)
        .select_related("model")
        .order_by("-percentile")
    )
