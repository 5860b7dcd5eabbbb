"""End-to-end tests: the real served app (``kehu serve``) driven by a real browser (chromium).

The served app and the browser come from the fixtures in ``kehu/conftest.py``. A full-page
screenshot of every page visited is saved to ``test-artifacts/screenshots/`` under the
repository root.

Static files must already be collected (``kehu collectstatic --noinput``): the served app reads
them from ``staticfiles/``, as in production.
"""

import pytest
from playwright.sync_api import Page, expect

from kehu.core.tests.browser import (
    ADMIN_NAME,
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    PHONE,
    REP_NAME,
    REP_PASSWORD,
    REP_USERNAME,
    NewContext,
    log_in,
    screenshot,
    submit_login,
)

pytestmark = pytest.mark.e2e


def expect_on_login_page(page: Page, live_app: str) -> None:
    expect(page).to_have_url(f"{live_app}/accounts/login/?next=/")
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    expect(page.locator("input[name=password]")).to_be_visible()


# --- The tests ------------------------------------------------------------------------------


def test_sign_in(page: Page, live_app: str) -> None:
    page.goto("/")
    expect_on_login_page(page, live_app)
    expect(page.get_by_test_id("login-error")).to_have_count(0)
    screenshot(page, "login")

    submit_login(page, REP_USERNAME, "not-the-password")
    error = page.get_by_test_id("login-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("wrong")
    expect(page.get_by_test_id("user-name")).to_have_count(0)
    screenshot(page, "login-error")

    log_in(page, REP_USERNAME, REP_PASSWORD)
    expect(page).to_have_url(f"{live_app}/")
    expect(page.get_by_test_id("user-name")).to_have_text(REP_NAME)
    expect(page.locator("h1")).to_contain_text(REP_NAME)
    expect(page.get_by_test_id("login-error")).to_have_count(0)


def test_language_switch_is_kept(page: Page, new_context: NewContext, live_app: str) -> None:
    # The administrator, so the sales rep's language (used by the other tests) stays untouched.
    log_in(page, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(page.get_by_test_id("user-name")).to_have_text(ADMIN_NAME)
    html = page.locator("html")
    logout = page.get_by_test_id("logout")

    page.get_by_test_id("lang-en").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("lang-en")).to_have_attribute("aria-pressed", "true")
    expect(logout).to_have_text("Sign out")
    screenshot(page, "home-en")

    page.get_by_test_id("lang-zh-hans").click()
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("lang-zh-hans")).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_url(f"{live_app}/")
    screenshot(page, "home-zh")

    page.reload()
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_test_id("lang-zh-hans")).to_have_attribute("aria-pressed", "true")

    # Kept on the account: a new browser whose own language is English gets Chinese on sign-in.
    other = new_context().new_page()
    submit_login(other, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(other.get_by_test_id("user-name")).to_have_text(ADMIN_NAME)
    expect(other.locator("html")).to_have_attribute("lang", "zh-CN")

    expect(logout).to_have_text("退出登录")

    # Back to English: later tests sign in as the administrator and read English messages.
    page.get_by_test_id("lang-en").click()
    expect(html).to_have_attribute("lang", "en")


def test_sign_out(page: Page, live_app: str) -> None:
    log_in(page, REP_USERNAME, REP_PASSWORD)
    expect(page.get_by_test_id("user-name")).to_have_text(REP_NAME)

    page.get_by_test_id("logout").click()
    expect(page).to_have_url(f"{live_app}/accounts/login/")
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    expect(page.get_by_test_id("user-name")).to_have_count(0)

    page.goto("/")
    expect_on_login_page(page, live_app)
    expect(page.get_by_test_id("user-name")).to_have_count(0)


@pytest.mark.parametrize(
    ("path", "heading", "name"),
    [("/customers/", "Customers", "customers"), ("/accounts/settings/", "Settings", "settings")],
)
def test_pages_load(page: Page, live_app: str, path: str, heading: str, name: str) -> None:
    log_in(page, REP_USERNAME, REP_PASSWORD)
    expect(page.get_by_test_id("user-name")).to_have_text(REP_NAME)

    response = page.goto(path)
    assert response is not None
    assert response.status == 200
    expect(page).to_have_url(f"{live_app}{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    current = page.locator(".sidebar .nav-link[aria-current=page]")
    expect(current).to_have_text(heading)
    screenshot(page, name)


def test_phone_navigation(new_context: NewContext, live_app: str) -> None:
    page = new_context(phone=True).new_page()
    log_in(page, REP_USERNAME, REP_PASSWORD)
    expect(page).to_have_url(f"{live_app}/")
    expect(page.get_by_test_id("user-name")).to_have_text(REP_NAME)

    sidebar = page.locator("aside.sidebar")
    toggle = page.locator("details.menu-toggle")
    menu = toggle.locator("nav")
    expect(sidebar).to_be_hidden()
    expect(toggle.locator("summary")).to_be_visible()
    expect(menu).to_be_hidden()
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= PHONE["width"], f"the page scrolls sideways ({page_width}px wide)"
    screenshot(page, "phone-home")

    toggle.locator("summary").click()
    expect(menu).to_be_visible()
    customers_link = menu.get_by_role("link", name="Customers")
    expect(customers_link).to_be_visible()
    expect(sidebar).to_be_hidden()
    screenshot(page, "phone-menu-open")

    customers_link.click()
    expect(page).to_have_url(f"{live_app}/customers/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
