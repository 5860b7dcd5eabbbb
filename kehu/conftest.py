"""Fixtures of the browser tests (``pytest -m e2e``), shared by every app's ``test_e2e*.py``.

A session fixture prepares a fresh data directory (SQLite) as ``kehu setup`` leaves it, creates
a user of every role with ``kehu user create`` and starts ``kehu serve`` on a free port; every
test gets its own browser context (own cookies) against that server. ``demo_app`` serves an
archive loaded with ``kehu demo``.
"""

import subprocess
from collections.abc import Iterator
from pathlib import Path

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
    TOTP_ADMIN_NAME,
    TOTP_ADMIN_PASSWORD,
    TOTP_ADMIN_USERNAME,
    NewContext,
    PageProblems,
    make_archive_template,
    run_kehu_commands,
    served,
    set_up_archive,
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
def archive_template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A data directory ``kehu setup`` made once for the whole run (with pytest-xdist, once for
    all its workers), for ``set_up_archive`` to copy."""
    base = tmp_path_factory.getbasetemp()
    return make_archive_template(base if worker_id == "master" else base.parent)


# The served app's users: username, role, password, display name, team and whether they manage it.
E2E_USERS = [
    (REP_USERNAME, "sales_rep", REP_PASSWORD, REP_NAME, "", False),
    (ARCHIVIST_USERNAME, "archive_admin", ARCHIVIST_PASSWORD, ARCHIVIST_NAME, "", False),
    (AGENT_USERNAME, "service_agent", AGENT_PASSWORD, AGENT_NAME, "", False),
    (MANAGER_USERNAME, "sales_rep", MANAGER_PASSWORD, MANAGER_NAME, E2E_TEAM, True),
    (MEMBER_USERNAME, "sales_rep", MEMBER_PASSWORD, MEMBER_NAME, E2E_TEAM, False),
    (MARKETER_USERNAME, "marketer", MARKETER_PASSWORD, MARKETER_NAME, "", False),
    (LEADER_USERNAME, "leader", LEADER_PASSWORD, LEADER_NAME, "", False),
    (TOTP_ADMIN_USERNAME, "admin", TOTP_ADMIN_PASSWORD, TOTP_ADMIN_NAME, "", False),
]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory, archive_template: Path) -> Iterator[str]:
    """Base URL of a freshly set-up Kehu served by `kehu serve` (gunicorn) in a subprocess."""
    if not KEHU.exists():
        pytest.fail(f"The kehu script is missing at {KEHU}: is the package installed?")
    if not (REPO_ROOT / "staticfiles" / "staticfiles.json").exists():
        pytest.fail("Static files are not collected: run `kehu collectstatic --noinput` first.")
    env = set_up_archive(tmp_path_factory.mktemp("kehu-e2e-data"), archive_template)
    commands = []
    for username, role, password, name, team, manager in E2E_USERS:
        command = ["user", "create", username, "--role", role, "--password", password,
                   "--display-name", name]  # fmt: skip
        command += ["--team", team] if team else []
        command += ["--manager"] if manager else []
        commands.append(command)
    run_kehu_commands(env, commands)  # `kehu user create`, one process for all
    with served(env) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory, archive_template: Path) -> Iterator[str]:
    """Base URL of a served Kehu loaded with ``kehu demo --customers 400`` (its users' password
    is ``DEMO_PASSWORD_DEFAULT``), for the browser tests that need a lived-in archive. They
    only read it."""
    env = set_up_archive(tmp_path_factory.mktemp("kehu-e2e-demo"), archive_template)
    # the demo mines its orders and computes the analytics at once: on a loaded machine that
    # takes minutes, longer than run_kehu's own limit
    done = subprocess.run(  # noqa: S603 (our own kehu script, fixed arguments)
        [str(KEHU), "demo", "--customers", "400", "--service", "0"], env=env, cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"`kehu demo` failed:\n{done.stdout}\n{done.stderr}", pytrace=False)
    with served(env, timeout=60) as base_url:
        yield base_url


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
