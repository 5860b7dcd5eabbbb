"""Helpers for the browser tests: the served app's users, screenshots, signing in.

The fixtures that start the app (``kehu serve``) and the browser are in ``kehu/conftest.py``;
they use what is defined here. Browser tests need Debian's chromium at ``/usr/bin/chromium``.
"""

import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import BrowserContext, Page, ViewportSize, expect

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

NO_CHROMIUM = (
    "!!! BROWSER TESTS SKIPPED: /usr/bin/chromium IS MISSING. Install Debian's 'chromium' "
    "package (apt-get install chromium fonts-noto-cjk) to run the end-to-end tests. !!!"
)

REPO_ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
KEHU = Path(sys.executable).parent / "kehu"

ADMIN_USERNAME = "e2e-admin"
ADMIN_PASSWORD = "Adm1n-e2e-passphrase"
ADMIN_NAME = "Administrator"  # what `kehu setup` names the first administrator
REP_USERNAME = "e2e-rep"
REP_PASSWORD = "Rep-e2e-passphrase-42"
REP_NAME = "王小明"
ARCHIVIST_USERNAME = "e2e-archivist"
ARCHIVIST_PASSWORD = "Arch-e2e-passphrase-7"
ARCHIVIST_NAME = "档案员李静"
AGENT_USERNAME = "e2e-agent"
AGENT_PASSWORD = "Agent-e2e-passphrase-9"
AGENT_NAME = "客服张敏"
# A team manager and a member of the team (the tasks' browser tests)
MANAGER_USERNAME = "e2e-manager"
MANAGER_PASSWORD = "Mgr-e2e-passphrase-5"
MANAGER_NAME = "经理赵强"
MEMBER_USERNAME = "e2e-member"
MEMBER_PASSWORD = "Member-e2e-passphrase-3"
MEMBER_NAME = "刘洋"
E2E_TEAM = "华东销售部"
# An administrator of its own for the two-factor test (enrolling changes how they sign in).
TOTP_ADMIN_USERNAME = "e2e-totp-admin"
TOTP_ADMIN_PASSWORD = "Totp-e2e-passphrase-8"
TOTP_ADMIN_NAME = "管理员孙伟"
MARKETER_USERNAME = "e2e-marketer"
MARKETER_PASSWORD = "Mkt-e2e-passphrase-3"
MARKETER_NAME = "市场部刘洋"
LEADER_USERNAME = "e2e-leader"
LEADER_PASSWORD = "Lead-e2e-passphrase-6"
LEADER_NAME = "总经理李军"

# Tests that run Kehu in subprocesses on their own SQLite data directory touch no PostgreSQL even
# in the PostgreSQL pass: they run once, in the SQLite pass.
own_sqlite_archive = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="runs Kehu on its own SQLite archive: once, in the SQLite pass",
)

START_TIMEOUT = 30.0  # seconds for `kehu serve` to answer /healthz
PHONE: ViewportSize = {"width": 390, "height": 844}


# --- The served app -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path) -> dict[str, str]:
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


def run_kehu(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(  # noqa: S603 (our own kehu script, fixed arguments)
        [str(KEHU), *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        # a shared, loaded machine may need longer: KEHU_E2E_COMMAND_TIMEOUT seconds
        timeout=int(os.environ.get("KEHU_E2E_COMMAND_TIMEOUT", "600")),
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`kehu {' '.join(args)}` failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}",
            pytrace=False,
        )


def run_kehu_commands(env: dict[str, str], commands: list[list[str]]) -> None:
    """Several ``kehu`` commands in one process: each start of Kehu costs seconds."""
    script = (
        "from django.core.management import call_command\n"
        f"for arguments in {commands!r}:\n"
        "    call_command(*arguments)\n"
    )
    run_kehu(env, "shell", "--no-startup", "--no-imports", "-c", script)


def set_up_archive(data_dir: Path, template: Path) -> dict[str, str]:
    """``data_dir`` as ``kehu setup`` leaves a fresh one (a copy of ``template``, made by
    ``archive_template``); returns the environment of a Kehu that uses it."""
    shutil.copytree(template, data_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("ready"))
    return server_env(data_dir)


def make_archive_template(root: Path) -> Path:
    """A data directory set up by ``kehu setup`` (migrations, keys, the first administrator),
    made once under ``root`` even when several test processes ask at the same time: running
    every migration takes half a minute, a copy a fraction of a second."""
    template = root / "kehu-archive-template"
    with (root / "kehu-archive-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / "ready").exists():
            shutil.rmtree(template, ignore_errors=True)
            run_kehu(server_env(template), "setup", "--no-static")
            (template / "ready").touch()
    return template


@contextmanager
def served(env: dict[str, str], *, timeout: float = START_TIMEOUT) -> Iterator[str]:
    """``kehu serve`` (one worker, no task worker) on a free port for the archive of ``env``;
    yields its base URL and stops it afterwards. Fails with the server's log if it does not
    answer /healthz within ``timeout`` seconds."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = Path(env["KEHU_DATA_DIR"]) / "serve.log"
    command = [str(KEHU), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
               "--no-worker"]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own kehu script, fixed arguments)
            command, env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so it is stopped with its workers
        )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while not healthy(f"{base_url}/healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                state = (
                    f"exited with {process.returncode}"
                    if process.poll() is not None
                    else f"did not answer /healthz within {timeout:.0f} s"
                )
                pytest.fail(
                    f"`kehu serve` {state}. Its log:\n{log_path.read_text(errors='replace')}",
                    pytrace=False,
                )
            time.sleep(0.2)
        yield base_url
    finally:
        stop(process)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http://127.0.0.1)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
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
            lambda request: (
                # A navigation cancels the previous page's pending loads (e.g. its favicon).
                None
                if request.failure == "net::ERR_ABORTED"
                else self.problems.append(f"request failed: {request.url}")
            ),
        )


NewContext = Callable[..., BrowserContext]  # (*, locale="en-US", phone=False)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def submit_login(page: Page, username: str, password: str) -> None:
    """Fill in and send the sign-in form, whatever the outcome."""
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_test_id("login-submit").click()


def csrf_headers(context: BrowserContext, live_app: str) -> dict[str, str]:
    """Headers for an API call on the session of ``context`` (a signed-in browser)."""
    token = next(c["value"] for c in context.cookies() if c["name"] == "kehu_csrftoken")
    return {"X-CSRFToken": token, "Referer": live_app + "/"}


def create_user(page: Page, username: str, name: str, team: str = "") -> str:
    """Through the administrator's page: returns the generated password shown once."""
    page.goto("/accounts/users/new/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=display_name]").fill(name)
    if team:
        page.locator("[data-field=teams]").get_by_label(team).check()
    page.get_by_test_id("save-user").click()
    expect(page.get_by_test_id("new-password")).to_be_visible()
    return page.get_by_test_id("new-password").inner_text().strip()


def nav_urls(page: Page) -> list[str]:
    """Every page the navigation links to, but Django's admin and the API's own pages."""
    links = page.locator("nav a.nav-link").evaluate_all("links => links.map((a) => a.href)")
    return sorted({str(url) for url in links if "/admin/" not in url and "/api/" not in url})


def log_in(page: Page, username: str, password: str) -> None:
    """Sign in, in the browser's language."""
    submit_login(page, username, password)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.wait_for_load_state()  # the language buttons are htmx: wait for it to have run
    # The served archive is shared and a user's saved language beats the browser's: another
    # test may have switched this user to the other language. Speak the browser's language.
    wanted = "zh-hans" if page.evaluate("navigator.language").startswith("zh") else "en"
    switch = page.get_by_test_id(f"lang-{wanted}")
    if switch.get_attribute("aria-pressed") != "true":
        switch.click()
        expect(page.get_by_test_id(f"lang-{wanted}")).to_have_attribute("aria-pressed", "true")
