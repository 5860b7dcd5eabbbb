from datetime import date

import pytest

from kehu.basket.models import MiningRun

BASE = "/api/v1/basket"


def test_rules_are_filtered_and_paginated(client, rep, shop, mined):
    client.force_login(rep)
    diaper = shop["products"]["DIAPER"].pk
    first = client.get(f"{BASE}/rules", {"page_size": 2})
    assert first.status_code == 200
    body = first.json()
    assert len(body["results"]) == 2
    assert body["results"][0]["lift"] >= body["results"][1]["lift"]
    rest = client.get(body["next"]).json()["results"]
    assert rest
    assert {r["id"] for r in rest}.isdisjoint(r["id"] for r in body["results"])
    assert max(r["lift"] for r in rest) <= body["results"][1]["lift"]
    left = client.get(f"{BASE}/rules", {"product": diaper, "side": "antecedent"}).json()
    assert [r["consequent_names"] for r in left["results"]] == [["啤酒"]]
    top = client.get(f"{BASE}/rules", {"min_lift": 2.6}).json()["results"]
    assert any(
        r["antecedent_names"] == ["纸尿裤"] and r["consequent_names"] == ["啤酒"] for r in top
    )


def test_rules_refuse_the_anonymous(client, shop, mined):
    assert client.get(f"{BASE}/rules").status_code == 401


def test_product_associations(client, rep, shop, mined):
    client.force_login(rep)
    answer = client.get(f"{BASE}/products/{shop['products']['DIAPER'].pk}/associations")
    assert answer.status_code == 200
    assert "啤酒" in [r["consequent_names"][0] for r in answer.json()]
    assert client.get(f"{BASE}/products/999999/associations").status_code == 404


def test_product_associations_refuse_the_anonymous(client, shop, mined):
    answer = client.get(f"{BASE}/products/{shop['products']['DIAPER'].pk}/associations")
    assert answer.status_code == 401


@pytest.mark.usefixtures("mined")
def test_recommendations_for_own_customer_only(client, rep, shop, time_machine):
    time_machine.move_to(date(2026, 6, 1))
    client.force_login(rep)
    mine = client.get(f"{BASE}/customers/{shop['loner'].pk}/recommendations")
    assert mine.status_code == 200
    found = mine.json()
    assert found
    assert "旧款" not in [r["name"] for r in found]  # discontinued
    beer = next(r for r in found if r["name"] == "啤酒")  # the beer order was cancelled
    assert beer["reason"] == "bought_with"
    assert "纸尿裤" in beer["text"]
    theirs = client.get(f"{BASE}/customers/{shop['theirs'][0].pk}/recommendations")
    assert theirs.status_code == 404


def test_mining_run_request_and_status(
    client, admin_user, shop, huey_immediate, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            f"{BASE}/runs",
            {"level": "category", "min_support": 0.05},
            content_type="application/json",
        )
    assert answer.status_code == 202
    run_id = answer.json()["id"]
    status = client.get(f"{BASE}/runs/{run_id}").json()
    assert (status["status"], status["progress"], status["level"]) == ("done", 100, "category")
    bad = client.post(f"{BASE}/runs", {"min_support": 3}, content_type="application/json")
    assert bad.status_code == 422
    assert "min_support" in {e["field"] for e in bad.json()["errors"]}


def test_mining_run_refuses_a_rep(client, rep, shop):
    client.force_login(rep)
    answer = client.post(f"{BASE}/runs", {}, content_type="application/json")
    assert answer.status_code == 403
    assert not MiningRun.objects.exists()
    client.logout()
    assert client.get(f"{BASE}/runs/1").status_code == 401
