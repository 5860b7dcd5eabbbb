"""The overview's figures for a viewer who sees part of the archive are kept between views: the
first view reads the scope and keeps its figures, later views read the kept row; a new refresh
or figures over ten minutes old queue one computation in the background; the lists are
checked against the scope on every view."""

from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.analytics import selectors, services
from kehu.analytics.models import AnalyticsRun, CustomerValue, KeptScope
from kehu.customers.models import Customer

from .conftest import TODAY


def latest() -> AnalyticsRun:
    run = selectors.run_latest_done()
    assert run is not None
    return run


def refresh():
    run = services.analytics_run_create()
    run.as_of = TODAY
    run.save()
    return services.analytics_run_execute(run_id=run.pk)


def scope_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if "MATERIALIZED" in q["sql"]]


def test_the_first_view_reads_the_scope_and_later_views_the_kept_figures(rep, refreshed):
    run = latest()
    with CaptureQueriesContext(connection) as first:
        figures = selectors.scope_figures(user=rep, run=run)
    assert len(scope_reads(first.captured_queries)) == 1
    assert sum(g["count"] for g in figures.segments.values()) == 2  # the rep's two buyers
    assert not figures.stale
    with CaptureQueriesContext(connection) as again:
        kept = selectors.scope_figures(user=rep, run=run)
    assert scope_reads(again.captured_queries) == []
    assert (kept.segments, kept.tiers, kept.lists) == (
        figures.segments,
        figures.tiers,
        figures.lists,
    )
    assert kept.computed_at == KeptScope.objects.get(user=rep).computed_at


def test_a_new_refresh_computes_the_kept_figures_again_in_the_background(
    rep, refreshed, buy, task_queue
):
    first = selectors.scope_figures(user=rep, run=latest())
    buy(refreshed["steady"], "2026-01-30", "700")
    run = refresh()
    assert task_queue.pending() == 1  # the rep's figures, who looked before
    shown = selectors.scope_figures(user=rep, run=run)
    assert shown.stale
    assert shown.tiers == first.tiers  # the kept figures until the new ones land
    task_queue.run_next()
    fresh = selectors.scope_figures(user=rep, run=run)
    assert not fresh.stale
    assert KeptScope.objects.get(user=rep).run == run
    revenue = sum(g["revenue"] for g in fresh.tiers.values())
    assert revenue == sum(g["revenue"] for g in first.tiers.values()) + 700


def test_kept_figures_over_ten_minutes_old_are_computed_again(
    rep, other_rep, refreshed, task_queue
):
    run = latest()
    selectors.scope_figures(user=rep, run=run)
    Customer.objects.filter(pk=refreshed["steady"].pk).update(owner=other_rep)  # handed over
    later = timezone.now() + timedelta(seconds=selectors.SCOPE_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        shown = selectors.scope_figures(user=rep, run=run)
        assert shown.stale
        assert sum(g["count"] for g in shown.segments.values()) == 2
        selectors.scope_figures(user=rep, run=run)
        assert task_queue.pending() == 1  # queued once, however often it is read meanwhile
        task_queue.run_next()
        fresh = selectors.scope_figures(user=rep, run=run)
    assert not fresh.stale
    assert sum(g["count"] for g in fresh.segments.values()) == 1


def test_a_customer_handed_away_leaves_the_lists_at_once(client, rep, other_rep, refreshed):
    CustomerValue.objects.filter(customer=refreshed["mine"]).update(churn_risk=True)
    client.force_login(rep)
    page = client.get(reverse("analytics:overview"))
    assert [c.name for c in page.context["churn"]] == ["张伟"]
    Customer.objects.filter(pk=refreshed["mine"].pk).update(owner=other_rep)
    page = client.get(reverse("analytics:overview"))
    assert page.context["figures"].lists["churn"] == [refreshed["mine"].pk]  # kept
    assert page.context["churn"] == []  # but not shown: no longer the rep's
    assert "张伟" not in page.content.decode()


def test_the_overview_says_when_the_viewers_figures_were_computed(client, rep, refreshed):
    client.force_login(rep)
    page = client.get(reverse("analytics:overview"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    kept = KeptScope.objects.get(user=rep)
    at = timezone.localtime(kept.computed_at).strftime("%Y-%m-%d %H:%M")
    assert f"您的统计更新于 {at}。" in page.content.decode()
    assert 'data-testid="scope-stale"' not in page.content.decode()


def test_the_overview_polls_while_the_viewers_figures_are_computed(
    client, rep, refreshed, task_queue
):
    client.force_login(rep)
    url = reverse("analytics:overview")
    client.get(url)
    run = refresh()  # queues the rep's figures
    page = client.get(url).content.decode()
    assert 'data-testid="scope-stale" hx-get="' in page
    waiting = client.get(url, HTTP_HX_REQUEST="true")
    assert (waiting.status_code, "HX-Refresh" in waiting) == (204, False)
    task_queue.run_next()
    assert KeptScope.objects.get(user=rep).run == run
    ready = client.get(url, HTTP_HX_REQUEST="true")
    assert (ready.status_code, ready["HX-Refresh"]) == (204, "true")
