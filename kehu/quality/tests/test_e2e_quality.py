"""Data quality and export in a real browser against the served app (fixtures in
kehu/conftest.py): the archivist measures the archive, sees the charts render, drills down,
then exports the filtered customer list and downloads the file.
Screenshots: ``test-artifacts/screenshots/quality-*``."""

import csv
import io

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    ARCHIVIST_PASSWORD,
    ARCHIVIST_USERNAME,
    NewContext,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.e2e


def test_archivist_reads_data_quality_and_exports_the_list(new_context: NewContext) -> None:
    page = new_context().new_page()
    log_in(page, ARCHIVIST_USERNAME, ARCHIVIST_PASSWORD)

    # --- a customer with a phone but no e-mail, so completeness has something to say
    page.goto("/customers/new/?kind=person")
    form = page.get_by_test_id("customer-form")
    form.locator("[name=name]").fill("质量测试")
    form.locator("[name=phones]").fill("138 0013 8077")
    page.get_by_test_id("create-submit").click()
    expect(page.get_by_test_id("mark-reviewed")).to_be_visible()

    # --- data quality: measure now, the charts draw, a number opens its customers
    page.goto("/quality/")
    page.get_by_test_id("quality-recompute").get_by_role("button").click()
    expect(page.get_by_test_id("quality-stats")).to_be_visible()
    expect(page.get_by_test_id("quality-trend-chart").locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("quality-fields-chart").locator("canvas")).to_have_count(1)
    screenshot(page, "quality-overview")
    page.get_by_test_id("missing-person-emails").click()
    expect(page.get_by_test_id("issue-table")).to_contain_text("质量测试")
    screenshot(page, "quality-drill-down")

    # --- export the filtered list from the list page
    page.goto("/customers/?q=质量测试")
    expect(page.get_by_test_id("customer-table")).to_contain_text("质量测试")
    page.get_by_test_id("export-list").click()
    export_form = page.get_by_test_id("export-form")
    export_form.locator("input[name=format][value=csv]").check()
    export_form.locator("input[name=columns][value=emails]").check()
    screenshot(page, "quality-export-dialog")
    page.get_by_test_id("export-submit").click()
    row = page.get_by_test_id("export-row").first
    expect(row).to_have_attribute("data-status", "done")
    screenshot(page, "quality-my-exports")
    with page.expect_download() as info:
        row.get_by_test_id("export-download").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    exported = dict(zip(rows[0], rows[1], strict=True))
    assert exported["name"] == "质量测试"
    assert exported["phones"] == "138 0013 8077"
    assert exported["e-mails"] == ""
