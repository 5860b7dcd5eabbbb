"""End-to-end tests: the real served app (``kehu serve``) driven by a real browser (chromium).

A session fixture prepares a fresh data directory (SQLite), runs ``kehu setup``, creates a sales
rep with ``kehu user create`` and starts ``kehu serve`` on a free port; every test gets its own
browser context (own cookies) against that server. A full-page screenshot of every page visited
is saved to ``test-artifacts/screenshots/`` under the repository root.

Static files must already be collected (``kehu collectstatic --noinput``): the served app reads
them from ``staticfiles/``, as in production.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

if not CHROMIUM.exists():
    pytest.skip(
        "!!! BROWSER TESTS SKIPPED: /usr/bin/chromium IS MISSING. Install Debian's 'chromium' "
        "package (apt-get install chromium fonts-noto-cjk) to run the end-to-end tests. !!!",
        allow_module_level=True,
    )

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
KEHU = Path(sys.executable).parent / "kehu"

ADMIN_USERNAME = "e2e-admin"
ADMIN_PASSWORD = "Adm1n-e2e-passphrase"
ADMIN_NAME = "Administrator"  # what `kehu setup` names the first administrator
REP_USERNAME = "e2e-rep"
REP_PASSWORD = "Rep-e2e-passphrase-42"
REP_NAME = "王小明"

START_TIMEOUT = 30.0  # seconds for `kehu serve` to answer /healthz
PHONE: ViewportSize = {"width": 390, "height": 844}


# --- The served app -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(data_dir: Path) -> dict[str, str]:
    """A clean environment: none of the caller's Kehu settings, a fresh SQLite data directory."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KEHU_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env["KEHU_DATA_DIR"] = str(data_dir)
    env["KEHU_ADMIN_USERNAME"] = ADMIN_USERNAME
    env["KEHU_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _kehu(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(  # noqa: S603 (our own kehu script, fixed arguments)
        [str(KEHU), *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`kehu {' '.join(args)}` failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}",
            pytrace=False,
        )


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http://127.0.0.1)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a freshly set-up Kehu served by `kehu serve` (gunicorn) in a subprocess."""
    if not KEHU.exists():
        pytest.fail(f"The kehu script is missing at {KEHU}: is the package installed?")
    if not (REPO_ROOT / "staticfiles" / "staticfiles.json").exists():
        pytest.fail("Static files are not collected: run `kehu collectstatic --noinput` first.")
    data_dir = tmp_path_factory.mktemp("kehu-e2e-data")
    env = _server_env(data_dir)
    _kehu(env, "setup", "--no-static")
    _kehu(
        env,
        "user",
        "create",
        REP_USERNAME,
        "--role",
        "sales_rep",
        "--password",
        REP_PASSWORD,
        "--display-name",
        REP_NAME,
    )

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = data_dir / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own kehu script, fixed arguments)
            [
                str(KEHU),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--no-worker",
            ],
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so it is stopped with its workers
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(f"{base_url}/healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                state = (
                    f"exited with {process.returncode}"
                    if process.poll() is not None
                    else f"did not answer /healthz within {START_TIMEOUT:.0f} s"
                )
                pytest.fail(
                    f"`kehu serve` {state}. Its log:\n{log_path.read_text(errors='replace')}",
                    pytrace=False,
                )
            time.sleep(0.2)
        yield base_url
    finally:
        _stop(process)


# --- The browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


class PageProblems:
    """What went wrong in the page beyond the test's own checks: script errors, failed loads."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, context: BrowserContext) -> None:
        context.on("weberror", lambda error: self.problems.append(f"script error: {error.error}"))
        context.on(
            "console",
            lambda msg: (
                self.problems.append(f"console error: {msg.text}") if msg.type == "error" else None
            ),
        )
        context.on(
            "response",
            lambda response: (
                self.problems.append(f"HTTP {response.status}: {response.url}")
                if response.status >= 400
                else None
            ),
        )
        context.on(
            "requestfailed",
            lambda request: self.problems.append(f"request failed: {request.url}"),
        )


NewContext = Callable[..., BrowserContext]  # (*, locale="en-US", phone=False)


@pytest.fixture
def new_context(browser: Browser, live_app: str) -> Iterator[NewContext]:
    """Fresh browser contexts (own cookies) on the live app: English, desktop size unless told.

    At the end of the test, fails if any page had a script error, a console error (a CSP
    violation is one) or a request answered 4xx/5xx.
    """
    contexts: list[BrowserContext] = []
    problems = PageProblems()

    def make(*, locale: str = "en-US", phone: bool = False) -> BrowserContext:
        context = browser.new_context(
            base_url=live_app,
            locale=locale,
            viewport=PHONE if phone else None,
            is_mobile=phone,
            has_touch=phone,
        )
        context.set_default_timeout(10_000)
        problems.watch(context)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert problems.problems == [], "Problems in the pages:\n" + "\n".join(problems.problems)


@pytest.fixture
def page(new_context: NewContext) -> Page:
    return new_context().new_page()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_test_id("login-submit").click()


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

    log_in(page, REP_USERNAME, "not-the-password")
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
    log_in(other, ADMIN_USERNAME, ADMIN_PASSWORD)
    expect(other.get_by_test_id("user-name")).to_have_text(ADMIN_NAME)
    expect(other.locator("html")).to_have_attribute("lang", "zh-CN")

    # Last, so the checks above run even while the Chinese catalogue is missing.
    expect(logout).to_have_text("退出登录")


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
