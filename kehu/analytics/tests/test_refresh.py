"""The refresh through the database: what it reads, what it stores, runs and their progress."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from kehu.analytics import services
from kehu.analytics.models import AnalyticsRun, CustomerValue, ValueSnapshot
from kehu.customers.models import Customer, CustomerChange

TODAY = date(2026, 1, 31)


def refresh():
    run = services.analytics_run_create()
    run.as_of = TODAY
    run.save()
    return services.analytics_run_execute(run_id=run.pk)


def test_refresh_stores_every_buyer_without_cancelled_orders(shop):
    run = refresh()
    assert run.status == AnalyticsRun.Status.DONE
    assert run.progress == 100
    assert run.customers == 3
    assert set(run.timings) == {"load", "compute", "store"}
    mine = CustomerValue.objects.get(customer=shop["mine"])
    assert mine.revenue == Decimal("600.00")  # the cancelled 9,999 is not counted
    assert (mine.orders, mine.purchase_days) == (3, 3)
    assert mine.first_purchase_on == date(2025, 1, 1)
    assert mine.last_purchase_on == date(2026, 1, 1)
    assert mine.recency_days == 30
    assert mine.mean_interval_days == pytest.approx(182.5)
    theirs = CustomerValue.objects.get(customer=shop["theirs"])
    assert theirs.revenue_rank == 1
    assert theirs.tier == "A"
    assert theirs.suggested_grade == "important"
    assert theirs.p_alive is not None
    assert theirs.clv_12 is not None
    assert 0 < theirs.p_alive <= 1
    assert theirs.clv_12 > 0
    assert run.summary["customers"] == 3
    assert run.summary["repeat_rate"] == 100.0
    assert ValueSnapshot.objects.filter(month=date(2026, 1, 1)).count() == 3


def test_a_second_refresh_replaces_figures_and_the_months_snapshot(shop, buy):
    refresh()
    buy(shop["steady"], "2026-01-30", "1000")
    refresh()
    assert CustomerValue.objects.count() == 3
    assert CustomerValue.objects.get(customer=shop["steady"]).revenue == Decimal("1400.00")
    assert ValueSnapshot.objects.count() == 3


def test_the_refilled_table_keeps_every_index_constraint_and_name(shop, buy):
    """The store fills a new table (PostgreSQL) or rebuilds the indexes (SQLite): the table
    the ORM reads afterwards has the same keys, indexes and constraints under the same names,
    and its statistics."""

    def schema() -> dict[str, tuple]:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, "analytics_customervalue")
        keys = ("columns", "primary_key", "unique", "foreign_key", "check", "index", "orders")
        return {name: tuple(str(c.get(key)) for key in keys) for name, c in found.items()}

    before = schema()
    assert "analytics_value_churn" in before
    refresh()
    buy(shop["mine"], "2026-01-20", "50")
    refresh()
    assert schema() == before
    assert CustomerValue.objects.count() == 3
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = 'analytics_customervalue'"
            )
        else:
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'analytics_customervalue'")
        rows = str(cursor.fetchone()[0]).split()[0]  # SQLite: "rows, rows per key…"
    assert float(rows) == 3  # analysed: the planner knows the table's size


def test_archived_customers_leave_the_figures(shop, rep):
    from kehu.customers.services import customer_archive

    customer_archive(user=rep, customer=shop["mine"])
    refresh()
    assert not CustomerValue.objects.filter(customer=shop["mine"]).exists()


def test_refresh_now_is_for_archive_administrators(
    rep, archivist, shop, huey_immediate, django_capture_on_commit_callbacks
):
    with pytest.raises(PermissionDenied):
        services.analytics_run_request(user=rep)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.analytics_run_request(user=archivist)
    run.refresh_from_db()
    assert run.status == AnalyticsRun.Status.DONE
    assert CustomerValue.objects.count() == 3


def test_a_run_already_claimed_is_left_alone(shop):
    run = refresh()
    again = services.analytics_run_execute(run_id=run.pk)
    assert again.finished_at == run.finished_at


def test_nightly_refresh_skips_while_another_runs(shop):
    AnalyticsRun.objects.create(as_of=TODAY, status=AnalyticsRun.Status.RUNNING)
    assert services.analytics_run_nightly() is None
    AnalyticsRun.objects.all().delete()
    nightly = services.analytics_run_nightly()
    assert nightly is not None
    assert nightly.status == AnalyticsRun.Status.DONE


def test_accepting_a_suggested_grade_writes_history_with_the_analytics_channel(shop, rep):
    refresh()
    CustomerValue.objects.filter(customer=shop["mine"]).update(suggested_grade="important")
    changed = services.suggested_grades_accept(
        user=rep, customer_ids=[shop["mine"].pk, shop["theirs"].pk]
    )
    assert changed == 1  # the other rep's customer is not the rep's to change
    shop["mine"].refresh_from_db()
    assert shop["mine"].grade == Customer.Grade.IMPORTANT
    change = CustomerChange.objects.filter(customer=shop["mine"], field="grade").latest("id")
    assert change.channel is not None
    assert change.channel.code == "analytics"
    shop["theirs"].refresh_from_db()
    assert shop["theirs"].grade == Customer.Grade.GENERAL


def test_special_grade_stays_a_human_decision(shop, archivist):
    refresh()
    Customer.objects.filter(pk=shop["theirs"].pk).update(grade=Customer.Grade.SPECIAL)
    assert services.suggested_grades_accept(user=archivist, customer_ids=[shop["theirs"].pk]) == 0
    shop["theirs"].refresh_from_db()
    assert shop["theirs"].grade == Customer.Grade.SPECIAL
