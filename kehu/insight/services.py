"""Every write of profile insight: saved cross-tab views, propensity models and their scores."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.access import can_manage_accounts, can_model_propensity, require
from kehu.core.exceptions import Conflict
from kehu.customers.models import Segment
from kehu.insight import propensity
from kehu.insight.crosstab import MEASURES, dimensions
from kehu.insight.models import CrossTabView, PropensityModel, PropensityScore

MODEL_REFUSED = _("Only marketers, archive administrators and admins build propensity models.")
SCORE_BATCH = 5000


@transaction.atomic
def crosstab_view_save(
    *, user: User, name: str, rows: str, columns: str, measure: str
) -> CrossTabView:
    """Save a cross-tab as the user's own view."""
    errors: dict[str, list[str]] = {}
    dims = dimensions(user)
    name = name.strip()
    if not name or len(name) > 100:
        errors["name"] = [_("Give the view a name (at most 100 characters).")]
    for key, value in (("rows", rows), ("columns", columns)):
        if value not in dims:
            errors[key] = [_("Choose a dimension.")]
    if measure not in MEASURES:
        errors["measure"] = [_("Choose a measure.")]
    if errors:
        raise ValidationError(errors)
    return CrossTabView.objects.create(
        owner=user, name=name, rows=rows, columns=columns, measure=measure
    )


@transaction.atomic
def crosstab_view_delete(*, user: User, view: CrossTabView) -> None:
    if view.owner_id != user.pk:
        raise ValidationError(_("Only the owner deletes a view."))
    view.delete()


@transaction.atomic
def propensity_model_delete(*, user: User, model: PropensityModel) -> None:
    """Delete a model and its scores; refused while a segment selects customers by it (its
    campaigns and refreshes would find nothing to select by)."""
    require(user, can_model_propensity, MODEL_REFUSED)
    using = [
        segment.name
        for segment in Segment.objects.filter(filters__has_key="propensity_model").only(
            "name", "filters"
        )
        if str(segment.filters.get("propensity_model")) == str(model.pk)
    ]
    if using:
        raise Conflict(
            _("Segments select customers by this model: %(names)s. Change them first.")
            % {"names": "、".join(sorted(using))}
        )
    model.delete()


@transaction.atomic
def propensity_model_save(*, user: User, data: dict[str, Any]) -> PropensityModel:
    """Define a model: a product category, the days ahead, the algorithm."""
    require(user, can_model_propensity, MODEL_REFUSED)
    errors: dict[str, list[str]] = {}
    name = str(data.get("name") or "").strip()
    category = str(data.get("category") or "").strip()
    horizon = int(data.get("horizon_days") or 90)
    algorithm = data.get("algorithm") or PropensityModel.Algorithm.LOGISTIC
    if not name or len(name) > 100:
        errors["name"] = [_("Give the model a name (at most 100 characters).")]
    if not category:
        errors["category"] = [_("Choose a product category.")]
    if not 7 <= horizon <= 365:
        errors["horizon_days"] = [_("Between 7 and 365 days.")]
    if algorithm not in PropensityModel.Algorithm.values:
        errors["algorithm"] = [_("Choose an algorithm.")]
    use_sensitive = bool(data.get("use_sensitive"))
    if use_sensitive and not can_manage_accounts(user):
        errors["use_sensitive"] = [_("Only an administrator may let a model use sensitive fields.")]
    if errors:
        raise ValidationError(errors)
    return PropensityModel.objects.create(
        name=name,
        category=category,
        horizon_days=horizon,
        algorithm=algorithm,
        use_sensitive=use_sensitive,
        created_by=user,
    )


def propensity_train(*, model: PropensityModel, user: User | None = None) -> PropensityModel:
    """Train, evaluate on the time-based holdout and store every customer's score (replacing
    the previous ones). Idempotent; the background refresh calls it with ``user`` None."""
    if user is not None:
        require(user, can_model_propensity, MODEL_REFUSED)
    data = propensity.load_dataset(category=model.category, use_sensitive=model.use_sensitive)
    try:
        trained = propensity.train_and_score(
            data, horizon=model.horizon_days, algorithm=model.algorithm
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    ranks = propensity.percentiles(trained.probabilities)
    with transaction.atomic():
        if not PropensityModel.objects.select_for_update().filter(pk=model.pk).exists():
            return model  # deleted while it trained: nothing to keep
        PropensityScore.objects.filter(model=model).delete()
        rows = [
            PropensityScore(
                model=model, customer_id=int(c), probability=float(p), percentile=int(r)
            )
            for c, p, r in zip(trained.customer_ids, trained.probabilities, ranks, strict=True)
        ]
        for start in range(0, len(rows), SCORE_BATCH):
            PropensityScore.objects.bulk_create(rows[start : start + SCORE_BATCH])
        model.evaluation = trained.evaluation
        model.trained_at = timezone.now()
        model.save(update_fields=["evaluation", "trained_at", "updated_at"])
    return model
