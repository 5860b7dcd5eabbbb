"""The rules page and the 360° suggestions in a real browser, in English and Chinese, on a
small demo archive of its own (the shared live app has no orders, and its server runs no task
worker). Screenshots: ``test-artifacts/screenshots/basket-*``."""

import subprocess
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from kehu.core.tests.browser import (
    KEHU,
    REPO_ROOT,
    PageProblems,
    free_port,
    healthy,
    log_in,
    screenshot,
    server_env,
    stop,
)

pytestmark = pytest.mark.e2e

DEMO_PASSWORD = "Demo-e2e-basket-2026"


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("kehu-e2e-basket")
    env = server_env(data_dir)
    env["KEHU_DEMO_PASSWORD"] = DEMO_PASSWORD
    for args in (["setup", "--no-static"], ["demo", "--service", "0"]):
        # the demo mines its orders at once; a shared machine needs more than run_kehu's 2 min
        done = subprocess.run(  # noqa: S603 (our own kehu script, fixed arguments)
            [str(KEHU), *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True,
            timeout=900, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with (data_dir / "serve.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own kehu script, fixed arguments)
            [str(KEHU), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
             "--no-worker"],
            env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not healthy(f"{base_url}/healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("kehu serve did not start", pytrace=False)
            time.sleep(0.2)
        yield base_url
    finally:
        stop(process)


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
    log_in(page, "wangfang", DEMO_PASSWORD)
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
