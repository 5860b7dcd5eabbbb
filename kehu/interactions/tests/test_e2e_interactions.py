"""The contact history in a real browser against the served app (fixtures in kehu/conftest.py).

A sales rep creates a customer, logs a visit on its 360° page with a next follow-up today and a
new phone learned there, sees it on the timeline, finds the follow-up on "my day" with the count
in the navigation, and marks it done. Screenshots: ``test-artifacts/screenshots/interactions-*``.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    REP_PASSWORD,
    REP_USERNAME,
    NewContext,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.e2e


def test_log_interaction_with_follow_up_then_see_it_on_my_day(new_context: NewContext) -> None:
    page = new_context().new_page()
    log_in(page, REP_USERNAME, REP_PASSWORD)
    # --- a customer to talk to
    page.goto("/customers/new/?kind=person")
    form = page.get_by_test_id("customer-form")
    form.locator("[name=name]").fill("赵敏")
    page.get_by_test_id("create-submit").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))

    # --- log a visit from the timeline card, with a follow-up today and a new phone
    timeline = page.get_by_test_id("timeline")
    timeline.get_by_test_id("log-interaction").click()
    log_form = page.get_by_test_id("interaction-form")
    expect(log_form).to_be_visible()
    log_form.locator("[name=type]").select_option("visit")
    log_form.locator("[name=channel]").select_option("visit")
    log_form.locator("[name=summary]").fill("上门拜访，介绍新产品")
    log_form.locator("[name=outcome]").fill("有兴趣，需要报价")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    log_form.locator("[name=next_follow_up_on]").fill(today)
    log_form.locator("[name=next_follow_up_note]").fill("发送报价单")
    log_form.locator("[name=new_phones]").fill("139 0013 9000")
    screenshot(page, "interactions-log-form")
    page.get_by_test_id("save-interaction").click()

    # facts changed the profile too, so the page reloads with the message
    expect(page.locator(".alert-success")).to_contain_text("Interaction logged")
    # the phone learned there is an archive change just after the visit's time
    first = page.locator("[data-testid=tl-item][data-kind=interaction]").first
    expect(first).to_contain_text("上门拜访")
    expect(first.get_by_test_id("tl-follow-up")).to_contain_text("发送报价单")
    expect(page.get_by_test_id("value-phones")).to_contain_text("139")
    screenshot(page, "interactions-timeline")

    # --- the filter keeps only archive changes
    page.get_by_test_id("timeline-filter").select_option("change")
    expect(page.get_by_test_id("tl-item").first).to_have_attribute("data-kind", "change")
    expect(page.locator("[data-testid=tl-item][data-kind=interaction]")).to_have_count(0)

    # --- my day: the follow-up, with the badge in the navigation
    page.goto("/my-day/")
    follow_ups = page.get_by_test_id("follow-ups")
    expect(follow_ups).to_contain_text("赵敏")
    expect(follow_ups).to_contain_text("发送报价单")
    expect(page.locator(".sidebar").get_by_test_id("nav-badge-interactions")).to_have_text("1")
    screenshot(page, "interactions-my-day")

    # --- done: gone from the list
    follow_ups.get_by_test_id("done").first.click()
    expect(follow_ups.get_by_test_id("reminder")).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("follow-ups")).to_contain_text("No follow-ups due today")
    expect(page.locator(".sidebar").get_by_test_id("nav-badge-interactions")).to_have_count(0)
