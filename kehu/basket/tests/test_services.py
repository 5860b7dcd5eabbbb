import math

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.basket import services
from kehu.basket.models import AssociationRule, MiningRun


def test_mining_stores_the_planted_pair_with_its_metrics(shop, mined):
    # 12 + 12 + 12 + 1 + 1 orders not cancelled; diapers in 14, beer in 12, both in 12
    p = shop["products"]
    run = mined["product"]
    assert (run.status, run.progress, run.baskets) == ("done", 100, 38)
    rule = AssociationRule.objects.get(
        run=run, antecedent=[p["DIAPER"].pk], consequent=[p["BEER"].pk]
    )
    assert rule.count == 12
    assert rule.support == pytest.approx(12 / 38)
    assert rule.confidence == pytest.approx(12 / 14)
    assert rule.lift == pytest.approx((12 / 14) / (12 / 38))
    assert rule.leverage == pytest.approx(12 / 38 - 14 / 38 * 12 / 38)
    back = AssociationRule.objects.get(
        run=run, antecedent=[p["BEER"].pk], consequent=[p["DIAPER"].pk]
    )
    assert back.conviction is None  # confidence 1: infinite
    assert run.rule_count == AssociationRule.objects.filter(run=run).count() > 2


def test_category_level_rules_name_categories(mined):
    rules = AssociationRule.objects.filter(run=mined["category"])
    assert rules.filter(antecedent=["母婴"], consequent=["酒水"]).exists()


def test_window_baskets_join_a_customers_orders(shop, admin_user):
    run = services.mining_run_request(
        user=admin_user, basket_mode="window", window_days=366, min_support=0.05, min_confidence=0.1
    )
    run = services.mining_run_execute(run_id=run.pk)
    p = shop["products"]
    # every customer's orders fall within one window: 13 baskets, rice with beer in 12
    assert run.baskets == 13
    rule = AssociationRule.objects.get(
        run=run, antecedent=[p["RICE"].pk], consequent=[p["BEER"].pk]
    )
    assert rule.confidence == pytest.approx(1.0)


def test_request_checks_who_and_what(shop, rep, admin_user):
    with pytest.raises(PermissionDenied):
        services.mining_run_request(user=rep)
    with pytest.raises(ValidationError) as caught:
        services.mining_run_request(
            user=admin_user, level="shelf", min_support="2", min_confidence="x", max_len=9
        )
    assert set(caught.value.message_dict) == {"level", "min_support", "min_confidence", "max_len"}
    assert not MiningRun.objects.exists()


def test_a_failed_run_is_recorded_and_stores_nothing(shop, admin_user, monkeypatch):
    run = services.mining_run_request(user=admin_user)

    def broken(*args, **kwargs):
        raise MemoryError("too big")

    monkeypatch.setattr(services, "association_rules", broken)
    with pytest.raises(MemoryError):
        services.mining_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "too big" in run.error
    assert not run.itemsets.exists()
    assert not math.isnan(run.min_support)


def test_the_task_queue_runs_the_mining(
    shop, admin_user, huey_immediate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.mining_run_request(user=admin_user, min_support=0.05)
    run.refresh_from_db()
    assert run.status == "done"
    assert run.rules.exists()
