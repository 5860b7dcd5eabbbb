"""Search in a real browser against the served app (fixtures in kehu/conftest.py).

A sales rep creates a person, types the pinyin initials of the name into the top bar's search
box, sees the customer in the results as they type (htmx, no inline script) with the phone
masked, and opens the 360° page from there. Screenshots: ``test-artifacts/screenshots/search-*``.
"""

import re

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


def test_type_pinyin_initials_and_open_the_customer(new_context: NewContext, live_app: str):
    # given: a customer of the rep's
    page = new_context().new_page()
    log_in(page, REP_USERNAME, REP_PASSWORD)
    page.goto("/customers/new/")
    form = page.get_by_test_id("customer-form")
    form.locator("[name=name]").fill("欧阳娜娜")
    form.locator("[name=phones]").fill("139 1234 5678")
    page.get_by_test_id("create-submit").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    customer_url = page.url

    # when: the rep types the initials in the top bar, anywhere
    page.goto("/")
    box = page.get_by_test_id("topbar-search")
    box.click()
    box.press_sequentially("oyn", delay=80)

    # then: the customer shows up as they type, phone masked
    hit = page.get_by_test_id("search-hit").filter(has_text="欧阳娜娜")
    expect(hit).to_be_visible()
    expect(hit).to_contain_text("139****5678")
    expect(hit).not_to_contain_text("13912345678")
    screenshot(page, "search-initials")

    # and opening it leads to the 360° page
    hit.click()
    expect(page).to_have_url(customer_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("欧阳娜娜")
    screenshot(page, "search-opened")

    # and the phone's last digits find it too, on the search page without JavaScript
    page.goto("/search/?q=5678")
    expect(page.get_by_test_id("search-hit").filter(has_text="欧阳娜娜")).to_be_visible()
