"""Customer value in a real browser, on the served demo archive (``demo_app``; the demo's
load runs the refresh): the archive administrator reads the charts and drills down, a rep sees
only their own customers, the value card shows on the 360° page. In English and Chinese.
Screenshots: ``test-artifacts/screenshots/analytics-*``."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from kehu.core.tests.browser import PageProblems, log_in, screenshot
from kehu.demo.customers import DEMO_PASSWORD_DEFAULT

pytestmark = pytest.mark.e2e

ARCHIVIST, REP = "wangfang", "liuyang"  # demo users: archive administrator, a sales rep


@pytest.fixture
def open_page(browser: Browser, demo_app: str) -> Iterator:
    contexts: list[BrowserContext] = []
    problems = PageProblems()

    def make(locale: str) -> Page:
        context = browser.new_context(base_url=demo_app, locale=locale)
        context.set_default_timeout(10_000)
        problems.watch(context)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    if problems.problems:
        pytest.fail("Problems in the pages:\n" + "\n".join(problems.problems), pytrace=False)


@pytest.mark.parametrize(("locale", "suffix"), [("en-US", "en"), ("zh-CN", "zh-hans")])
def test_archivist_reads_customer_value(open_page, locale: str, suffix: str) -> None:
    page = open_page(locale)
    log_in(page, ARCHIVIST, DEMO_PASSWORD_DEFAULT)
    page.goto("/analytics/")
    expect(page.get_by_test_id("analytics-stats")).to_be_visible()
    for chart in ("pareto-chart", "clv-chart", "cohort-chart"):
        expect(page.get_by_test_id(chart).locator("canvas").first).to_be_visible()
    heading = "Customer value" if suffix == "en" else "客户价值"
    expect(page.locator("h1")).to_have_text(heading)
    segment = "Important value customer" if suffix == "en" else "重要价值客户"
    expect(page.get_by_test_id("segment-grid")).to_contain_text(segment)
    page.wait_for_timeout(500)  # the charts' entry animation
    screenshot(page, f"analytics-overview-{suffix}")

    # a number opens its customers; the first of them shows the value card
    page.get_by_test_id("segment-important_value").click()
    expect(page.get_by_test_id("value-customers")).to_be_visible()
    screenshot(page, f"analytics-drill-down-{suffix}")
    page.get_by_test_id("value-customers").locator("tbody a").first.click()
    card = page.get_by_test_id("value-card")
    expect(card.get_by_test_id("value-tier")).to_be_visible()
    expect(card.get_by_test_id("value-sparkline")).to_be_visible()
    screenshot(page, f"analytics-value-card-{suffix}")


def test_rep_sees_only_own_scope(open_page) -> None:
    page = open_page("zh-CN")
    log_in(page, REP, DEMO_PASSWORD_DEFAULT)
    page.goto("/analytics/")
    expect(page.get_by_test_id("segment-grid")).to_be_visible()
    expect(page.get_by_test_id("pareto-chart")).to_have_count(0)
    screenshot(page, "analytics-rep-zh-hans")
