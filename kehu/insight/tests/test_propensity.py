import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.accounts.models import Role
from kehu.insight import propensity, services
from kehu.insight.models import PropensityModel, PropensityScore
from kehu.insight.tests.conftest import EFFECT_DEGREE, HORIZON

pytestmark = pytest.mark.django_db

# With a 0.5 vs 0.05 planted effect on 30 % of the customers the best possible AUC is about
# 0.8; the holdout must reach 0.75, and the top decile must be at least twice the base rate.
AUC_BOUND = 0.75


@pytest.mark.parametrize("algorithm", ["logistic", "boosting"])
def test_a_model_recovers_the_planted_effect(synthetic_archive, algorithm):
    data = propensity.load_dataset(category="早教", use_sensitive=False)
    trained = propensity.train_and_score(data, horizon=HORIZON, algorithm=algorithm)
    holdout = trained.evaluation["holdout"]
    assert holdout["auc"] > AUC_BOUND, holdout
    assert holdout["lift_top_decile"] >= 2.0
    assert len(holdout["calibration"]) == 10
    top = trained.evaluation["influences"][0]
    assert top["key"] == f"education={EFFECT_DEGREE}", trained.evaluation["influences"][:3]
    assert top["ratio"] > 2


def test_training_stores_scores_and_percentiles(synthetic_archive, make_user):
    marketer = make_user(Role.MARKETER, username="mkt-model")
    model = services.propensity_model_save(
        user=marketer, data={"name": "早教倾向", "category": "早教", "horizon_days": HORIZON}
    )
    services.propensity_train(model=model, user=marketer)
    assert PropensityScore.objects.filter(model=model).count() == 600
    assert model.evaluation["holdout"]["auc"] > AUC_BOUND
    best = PropensityScore.objects.filter(model=model).order_by("-probability").first()
    assert best is not None
    assert best.percentile == 100
    # retraining replaces the scores
    services.propensity_train(model=model)
    assert PropensityScore.objects.filter(model=model).count() == 600
    # a model deleted while it trained keeps nothing (the training finds it gone)
    PropensityModel.objects.filter(pk=model.pk).delete()
    services.propensity_train(model=model)
    assert not PropensityScore.objects.filter(model_id=model.pk).exists()


def test_only_admins_enable_sensitive_fields_and_reps_may_not_model(make_user, admin_user, rep):
    marketer = make_user(Role.MARKETER, username="mkt-model2")
    with pytest.raises(ValidationError):
        services.propensity_model_save(
            user=marketer, data={"name": "m", "category": "早教", "use_sensitive": True}
        )
    model = services.propensity_model_save(
        user=admin_user, data={"name": "m", "category": "早教", "use_sensitive": True}
    )
    assert model.use_sensitive
    with pytest.raises(PermissionDenied):
        services.propensity_model_save(user=rep, data={"name": "m", "category": "早教"})


def test_too_few_buyers_is_an_explicit_error(db, make_user):
    marketer = make_user(Role.MARKETER, username="mkt-model3")
    model = services.propensity_model_save(
        user=marketer, data={"name": "m", "category": "无此类", "horizon_days": 30}
    )
    with pytest.raises(ValidationError):
        services.propensity_train(model=model)


def test_the_360_page_shows_the_scores(synthetic_archive, make_user, archivist):
    from django.test import Client

    marketer = make_user(Role.MARKETER, username="mkt-model4")
    model = services.propensity_model_save(
        user=marketer, data={"name": "早教倾向", "category": "早教", "horizon_days": HORIZON}
    )
    services.propensity_train(model=model)
    client = Client()
    client.force_login(archivist)
    customer = synthetic_archive[0]
    page = client.get(f"/customers/{customer.pk}/")
    assert b"propensity-card" in page.content
    scores = client.get(f"/api/v1/insight/customers/{customer.pk}/propensity").json()
    assert scores[0]["category"] == "早教"


def test_features_are_named_in_words_not_codes(synthetic_archive):
    from kehu.customers.models import Channel, Customer
    from kehu.insight import crosstab

    phone = Channel.objects.create(
        code="call_center_x", name="呼叫中心X", name_en="Call centre X", kind="direct"
    )
    Customer.objects.filter(pk__in=[c.pk for c in synthetic_archive[:50]]).update(
        source_channel=phone
    )
    features = {
        f.key: f for f in propensity.load_dataset(category="早教", use_sensitive=False).features
    }
    assert (features["gender=female"].zh, features["gender=female"].en) == (
        "性别：女",
        "gender: Female",
    )
    assert features["grade=important"].zh == "等级：重要"
    assert features["channel=call_center_x"].zh == "来源渠道：呼叫中心X"
    assert features["channel=call_center_x"].en == "source channel: Call centre X"
    assert crosstab.dimensions()["channel"].names == {"call_center_x": "Call centre X"} | {
        c.code: c.label for c in Channel.objects.exclude(pk=phone.pk)
    }
