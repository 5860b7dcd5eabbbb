"""The customer archive in a real browser against the served app (fixtures in kehu/conftest.py).

A sales rep creates a person (an invalid ID number first), edits the career group, finds the
change in the history with its channel; an archive administrator reveals the ID number, which the
rep is not offered. Screenshots: ``test-artifacts/screenshots/archive-*.png``.
"""

import re

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    ARCHIVIST_PASSWORD,
    ARCHIVIST_USERNAME,
    PHONE,
    REP_PASSWORD,
    REP_USERNAME,
    NewContext,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.e2e

BAD_ID = "110101199003070012"  # wrong check character
GOOD_ID = "110101199003070011"
MASKED_ID = "110101********0011"


def test_archive_create_edit_history_and_reveal(new_context: NewContext, live_app: str) -> None:
    # --- a sales rep creates a person; the invalid ID number is refused next to the field
    page = new_context().new_page()
    log_in(page, REP_USERNAME, REP_PASSWORD)
    page.goto("/customers/")
    page.get_by_test_id("new-customer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New customer")
    form = page.get_by_test_id("customer-form")
    form.locator("[name=name]").fill("陈静")
    form.locator("[name='person.id_number']").fill(BAD_ID)
    form.locator("[name=phones]").fill("138 0013 8000")
    form.locator("[name=source_channel]").select_option("exhibition")
    form.locator("[name=grade]").select_option("important")
    form.locator("[name=tags]").fill("VIP, 北京")
    page.get_by_test_id("create-submit").click()

    error = page.get_by_test_id("error-person.id_number")
    expect(error).to_be_visible()
    expect(error).to_contain_text("check")
    expect(page.locator(".alert-error")).to_contain_text("Nothing was saved")
    expect(form.locator("[name=name]")).to_have_value("陈静")
    screenshot(page, "archive-create-error")

    form.locator("[name='person.id_number']").fill(GOOD_ID)
    page.get_by_test_id("create-submit").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    customer_url = page.url.removeprefix(live_app)
    expect(page.get_by_test_id("customer-name")).to_have_text("陈静")
    expect(page.get_by_test_id("badge-grade")).to_have_text("Important")
    expect(page.get_by_test_id("value-person.id_number")).to_have_text(MASKED_ID)
    # the rep may not reveal an ID number: not offered
    expect(page.get_by_test_id("reveal-person.id_number")).to_have_count(0)
    expect(page.get_by_test_id("value-person.gender")).to_have_text("Male")
    expect(page.get_by_test_id("source-phones")).to_contain_text("Exhibition")
    expect(page.get_by_test_id("timeline")).to_contain_text("Archive updated")
    screenshot(page, "archive-detail")

    # --- edit the career group in place, learned on a visit
    page.get_by_test_id("edit-career").click()
    group_form = page.get_by_test_id("group-form-career")
    expect(group_form).to_be_visible()
    group_form.locator("[name='person.employer']").fill("华为技术有限公司")
    group_form.locator("[name='person.position']").fill("工程师")
    group_form.locator("[name=change_channel]").select_option("visit")
    group_form.locator("[name=change_note]").fill("展会后回访")
    screenshot(page, "archive-edit-career")
    page.get_by_test_id("save-career").click()
    expect(group_form).to_have_count(0)
    expect(page.get_by_test_id("value-person.employer")).to_have_text("华为技术有限公司")
    expect(page.get_by_test_id("source-person.employer")).to_contain_text("Visit")
    expect(page.get_by_test_id("completeness")).to_be_visible()

    # --- the change is in the history, with its channel and note
    page.get_by_test_id("tab-history").click()
    row = page.locator("[data-testid=history-row][data-field='person.employer']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("华为技术有限公司")
    expect(row).to_contain_text("Visit")
    expect(row).to_contain_text("展会后回访")
    id_row = page.locator("[data-testid=history-row][data-field='person.id_number']")
    expect(id_row).to_contain_text(MASKED_ID)
    expect(id_row).not_to_contain_text(GOOD_ID)
    screenshot(page, "archive-history")

    # --- an archive administrator reveals the ID number (audited)
    archivist = new_context().new_page()
    log_in(archivist, ARCHIVIST_USERNAME, ARCHIVIST_PASSWORD)
    archivist.goto(customer_url)
    expect(archivist.get_by_test_id("value-person.id_number")).to_have_text(MASKED_ID)
    archivist.get_by_test_id("reveal-person.id_number").click()
    expect(archivist.get_by_test_id("revealed-value")).to_have_text(GOOD_ID)
    screenshot(archivist, "archive-reveal")
    archivist.goto("/audit/?action=reveal")
    expect(archivist.get_by_test_id("audit-row").first).to_contain_text(ARCHIVIST_USERNAME)
    screenshot(archivist, "archive-audit")

    # --- the list, filtered by grade, without and with htmx
    page.goto("/customers/?grade=important")
    expect(page.get_by_test_id("customer-table")).to_contain_text("陈静")
    page.locator("[name=kind]").select_option("organization")
    expect(page).to_have_url(re.compile(r"kind=organization"))
    expect(page.get_by_test_id("customer-table")).to_have_count(0)
    page.locator("[name=kind]").select_option("")
    expect(page.get_by_test_id("customer-table")).to_contain_text("陈静")
    screenshot(page, "archive-list")

    # --- the 360° page on a phone: usable, no sideways scrolling
    phone = new_context(phone=True).new_page()
    log_in(phone, REP_USERNAME, REP_PASSWORD)
    phone.goto(customer_url)
    expect(phone.get_by_test_id("customer-name")).to_have_text("陈静")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways ({width}px wide)"
    screenshot(phone, "archive-phone")
