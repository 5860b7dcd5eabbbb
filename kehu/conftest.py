"""Fixtures of the browser tests (``pytest -m e2e``), shared by every app's ``test_e2e*.py``.

A session fixture prepares a fresh data directory (SQLite), runs ``kehu setup``, creates a sales
rep and an archive administrator with ``kehu user create`` and starts ``kehu serve`` on a free
port; every test gets its own browser context (own cookies) against that server.
"""

import subprocess
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from kehu.core.tests.browser import (
    AGENT_NAME,
    AGENT_PASSWORD,
    AGENT_USERNAME,
    ARCHIVIST_NAME,
    ARCHIVIST_PASSWORD,
    ARCHIVIST_USERNAME,
    CHROMIUM,
    CHROMIUM_ARGS,
    E2E_TEAM,
    KEHU,
    LEADER_NAME,
    LEADER_PASSWORD,
    LEADER_USERNAME,
    MANAGER_NAME,
    MANAGER_PASSWORD,
    MANAGER_USERNAME,
    MARKETER_NAME,
    MARKETER_PASSWORD,
    MARKETER_USERNAME,
    MEMBER_NAME,
    MEMBER_PASSWORD,
    MEMBER_USERNAME,
    NO_CHROMIUM,
    PHONE,
    REP_NAME,
    REP_PASSWORD,
    REP_USERNAME,
    REPO_ROOT,
    START_TIMEOUT,
    TOTP_ADMIN_NAME,
    TOTP_ADMIN_PASSWORD,
    TOTP_ADMIN_USERNAME,
    NewContext,
    PageProblems,
    free_port,
    healthy,
    run_kehu,
    server_env,
    stop,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests need Debian's chromium: without it every ``e2e`` test is skipped, with a
    reason that says so loudly."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=NO_CHROMIUM)
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a freshly set-up Kehu served by `kehu serve` (gunicorn) in a subprocess."""
    if not KEHU.exists():
        pytest.fail(f"The kehu script is missing at {KEHU}: is the package installed?")
    if not (REPO_ROOT / "staticfiles" / "staticfiles.json").exists():
        pytest.fail("Static files are not collected: run `kehu collectstatic --noinput` first.")
    data_dir = tmp_path_factory.mktemp("kehu-e2e-data")
    env = server_env(data_dir)
    run_kehu(env, "setup", "--no-static")
    run_kehu(
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

    run_kehu(
        env,
        "user",
        "create",
        ARCHIVIST_USERNAME,
        "--role",
        "archive_admin",
        "--password",
        ARCHIVIST_PASSWORD,
        "--display-name",
        ARCHIVIST_NAME,
    )
    run_kehu(
        env,
        "user",
        "create",
        AGENT_USERNAME,
        "--role",
        "service_agent",
        "--password",
        AGENT_PASSWORD,
        "--display-name",
        AGENT_NAME,
    )
    for username, password, name, manager in (
        (MANAGER_USERNAME, MANAGER_PASSWORD, MANAGER_NAME, True),
        (MEMBER_USERNAME, MEMBER_PASSWORD, MEMBER_NAME, False),
    ):
        run_kehu(
            env,
            "user",
            "create",
            username,
            "--role",
            "sales_rep",
            "--password",
            password,
            "--display-name",
            name,
            "--team",
            E2E_TEAM,
            *(["--manager"] if manager else []),
        )
    run_kehu(
        env,
        "user",
        "create",
        MARKETER_USERNAME,
        "--role",
        "marketer",
        "--password",
        MARKETER_PASSWORD,
        "--display-name",
        MARKETER_NAME,
    )

    run_kehu(
        env,
        "user",
        "create",
        LEADER_USERNAME,
        "--role",
        "leader",
        "--password",
        LEADER_PASSWORD,
        "--display-name",
        LEADER_NAME,
    )
    run_kehu(
        env,
        "user",
        "create",
        TOTP_ADMIN_USERNAME,
        "--role",
        "admin",
        "--password",
        TOTP_ADMIN_PASSWORD,
        "--display-name",
        TOTP_ADMIN_NAME,
    )

    port = free_port()
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
        while not healthy(f"{base_url}/healthz"):
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
        stop(process)


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
    if problems.problems:
        pytest.fail("Problems in the pages:\n" + "\n".join(problems.problems), pytrace=False)


@pytest.fixture
def page(new_context: NewContext) -> Page:
    return new_context().new_page()
