"""An import in a real browser against the served app (fixtures in kehu/conftest.py).

The archive administrator uploads a small CSV, checks the suggested column mapping (and maps
the one column it could not guess), runs the dry run, imports the valid rows, opens the
imported customer, and uploads the same file again (a warning links to the first import).
Screenshots: ``test-artifacts/screenshots/imports-*``.
"""

import re

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

# Values no other browser test uses: the served app's archive is shared by them all.
CSV = (
    "客户姓名,手机号码,身份证号,职业备注\n"
    "欧阳娜娜,13912340001,110101199105172465,设计师\n"
    "坏数据,123,,\n"
)


def test_archivist_uploads_maps_checks_imports_and_sees_the_customer(
    new_context: NewContext, live_app: str, tmp_path
) -> None:
    path = tmp_path / "展会名单.csv"
    path.write_bytes(CSV.encode("gbk"))
    page = new_context().new_page()
    log_in(page, ARCHIVIST_USERNAME, ARCHIVIST_PASSWORD)
    page.locator(".sidebar").get_by_role("link", name=re.compile("Imports|导入")).click()
    page.get_by_test_id("import-new").click()
    form = page.get_by_test_id("import-upload-form")
    page.get_by_test_id("import-file").set_input_files(str(path))
    page.get_by_test_id("import-channel").select_option("exhibition")
    screenshot(page, "imports-upload")
    page.get_by_test_id("import-upload").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(form).to_have_count(0)

    # suggestions from the (GBK) header; the last column is mapped by hand
    expect(page.get_by_test_id("map-客户姓名")).to_have_value("name")
    expect(page.get_by_test_id("map-手机号码")).to_have_value("phones")
    expect(page.get_by_test_id("map-身份证号")).to_have_value("person.id_number")
    page.get_by_test_id("map-职业备注").select_option("notes")
    screenshot(page, "imports-mapping")
    page.get_by_test_id("import-dry-run").click()

    counts = page.get_by_test_id("import-counts")
    expect(counts).to_contain_text("1")
    report = page.get_by_test_id("import-report")
    expect(report.get_by_test_id("report-row")).to_have_count(1)
    expect(report).to_contain_text("3")  # the bad row, by its spreadsheet row number
    screenshot(page, "imports-dry-run")
    page.get_by_test_id("import-start").click()

    expect(page.get_by_test_id("import-result")).to_be_visible()
    expect(page.get_by_test_id("import-undo")).to_be_visible()
    screenshot(page, "imports-result")
    page.get_by_test_id("import-report").get_by_role("link", name=re.compile(r"#\d+")).click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    expect(page.locator("h1")).to_contain_text("欧阳娜娜")
    screenshot(page, "imports-customer")

    # the same file again: accepted, with a warning and a link to the first import
    page.goto(f"{live_app}/imports/new/")
    page.get_by_test_id("import-file").set_input_files(str(path))
    page.get_by_test_id("import-upload").click()
    expect(page.get_by_test_id("import-earlier")).to_be_visible()
    screenshot(page, "imports-again")
