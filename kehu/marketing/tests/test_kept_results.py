"""Kept results: pages and the API read a campaign's figures as last computed; a change to the
campaign, or figures over ten minutes old, queue a computation in the background, and until it
lands the kept figures show with their time and a note that newer ones are coming."""

from datetime import date, timedelta
from decimal import Decimal

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from kehu.marketing import selectors, services
from kehu.marketing.models import Campaign, KeptResults

from .conftest import order

DAY = date(2026, 5, 1)


def attribution_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "sales_order" in q["sql"]]


def test_the_first_read_computes_and_keeps_then_reads_only_what_was_kept(finished):
    first = selectors.campaign_results(finished, today=DAY)
    assert first.total.revenue == Decimal("1000")
    assert not first.stale
    kept = KeptResults.objects.get(campaign=finished)
    assert (kept.on, kept.version) == (DAY, finished.updated_at)
    with CaptureQueriesContext(connection) as queries:
        again = selectors.campaign_results(finished, today=DAY)
    assert attribution_queries(queries.captured_queries) == []  # nothing computed again
    assert len(queries) == 1  # the kept row
    assert again.total == first.total
    assert again.channels == first.channels
    assert (again.responses, again.daily) == (first.responses, first.daily)
    assert (again.target_buy_rate, again.control_buy_rate, again.lift) == (0.75, 0.5, 0.5)
    assert again.computed_at == kept.computed_at


def test_a_change_shows_the_kept_figures_as_stale_and_queues_one_computation(
    finished, marketer, task_queue
):
    selectors.campaign_results(finished, today=DAY)
    services.campaign_cost_add(user=marketer, campaign=finished, item="短信", amount="500")
    finished.refresh_from_db()
    shown = selectors.campaign_results(finished, today=DAY)
    assert shown.stale
    assert shown.total.cost == Decimal("500")  # the kept figure, before the new cost
    assert task_queue.pending() == 1
    selectors.campaign_results(finished, today=DAY)
    assert task_queue.pending() == 1  # queued once, however often it is read meanwhile
    task_queue.run_next()
    fresh = selectors.campaign_results(finished, today=DAY)
    assert not fresh.stale
    assert fresh.total.cost == Decimal("1000")
    assert fresh.total.roi == Decimal("0.0000")  # (1000 - 1000) / 1000


def test_figures_older_than_ten_minutes_are_computed_again(finished, task_queue):
    selectors.campaign_results(finished, today=DAY)
    order(finished.members.get(customer__name="张敏").customer, date(2026, 3, 12), "50")
    late = timezone.now() + timedelta(seconds=selectors.RESULTS_SECONDS + 1)
    with time_machine.travel(late, tick=False):
        shown = selectors.campaign_results(finished, today=DAY)
        assert shown.stale
        assert shown.total.revenue == Decimal("1000")
        task_queue.run_next()
        fresh = selectors.campaign_results(finished, today=DAY)
    assert not fresh.stale
    assert fresh.total.revenue == Decimal("1050")  # the new order, within the window


def test_with_tasks_run_at_once_a_read_after_a_change_is_current(
    finished, marketer, huey_immediate
):
    selectors.campaign_results(finished, today=DAY)
    services.campaign_cost_add(user=marketer, campaign=finished, item="短信", amount="500")
    finished.refresh_from_db()
    results = selectors.campaign_results(finished, today=DAY)
    assert not results.stale
    assert results.total.cost == Decimal("1000")


def test_kept_figures_are_labelled_in_the_readers_language(finished):
    with translation.override("en"):
        selectors.campaign_results(finished, today=DAY)
    with translation.override("zh-hans"):
        results = selectors.campaign_results(finished, today=DAY)
    assert results.channels["email"].label == "电子邮件"
    assert results.total.label == finished.name


def test_a_launch_keeps_the_first_figures_in_the_background(
    marketer, campaign, django_capture_on_commit_callbacks, huey_immediate
):
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_launch(user=marketer, campaign=campaign)
    kept = KeptResults.objects.get(campaign=campaign)
    assert kept.figures["total"]["members"] == Campaign.objects.get(pk=campaign.pk).member_count


def test_the_page_and_the_api_say_when_the_figures_were_computed(
    client, finished, marketer, task_queue
):
    client.force_login(marketer)
    selectors.campaign_results(finished)
    kept = KeptResults.objects.get(campaign=finished)
    at = timezone.localtime(kept.computed_at).strftime("%Y-%m-%d %H:%M")
    page = client.get(reverse("marketing:results", args=[finished.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert f"Figures as of {at}." in page.content.decode()
    assert b'data-testid="results-stale"' not in page.content
    services.campaign_cost_add(user=marketer, campaign=finished, item="短信", amount="1")
    page = client.get(
        reverse("marketing:results", args=[finished.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert f"数据截至 {at}。" in page.content.decode()
    assert "正在计算更新的数据" in page.content.decode()
    api = client.get(f"/api/v1/campaigns/{finished.pk}/results").json()
    assert api["stale"] is True
    assert api["computed_at"].startswith(kept.computed_at.isoformat()[:19])


def test_a_page_with_stale_figures_polls_until_the_new_ones_are_in(
    client, finished, marketer, task_queue
):
    client.force_login(marketer)
    url = reverse("marketing:results", args=[finished.pk])
    selectors.campaign_results(finished)
    services.campaign_cost_add(user=marketer, campaign=finished, item="短信", amount="1")
    page = client.get(url).content.decode()
    assert 'data-testid="results-stale" hx-get="' in page
    waiting = client.get(url, HTTP_HX_REQUEST="true")
    assert waiting.status_code == 204
    assert "HX-Refresh" not in waiting
    task_queue.run_next()
    ready = client.get(url, HTTP_HX_REQUEST="true")
    assert ready.status_code == 204
    assert ready["HX-Refresh"] == "true"  # the page reloads with the new figures
    assert 'data-testid="results-stale"' not in client.get(url).content.decode()


def test_after_midnight_the_kept_figures_show_while_the_days_are_computed(finished, task_queue):
    selectors.campaign_results(finished, today=DAY)
    next_day = selectors.campaign_results(finished, today=DAY + timedelta(days=1))
    assert next_day.stale  # yesterday's figures, not computed on the request
    assert task_queue.pending() == 1
    task_queue.run_next()
    kept = KeptResults.objects.get(campaign=finished)
    assert kept.on == DAY + timedelta(days=1)
    assert not selectors.campaign_results(finished, today=DAY + timedelta(days=1)).stale
