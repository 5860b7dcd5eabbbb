"""Browser: a sales rep tags 500 customers from the list in one step (in the background, with
its progress), undoes it, then puts two of them on a new list segment and opens it."""

import subprocess
import uuid

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    KEHU,
    REP_PASSWORD,
    REP_USERNAME,
    REPO_ROOT,
    NewContext,
    PageProblems,
    log_in,
    screenshot,
    server_env,
    stop,
)

pytestmark = pytest.mark.e2e

COUNT = 500


def test_bulk_tag_500_customers_and_undo(
    new_context: NewContext, live_app: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    suffix = str(uuid.uuid4().int)[:6]  # digits: not mistaken for English words
    name = f"批量{suffix}"
    context = new_context(locale="zh-CN")
    problems = PageProblems()
    page = context.new_page()
    log_in(page, REP_USERNAME, REP_PASSWORD)
    token = next(c["value"] for c in context.cookies() if c["name"] == "kehu_csrftoken")
    headers = {"X-CSRFToken": token, "Referer": live_app + "/"}
    for i in range(COUNT):
        response = page.request.post(
            f"{live_app}/api/v1/customers/",
            data={"kind": "person", "fields": {"name": f"{name}客户{i}"}},
            headers=headers,
        )
        assert response.status == 201, response.text()
    problems.watch(context)

    # when: all matching the filter, add a tag
    page.goto(f"/customers/?q={name}")
    page.get_by_test_id("bulk-all").check()
    page.get_by_test_id("bulk-tag").fill(f"春节{suffix}")
    screenshot(page, "bulk-bar-zh")
    page.get_by_test_id("bulk-submit").click()
    expect(page.get_by_test_id("bulk-targets")).to_have_text(str(COUNT))
    screenshot(page, "bulk-confirm-zh")
    page.get_by_test_id("bulk-do").click()
    expect(page.get_by_test_id("bulk-state")).to_have_text("排队中")

    # the background worker does it; the page follows
    data_dir = next(tmp_path_factory.getbasetemp().glob("kehu-e2e-data*"))
    worker = subprocess.Popen(  # noqa: S603 (our own kehu script, fixed arguments)
        [str(KEHU), "run_huey", "--workers", "1"],
        env=server_env(data_dir),
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        expect(page.get_by_test_id("bulk-state")).to_have_text("完成", timeout=480_000)
        expect(page.get_by_test_id("bulk-changed")).to_contain_text(str(COUNT))
        screenshot(page, "bulk-done-zh")
        page.goto(f"/customers/?q={name}&tag=春节{suffix}")
        expect(page.get_by_test_id("result-count")).to_contain_text(str(COUNT))

        # undo
        page.go_back()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_test_id("bulk-undo").click()
        expect(page.get_by_test_id("bulk-state")).to_have_text("已撤销", timeout=480_000)
        page.goto(f"/customers/?q={name}&tag=春节{suffix}")
        expect(page.get_by_test_id("result-count")).to_contain_text("0")

        # then: two ticked customers go on a new list segment; the bar shows only its input
        page.goto(f"/customers/?q={name}")
        page.get_by_test_id("bulk-action-select").select_option("segment")
        expect(page.get_by_test_id("bulk-tag")).to_be_hidden()
        page.get_by_test_id("bulk-pick").nth(0).check()
        page.get_by_test_id("bulk-pick").nth(1).check()
        page.get_by_test_id("bulk-segment").fill(f"回访名单{suffix}")
        page.get_by_test_id("bulk-submit").click()
        expect(page.get_by_test_id("bulk-targets")).to_have_text("2")
        page.get_by_test_id("bulk-do").click()
        expect(page.get_by_test_id("bulk-state")).to_have_text("完成")
        page.goto("/customers/segments/")
        page.get_by_role("link", name=f"回访名单{suffix}").click()
        expect(page.get_by_test_id("bulk-pick")).to_have_count(2)
        screenshot(page, "bulk-list-segment-zh")
    finally:
        stop(worker)
    assert not problems.problems, problems.problems
