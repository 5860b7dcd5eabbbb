"""The rules page and the 360° suggestions in a real browser, in English and Chinese, on the
served demo archive (``demo_app``: the shared live app has no orders, and its server runs no
task worker). Screenshots: ``test-artifacts/screenshots/basket-*``."""

import pytest
from playwright.sync_api import Browser, expect

from kehu.core.tests.browser import PageProblems, log_in, screenshot
from kehu.demo.customers import DEMO_PASSWORD_DEFAULT

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("locale", "planted", "suffix"),
    [("en-US", "times the average", "en"), ("zh-CN", "是平均的", "zh")],
)
def test_rules_page_and_suggestions(browser: Browser, demo_app: str, locale, planted, suffix):
    problems = PageProblems()
    context = browser.new_context(base_url=demo_app, locale=locale)
    context.set_default_timeout(15_000)
    problems.watch(context)
    page = context.new_page()
    log_in(page, "wangfang", DEMO_PASSWORD_DEFAULT)
    # the planted pair: diapers → beer, with the rule in words and the pair chart
    page.goto("/basket/?side=antecedent&product=" + _product_id(page, "婴儿纸尿裤L码"))
    table = page.get_by_test_id("rule-table")
    expect(table).to_contain_text("精酿啤酒12瓶装")
    expect(table).to_contain_text(planted)
    page.goto("/basket/")
    expect(page.get_by_test_id("pair-chart").locator("canvas")).to_have_count(1)
    screenshot(page, f"basket-rules-{suffix}")
    # a rule's orders and customers
    page.get_by_test_id("rule-row").first.locator("a").click()
    expect(page.get_by_test_id("rule-orders")).to_be_visible()
    screenshot(page, f"basket-rule-{suffix}")
    # the 360° page of a customer with orders: suggestions with reasons
    page.goto(page.get_by_test_id("rule-orders").locator("tbody tr td:nth-child(2) a").first
              .get_attribute("href") or "/")  # fmt: skip
    suggestions = page.get_by_test_id("suggestions")
    expect(suggestions.locator("li")).not_to_have_count(0)
    screenshot(page, f"basket-suggestions-{suffix}")
    context.close()
    assert not problems.problems, problems.problems


def _product_id(page, name: str) -> str:
    page.goto("/basket/")
    option = page.locator("select[name=product] option", has_text=name)
    return option.get_attribute("value") or ""
