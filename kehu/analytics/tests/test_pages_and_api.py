"""The analytics pages and API: each works for its users, refuses the wrong ones, and a rep
never sees another rep's customers in any list, count or answer."""

from django.urls import reverse

from kehu.accounts.models import Role
from kehu.analytics.models import AnalyticsRun, CustomerValue

ACCEPT = "/api/v1/analytics/grades/accept"


def test_overview_shows_whole_archive_charts_to_archive_roles(client, archivist, refreshed):
    client.force_login(archivist)
    page = client.get(reverse("analytics:overview")).content.decode()
    assert 'data-testid="pareto-chart"' in page
    assert 'data-testid="cohort-chart"' in page
    assert 'id="analytics-data"' in page
    assert "王芳" in page  # in the lists


def test_a_rep_sees_only_own_customers_on_every_page(client, rep, refreshed):
    client.force_login(rep)
    page = client.get(reverse("analytics:overview")).content.decode()
    assert 'data-testid="pareto-chart"' not in page  # no whole-archive charts
    assert "王芳" not in page
    segment_counts = sum(
        int(page.split(f'data-testid="segment-{code}">')[1].split("<")[0])
        for code in [
            "important_value", "important_retain", "important_develop", "important_win_back",
            "general_value", "general_retain", "general_develop", "general_win_back",
        ]
    )  # fmt: skip
    assert segment_counts == 2  # the rep's two buyers, not the other rep's
    listing = client.get(reverse("analytics:customers")).content.decode()
    assert "张伟" in listing
    assert "李娜" in listing
    assert "王芳" not in listing
    for query in ["?tier=A", "?churn_risk=1", "?trend=growth", "?disagreement=1", "?rank_max=1"]:
        assert "王芳" not in client.get(reverse("analytics:customers") + query).content.decode()


def test_drill_down_filters_and_pages(client, archivist, refreshed):
    client.force_login(archivist)
    page = client.get(reverse("analytics:customers") + "?tier=A").content.decode()
    tiers = dict(CustomerValue.objects.values_list("customer__name", "tier"))
    for name, tier in tiers.items():
        assert (name in page) == (tier == "A")
    bad = client.get(reverse("analytics:customers") + "?p_alive_min=7", follow=True)
    assert bad.status_code == 200
    assert "Enter a probability between 0 and 1" in bad.content.decode()


def test_drill_down_is_keyset_paginated(client, archivist, refreshed, monkeypatch):
    from kehu.analytics import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client.force_login(archivist)
    first = client.get(reverse("analytics:customers"))
    assert first.context["next_query"] == "after=2"
    second = client.get(reverse("analytics:customers") + "?after=2")
    assert [c.value.revenue_rank for c in second.context["customers"]] == [3]


def test_value_card_on_the_360_page(client, rep, refreshed):
    client.force_login(rep)
    page = client.get(reverse("customers:detail", args=[refreshed["mine"].pk])).content.decode()
    assert 'data-testid="value-card"' in page
    assert 'data-testid="value-sparkline"' in page
    assert "600.00" in page


def test_refresh_page_is_for_archive_administrators(
    client, rep, archivist, shop, huey_immediate, django_capture_on_commit_callbacks
):
    client.force_login(rep)
    assert client.post(reverse("analytics:refresh")).status_code == 403
    client.force_login(archivist)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("analytics:refresh")).status_code == 302
    run = AnalyticsRun.objects.get()
    assert run.status == AnalyticsRun.Status.DONE
    status = client.get(reverse("analytics:run_status", args=[run.pk]))
    assert status.status_code == 200
    client.force_login(rep)
    assert client.get(reverse("analytics:run_status", args=[run.pk])).status_code == 403


def test_accept_grades_page(client, rep, other_rep, refreshed):
    CustomerValue.objects.update(suggested_grade="important")
    client.force_login(other_rep)
    client.post(reverse("analytics:grades_accept"), {"customer": [refreshed["mine"].pk]})
    refreshed["mine"].refresh_from_db()
    assert refreshed["mine"].grade == "general"  # not the other rep's to change
    client.force_login(rep)
    client.post(reverse("analytics:grades_accept"), {"customer": [refreshed["mine"].pk]})
    refreshed["mine"].refresh_from_db()
    assert refreshed["mine"].grade == "important"


# --- API ---------------------------------------------------------------------------------------


def test_api_customer_value(client, rep, other_rep, refreshed):
    url = f"/api/v1/analytics/customers/{refreshed['mine'].pk}"
    client.force_login(rep)
    body = client.get(url).json()
    assert body["value"]["revenue"] == "600.00"
    assert body["value"]["tier"] in {"A", "B", "C"}
    client.force_login(other_rep)
    assert client.get(url).status_code == 404


def test_api_summary_scoped(client, rep, archivist, refreshed):
    client.force_login(archivist)
    body = client.get("/api/v1/analytics/summary").json()
    assert body["whole_archive"] is True
    assert body["archive"]["customers"] == 3
    assert sum(s["count"] for s in body["segments"]) == 3
    client.force_login(rep)
    body = client.get("/api/v1/analytics/summary").json()
    assert body["whole_archive"] is False
    assert body["archive"] is None
    assert sum(s["count"] for s in body["segments"]) == 2
    assert sum(t["count"] for t in body["tiers"]) == 2


def test_api_summary_refuses_users_without_customers(client, make_user, refreshed):
    nobody = make_user(Role.SALES_REP, username="gone", is_active=False)
    client.force_login(nobody)
    assert client.get("/api/v1/analytics/summary").status_code in {401, 403}


def test_api_value_customers_scoped_and_validated(client, rep, archivist, refreshed):
    client.force_login(archivist)
    names = [c["name"] for c in client.get("/api/v1/analytics/customers").json()["results"]]
    assert names[0] == "王芳"  # rank 1
    assert len(names) == 3
    client.force_login(rep)
    names = [c["name"] for c in client.get("/api/v1/analytics/customers").json()["results"]]
    assert sorted(names) == sorted(["张伟", "李娜"])
    assert client.get("/api/v1/analytics/customers?tier=Z").status_code == 422


def test_api_refresh_and_status(
    client, rep, archivist, shop, huey_immediate, django_capture_on_commit_callbacks
):
    client.force_login(rep)
    assert client.post("/api/v1/analytics/refresh").status_code == 403
    client.force_login(archivist)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/api/v1/analytics/refresh")
    assert answer.status_code == 202
    run_id = answer.json()["id"]
    status = client.get(f"/api/v1/analytics/runs/{run_id}").json()
    assert status["status"] == "done"
    assert status["progress"] == 100
    assert client.get("/api/v1/analytics/runs/latest").json()["id"] == run_id
    client.force_login(rep)
    assert client.get(f"/api/v1/analytics/runs/{run_id}").status_code == 403
    assert client.get("/api/v1/analytics/runs/latest").status_code == 403


def test_api_accept_grades(client, rep, other_rep, refreshed):
    CustomerValue.objects.update(suggested_grade="important")
    payload = {"customer_ids": [refreshed["mine"].pk]}
    client.force_login(other_rep)
    answer = client.post(ACCEPT, payload, content_type="application/json")
    assert answer.json() == {"changed": 0}
    client.force_login(rep)
    answer = client.post(ACCEPT, payload, content_type="application/json")
    assert answer.json() == {"changed": 1}


def test_stored_headline_lists_match_the_query(archivist, refreshed, buy):
    from kehu.analytics import selectors

    run = selectors.run_latest_done()
    assert run is not None
    assert set(run.summary["lists"]) == {"churn", "growth", "decline"}
    for kind in ("churn", "growth", "decline"):
        stored = selectors.top_list(user=archivist, kind=kind, run=run)
        queried = selectors.top_list(user=archivist, kind=kind)
        assert [c.pk for c in stored] == [c.pk for c in queried]
    # 张伟 spent 500 in the last year against 100 the year before: the one growing customer
    growth = selectors.top_list(user=archivist, kind="growth", run=run)
    assert [c.name for c in growth] == ["张伟"]


def test_one_read_of_a_reps_scope_matches_the_queries_per_grid_and_list(rep, refreshed, buy):
    """The overview's single statement over a rep's scope gives what a query per grid and per
    list gives (the rep's customers only)."""
    from kehu.analytics import selectors

    CustomerValue.objects.filter(customer=refreshed["mine"]).update(
        churn_risk=True, suggested_grade="important"
    )
    run = selectors.run_latest_done()
    assert run is not None
    figures = selectors.scope_figures(user=rep, run=run)
    assert selectors.segment_grid(user=rep, run=None, figures=figures) == selectors.segment_grid(
        user=rep, run=None
    )
    assert selectors.tier_counts(user=rep, run=None, figures=figures) == selectors.tier_counts(
        user=rep, run=None
    )
    for kind in ("churn", "growth", "decline", "disagreement"):
        queried = [c.pk for c in selectors.top_list(user=rep, kind=kind)]
        assert selectors.scope_list(user=rep, ids=figures.lists[kind]) == list(
            selectors.top_list(user=rep, kind=kind)
        )
        assert figures.lists[kind] == queried
    assert figures.lists["churn"] == [refreshed["mine"].pk]
    visible = set(selectors.values_visible_to(rep).values_list("customer_id", flat=True))
    assert all(pk in visible for ids in figures.lists.values() for pk in ids)


def test_drill_down_lists_export_through_the_customer_export(client, archivist, rep, refreshed):
    client.force_login(archivist)
    page = client.get("/analytics/customers/?tier=A&clv_min=100").content.decode()
    link = page.split('data-testid="value-export"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert link.startswith("/exports/new/?")
    assert "value_tier=A" in link
    assert "clv_min=100" in link
    assert client.get(link.replace("&amp;", "&")).status_code == 200
    # churn risk has no counterpart in the customer list's filters: no export offered
    page = client.get("/analytics/customers/?churn_risk=1").content.decode()
    assert 'data-testid="value-export"' not in page
    client.force_login(rep)  # reps may not export
    page = client.get("/analytics/customers/?tier=A").content.decode()
    assert 'data-testid="value-export"' not in page
