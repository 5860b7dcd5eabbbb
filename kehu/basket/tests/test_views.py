from datetime import date

import pytest
from django.urls import reverse

from kehu.basket.models import AssociationRule, MiningRun
from kehu.customers.models import Segment


def _diaper_beer(shop, mined):
    p = shop["products"]
    return AssociationRule.objects.get(
        run=mined["product"], antecedent=[p["DIAPER"].pk], consequent=[p["BEER"].pk]
    )


def test_rules_page_lists_explains_and_filters(client, rep, shop, mined):
    client.force_login(rep)
    p = shop["products"]
    page = client.get(reverse("basket:rules"), {"product": p["DIAPER"].pk, "side": "antecedent"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Of the orders with 纸尿裤, 86% also had 啤酒 — 2.7 times the average." in text
    assert "basket-data" in text  # the pair chart's data
    rows = page.context["rows"]
    assert rows
    assert all(p["DIAPER"].pk in row["rule"].antecedent for row in rows)
    strong = client.get(reverse("basket:rules"), {"min_lift": "2.5"}).context["rows"]
    assert strong
    assert all(row["rule"].lift >= 2.5 for row in strong)
    by_category = client.get(reverse("basket:rules"), {"level": "category", "category": "母婴"})
    assert all(
        "母婴" in r["rule"].antecedent + r["rule"].consequent for r in by_category.context["rows"]
    )


def test_rules_page_in_chinese(client, rep, shop, mined):
    client.force_login(rep)
    page = client.get(reverse("basket:rules"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "买了纸尿裤的订单中 86% 也买了啤酒，是平均的 2.7 倍" in page.content.decode()


def test_rule_drill_down_is_scoped(client, rep, shop, mined):
    client.force_login(rep)
    rule = _diaper_beer(shop, mined)
    page = client.get(reverse("basket:rule", args=[rule.pk]))
    assert {c.name for c in page.context["customers"]} == {c.name for c in shop["mine"]}
    assert {o.customer.owner_id for o in page.context["orders"]} == {rep.pk}
    # bought diapers but never beer: only the loner (whose beer order was cancelled)
    assert [c.name for c in page.context["targets"]] == ["丙"]


def test_cross_sell_segment_lists_the_viewers_targets(client, rep, other_rep, shop, mined):
    client.force_login(rep)
    rule = _diaper_beer(shop, mined)
    response = client.post(reverse("basket:rule_segment", args=[rule.pk]), {"name": ""})
    assert response.status_code == 302
    segment = Segment.objects.get(owner=rep)
    assert segment.name == "Bought 纸尿裤, never 啤酒"
    assert segment.last_count == 1
    listed = client.get(reverse("customers:list"), {"segment": segment.pk})
    assert listed.status_code == 200


def test_product_page_shows_often_bought_with_and_buyers(client, rep, shop, mined):
    client.force_login(rep)
    page = client.get(reverse("basket:product", args=[shop["products"]["DIAPER"].pk]))
    assert "啤酒" in page.content.decode()
    assert dict(page.context["grades"])["General"] == 7  # six of mine and the loner


def test_mining_form_queues_a_run_and_refuses_reps(client, rep, admin_user, shop):
    client.force_login(rep)
    assert client.post(reverse("basket:mine"), {"level": "product"}).status_code == 403
    client.force_login(admin_user)
    response = client.post(reverse("basket:mine"), {"level": "product", "min_support": "abc"})
    assert response.status_code == 302
    assert not MiningRun.objects.exists()
    client.post(reverse("basket:mine"), {"level": "category", "min_support": "0.05"})
    assert MiningRun.objects.get().level == "category"


@pytest.mark.usefixtures("mined")
def test_suggestions_card_on_the_360_page(client, rep, other_rep, shop, time_machine):
    time_machine.move_to(date(2026, 6, 1))
    client.force_login(rep)
    customer = shop["mine"][1]
    detail = client.get(reverse("customers:detail", args=[customer.pk]))
    assert 'data-testid="suggestions-card"' in detail.content.decode()
    card = client.get(reverse("basket:suggestions", args=[customer.pk]))
    names = [s.product.name for s in card.context["suggestions"]]
    assert names
    assert "旧款" not in names
    assert client.get(reverse("basket:suggestions", args=[shop["theirs"][0].pk])).status_code == 404
