"""The marketer creates a lead in a real browser; the lead-assignment rule gives it to the rep,
who is notified and finds it among their customers. Screenshots in both languages:
``test-artifacts/screenshots/day-lead-*``."""

import re

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    MARKETER_PASSWORD,
    MARKETER_USERNAME,
    REP_NAME,
    REP_PASSWORD,
    REP_USERNAME,
    NewContext,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.e2e


def test_the_marketer_finds_a_lead_and_the_rep_gets_it(new_context: NewContext) -> None:
    # --- the administrator: leads go to the rep
    admin = new_context().new_page()
    log_in(admin, ADMIN_USERNAME, ADMIN_PASSWORD)
    admin.goto("/intake/assignment/")
    form = admin.get_by_test_id("assignment-form")
    form.locator("input[name=rule][value=fixed_user]").check()
    form.locator("select[name=user]").select_option(label=f"{REP_NAME} ({REP_USERNAME})")
    admin.get_by_test_id("assignment-save").click()

    # --- the marketer (Chinese UI) enters a lead met at a trade fair
    marketer = new_context(locale="zh-CN").new_page()
    log_in(marketer, MARKETER_USERNAME, MARKETER_PASSWORD)
    marketer.goto("/customers/")
    marketer.get_by_test_id("new-customer").click()
    form = marketer.get_by_test_id("customer-form")
    form.locator("[name=name]").fill("何晓燕")
    form.locator("[name=phones]").fill("139 2345 6789")
    form.locator("[name=source_channel]").select_option("exhibition")
    screenshot(marketer, "day-lead-new-zh")
    marketer.get_by_test_id("create-submit").click()
    expect(marketer).to_have_url(re.compile(r"/customers/\d+/$"))
    expect(marketer.locator("body")).to_contain_text(REP_NAME)  # its owner now
    screenshot(marketer, "day-lead-created-zh")
    lead_url = marketer.url

    # --- the rep is told, and accepts the hand-over
    rep = new_context().new_page()
    log_in(rep, REP_USERNAME, REP_PASSWORD)
    rep.goto("/intake/handovers/")
    row = rep.get_by_test_id("handover").filter(has_text="何晓燕")
    expect(row).to_contain_text("Waiting for acceptance")
    screenshot(rep, "day-lead-handover-en")
    row.get_by_test_id("handover-accept").click()
    expect(rep.get_by_test_id("handover").filter(has_text="何晓燕")).to_contain_text("Accepted")
    rep.goto(lead_url)
    expect(rep.locator("h1")).to_contain_text("何晓燕")
    expect(rep.locator("[data-testid=tl-item][data-kind=handover]").first).to_contain_text(
        "Lead accepted"
    )
    screenshot(rep, "day-lead-accepted-en")

    # --- the marketer sees the acceptance on the lead's timeline (Chinese)
    marketer.goto(lead_url)
    expect(marketer.locator("[data-testid=tl-item][data-kind=handover]").first).to_be_visible()
    screenshot(marketer, "day-lead-accepted-zh")
