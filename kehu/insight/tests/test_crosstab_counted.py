"""The large archive's counted cross-tab (``CrossTabCell``) answers exactly what the live query
answers, for every pair of dimensions and every measure, and only for whole-archive roles."""

import pytest
from django.test import Client

from kehu.analytics.services import analytics_refresh
from kehu.customers.models import Customer, CustomField
from kehu.insight import crosstab
from kehu.insight.models import CrossTabCell
from kehu.insight.tasks import crosstab_count_hourly

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted_archive(synthetic_archive, monkeypatch):
    """The 600-customer fixture with value figures (tiers, revenue, CLV, churn), a custom
    choice field filled for some, one merged-away customer, and every table counted."""
    CustomField.objects.create(
        code="pet", label="宠物", field_type="choice", choices=["猫", "狗"], applies_to="both"
    )
    for i, customer in enumerate(synthetic_archive[:90]):
        customer.custom_values = {"pet": ("猫", "狗")[i % 2]}
    Customer.objects.bulk_update(synthetic_archive[:90], ["custom_values"])
    Customer.objects.filter(pk=synthetic_archive[5].pk).update(status=Customer.Status.MERGED)
    analytics_refresh()
    monkeypatch.setattr(crosstab, "CUBE_FROM", 1)
    assert crosstab.cube_build() > 0
    return synthetic_archive


def _same(user, rows, columns, measure):
    counted = crosstab.crosstab(user=user, rows=rows, columns=columns, measure=measure)
    live = crosstab.crosstab(user=user, rows=rows, columns=columns, measure=measure, live=True)
    assert counted.counted_at is not None
    assert live.counted_at is None
    assert counted.total == live.total == 599
    assert counted.rows == live.rows
    assert counted.columns == live.columns
    assert counted.cells == live.cells, (rows, columns, measure)
    assert counted.suppressed == live.suppressed


def test_every_pair_equals_the_live_count(counted_archive, archivist):
    codes = list(crosstab.dimensions())
    assert "custom.pet" in codes
    for rows in codes:
        for columns in codes:
            _same(archivist, rows, columns, "customers")


def test_every_measure_equals_the_live_figure(counted_archive, archivist, leader):
    for measure in crosstab.MEASURES:
        for rows, columns in (("province", "age_band"), ("tier", "custom.pet"), ("kind", "kind")):
            _same(archivist, rows, columns, measure)
        _same(leader, "education", "grade", measure)  # small cells hidden alike


def test_values_are_real_figures(counted_archive, archivist):
    table = crosstab.crosstab(user=archivist, rows="gender", columns="tier", measure="revenue")
    assert any(cell.value for cell in table.cells.values())
    churn = crosstab.crosstab(user=archivist, rows="grade", columns="grade", measure="churn")
    assert {row for row, col in churn.cells} == {"important", "general"}
    assert all(row == col for row, col in churn.cells)


def test_a_narrower_scope_and_a_small_archive_are_counted_live(
    counted_archive, archivist, rep, monkeypatch
):
    assert (
        crosstab.crosstab(
            user=rep, rows="province", columns="grade", measure="customers"
        ).counted_at
        is None
    )
    monkeypatch.setattr(crosstab, "CUBE_FROM", 10_000)
    assert (
        crosstab.crosstab(
            user=archivist, rows="province", columns="grade", measure="customers"
        ).counted_at
        is None
    )


def test_the_count_follows_the_archive(counted_archive, archivist, monkeypatch):
    Customer.objects.filter(province="浙江省").update(province="江苏省")
    stale = crosstab.crosstab(user=archivist, rows="province", columns="grade", measure="customers")
    assert ("浙江省", "general") in stale.cells  # as counted, and the page says when
    crosstab_count_hourly.call_local()  # the hourly job counts a large archive again
    fresh = crosstab.crosstab(user=archivist, rows="province", columns="grade", measure="customers")
    assert ("浙江省", "general") not in fresh.cells
    assert fresh.cells[("江苏省", "general")].customers == 360
    assert fresh.total == 599  # the merged one is not counted
    # an archive that shrank below the size drops its count and is counted live again
    monkeypatch.setattr(crosstab, "CUBE_FROM", 10_000)
    crosstab_count_hourly.call_local()
    assert not CrossTabCell.objects.exists()


def test_count_now_on_the_page(counted_archive, archivist, rep):
    page = Client()
    page.force_login(archivist)
    shown = page.get("/insight/?rows=province&columns=grade")
    assert b'data-testid="counted-at"' in shown.content
    answer = page.post("/insight/?rows=province&columns=grade", {"action": "count"})
    assert answer.status_code == 302
    assert page.get("/api/v1/insight/crosstab").json()["counted_at"] is not None
    other = Client()
    other.force_login(rep)
    assert b'data-testid="counted-at"' not in other.get("/insight/").content
    assert other.post("/insight/", {"action": "count"}).status_code == 403
    assert other.get("/api/v1/insight/crosstab").json()["counted_at"] is None
