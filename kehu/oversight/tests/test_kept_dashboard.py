"""Kept dashboards: pages, the API and the digest read a scope's figures as last computed; new
data (an order, a payment, a case…), the next day or figures over KEPT_SECONDS old queue one
computation in the background, and until it lands the kept figures show with their time and a
note that newer ones are coming."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from kehu.customers.tests.factories import make_person
from kehu.oversight import kpis, services
from kehu.oversight.models import KeptDashboard

from .conftest import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

MONTH = kpis.KpiFilters(period="month")


@pytest.fixture
def sold(rep, other_rep, sell):
    sell(make_person(rep, name="甲"), "1000", date(2026, 6, 5), paid=Decimal("400"))
    sell(make_person(other_rep, name="乙"), "500", date(2026, 6, 2), user=other_rep)


def test_the_first_read_computes_and_keeps_then_reads_only_what_was_kept(sold, leader):
    first = kpis.dashboard_kept(user=leader, filters=MONTH)
    assert first.figures["revenue"] == Decimal("1500.00")
    assert not first.stale
    with CaptureQueriesContext(connection) as queries:
        again = kpis.dashboard_kept(user=leader, filters=MONTH)
    sql = [q["sql"] for q in queries.captured_queries]
    # Nothing computed again: the data version (the newest row of nine tables), the kept row.
    assert [s for s in sql if not s.startswith("SELECT MAX(")] == [
        s for s in sql if "oversight_keptdashboard" in s
    ]
    assert len(sql) == 10
    computed = kpis.dashboard(user=leader, filters=MONTH)
    # Read back exactly as computed: amounts stay Decimal, days stay dates.
    for name in ("figures", "before", "targets", "composition", "risks", "trend"):
        assert getattr(again, name) == getattr(computed, name), name
    assert (again.span, again.previous) == (computed.span, computed.previous)
    assert again.computed_at == KeptDashboard.objects.get().computed_at


def test_new_data_shows_the_kept_figures_as_stale_and_queues_one_computation(
    sold, leader, rep, sell, task_queue
):
    kpis.dashboard_kept(user=leader, filters=MONTH)
    sell(make_person(rep, name="丙"), "200", date(2026, 6, 12))
    shown = kpis.dashboard_kept(user=leader, filters=MONTH)
    assert shown.stale
    assert shown.figures["revenue"] == Decimal("1500.00")  # the kept figure, before the order
    assert task_queue.pending() == 1
    kpis.dashboard_kept(user=leader, filters=MONTH)
    assert task_queue.pending() == 1  # queued once, however often it is read meanwhile
    task_queue.run_next()
    fresh = kpis.dashboard_kept(user=leader, filters=MONTH)
    assert not fresh.stale
    assert fresh.figures["revenue"] == Decimal("1700.00")


def test_figures_older_than_kept_seconds_are_computed_again(sold, leader, task_queue):
    kpis.dashboard_kept(user=leader, filters=MONTH)
    late = timezone.now() + timedelta(seconds=kpis.KEPT_SECONDS + 1)
    with time_machine.travel(late, tick=False):
        assert kpis.dashboard_kept(user=leader, filters=MONTH).stale
        assert task_queue.pending() == 1
        task_queue.run_next()
        assert not kpis.dashboard_kept(user=leader, filters=MONTH).stale


def test_after_midnight_the_kept_figures_show_while_the_days_are_computed(sold, leader, task_queue):
    kpis.dashboard_kept(user=leader, filters=MONTH, today=TODAY)
    tomorrow = TODAY + timedelta(days=1)
    assert kpis.dashboard_kept(user=leader, filters=MONTH, today=tomorrow).stale
    task_queue.run_next()
    assert KeptDashboard.objects.get().on == tomorrow
    assert not kpis.dashboard_kept(user=leader, filters=MONTH, today=tomorrow).stale


def test_each_scope_keeps_its_own_figures(sold, leader, admin_user, rep, other_rep):
    assert kpis.dashboard_kept(user=leader, filters=MONTH).figures["revenue"] == Decimal("1500")
    assert kpis.dashboard_kept(user=rep, filters=MONTH).figures["revenue"] == Decimal("1000")
    assert kpis.dashboard_kept(user=other_rep, filters=MONTH).figures["revenue"] == Decimal("500")
    # Whoever reads the whole archive shares the leader's kept figures.
    assert kpis.dashboard_kept(user=admin_user, filters=MONTH).figures["revenue"] == Decimal("1500")
    quarter = kpis.dashboard_kept(user=rep, filters=kpis.KpiFilters(period="quarter"))
    assert quarter.span == kpis.span_of("quarter", TODAY)
    assert KeptDashboard.objects.count() == 4  # all; each rep's month; the rep's quarter


def test_kept_figures_are_labelled_in_the_readers_language(sold, leader):
    with translation.override("en"):
        kpis.dashboard_kept(user=leader, filters=MONTH)
    with translation.override("zh-hans"):
        board = kpis.dashboard_kept(user=leader, filters=MONTH)
    grades = {row["code"]: row["label"] for row in board.composition["grade"]}
    assert grades["important"] == "重要"


def test_the_night_computes_the_current_dashboards_again_for_the_new_day(
    sold, leader, rep, task_queue
):
    kpis.dashboard_kept(user=rep, filters=MONTH, today=TODAY)
    chosen = kpis.KpiFilters(period="month", on=date(2026, 5, 1))
    kpis.dashboard_kept(user=rep, filters=chosen, today=TODAY)
    tomorrow = TODAY + timedelta(days=1)
    # The rep's month, and the whole archive's month (never looked at) for the leaders.
    assert services.dashboards_keep_all(tomorrow) == 2
    assert not kpis.dashboard_kept(user=rep, filters=MONTH, today=tomorrow).stale
    assert not kpis.dashboard_kept(user=leader, filters=MONTH, today=tomorrow).stale
    assert KeptDashboard.objects.get(key=kpis.kept_key(rep, chosen)).on == TODAY  # until read
    assert task_queue.pending() == 0


def test_the_digest_reads_current_figures(sold, leader, rep, sell):
    from kehu.oversight.digest import digest_text

    kpis.dashboard_kept(user=leader, filters=MONTH)
    sell(make_person(rep, name="丙"), "200", date(2026, 6, 12))
    with translation.override("en"):
        assert "Revenue: 1700.00" in digest_text(leader)


def test_the_page_and_the_api_say_when_the_figures_were_computed(
    client, sold, leader, rep, sell, task_queue
):
    client.force_login(leader)
    kpis.dashboard_kept(user=leader, filters=MONTH)
    kept = KeptDashboard.objects.get()
    at = timezone.localtime(kept.computed_at).strftime("%Y-%m-%d %H:%M")
    page = client.get(reverse("oversight:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Figures as of {at}." in page
    assert 'data-testid="dashboard-stale"' not in page
    sell(make_person(rep, name="丙"), "200", date(2026, 6, 12))
    page = client.get(reverse("oversight:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert f"数据截至 {at}。" in page.content.decode()
    assert "正在计算更新的数据" in page.content.decode()
    api = client.get("/api/v1/oversight/dashboard").json()
    assert api["stale"] is True
    assert api["figures"]["revenue"] == "1500.00"
    assert api["computed_at"].startswith(kept.computed_at.isoformat()[:19])


def test_a_page_with_stale_figures_polls_until_the_new_ones_are_in(
    client, sold, leader, rep, sell, task_queue
):
    client.force_login(leader)
    url = reverse("oversight:dashboard")
    kpis.dashboard_kept(user=leader, filters=MONTH)
    sell(make_person(rep, name="丙"), "200", date(2026, 6, 12))
    assert 'data-testid="dashboard-stale" hx-get="' in client.get(url).content.decode()
    waiting = client.get(url, HTTP_HX_REQUEST="true")
    assert waiting.status_code == 204
    assert "HX-Refresh" not in waiting
    task_queue.run_next()
    ready = client.get(url, HTTP_HX_REQUEST="true")
    assert ready.status_code == 204
    assert ready["HX-Refresh"] == "true"  # the page reloads with the new figures
    assert 'data-testid="dashboard-stale"' not in client.get(url).content.decode()


def test_the_command_runs_the_nights_jobs_now(sold, leader, rep, sell):
    from io import StringIO

    from django.core.management import call_command

    from kehu.oversight.models import RiskRun

    kpis.dashboard_kept(user=rep, filters=MONTH)
    sell(make_person(rep, name="丙"), "200", date(2026, 6, 12))
    out = StringIO()
    call_command("oversight", "dashboards", stdout=out)
    assert "Dashboards kept: 2." in out.getvalue()  # the rep's month and the leaders'
    assert not kpis.dashboard_kept(user=rep, filters=MONTH).stale
    assert kpis.dashboard_kept(user=rep, filters=MONTH).figures["revenue"] == Decimal("1200.00")
    call_command("oversight", "nightly", stdout=out)
    assert RiskRun.objects.filter(full=True).exists()
    assert "customers at risk" in out.getvalue()
