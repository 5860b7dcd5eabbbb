"""Duplicates in a real browser against the served app (fixtures in kehu/conftest.py).

Two customers who are one (欧阳铭 / 欧阳明, same phone) are entered through the API; the finder runs
from the command line (the served app has no worker here); the archive administrator follows
the customer's "possible duplicates" link, opens the whole queue, compares the pair, merges it
and lands on the survivor. Screenshots:
``test-artifacts/screenshots/dedup-*``.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from kehu.core.tests.browser import (
    ARCHIVIST_PASSWORD,
    ARCHIVIST_USERNAME,
    NewContext,
    log_in,
    run_kehu,
    screenshot,
    server_env,
)

pytestmark = pytest.mark.e2e


def test_archivist_compares_and_merges(
    new_context: NewContext, live_app: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    context = new_context()
    page = context.new_page()
    log_in(page, ARCHIVIST_USERNAME, ARCHIVIST_PASSWORD)
    token = next(c["value"] for c in context.cookies() if c["name"] == "kehu_csrftoken")
    headers = {"X-CSRFToken": token, "Referer": live_app + "/"}
    ids = []
    # a homophone pair and a phone no other browser test uses (they share one archive)
    for name, address in (("欧阳铭", "北京市朝阳区建国路9号"), ("欧阳明", "北京市朝阳区建国路9号")):
        response = page.request.post(
            f"{live_app}/api/v1/customers/",
            data={"kind": "person", "fields": {"name": name, "phones": ["13700137999"],
                                               "address": address}},
            headers=headers,
        )  # fmt: skip
        assert response.status == 201, response.text()
        ids.append(response.json()["id"])
    data_dir = next(tmp_path_factory.getbasetemp().glob("kehu-e2e-data*"))
    run_kehu(server_env(data_dir), "dedup", "find", "--threshold", "-8")

    # from the customer's page to the pairs it is in
    page.goto(f"{live_app}/customers/{ids[0]}/")
    page.get_by_test_id("customer-duplicates").get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/duplicates/\?customer={ids[0]}$"))
    expect(page.get_by_test_id("duplicate-row")).to_have_count(1)
    screenshot(page, "dedup-customer-queue")
    page.get_by_test_id("duplicate-customer-clear").click()

    row = page.get_by_test_id("duplicate-row").filter(has_text="欧阳铭").filter(has_text="欧阳明")
    expect(row).to_have_count(1)
    screenshot(page, "dedup-queue")
    row.get_by_test_id("duplicate-compare").click()
    expect(page.get_by_test_id("duplicate-compare-table")).to_contain_text("欧阳明")
    screenshot(page, "dedup-compare")
    page.get_by_test_id("merge-submit").click()
    expect(page).to_have_url(re.compile(rf"/customers/{min(ids)}/$"))
    expect(page.locator("body")).to_contain_text("Merged")
    screenshot(page, "dedup-survivor")
    # the other customer's old link leads to the survivor
    page.goto(f"{live_app}/customers/{max(ids)}/")
    expect(page).to_have_url(re.compile(rf"/customers/{min(ids)}/$"))


def _pending(page: Page) -> int:
    """The count the page head shows ("3 pairs wait for review.")."""
    return int(re.findall(r"\d+", page.get_by_test_id("dedup-pending").inner_text())[0])


def test_queue_decisions_keep_every_count_in_step_without_a_reload(
    new_context: NewContext, live_app: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    context = new_context()
    page = context.new_page()
    log_in(page, ARCHIVIST_USERNAME, ARCHIVIST_PASSWORD)
    token = next(c["value"] for c in context.cookies() if c["name"] == "kehu_csrftoken")
    headers = {"X-CSRFToken": token, "Referer": live_app + "/"}
    # two pairs, each sharing a phone and an address no other browser test uses
    people = (
        ("司马光", "13700137811", "杭州市西湖区曙光路11号"),
        ("司马广", "13700137811", "杭州市西湖区曙光路11号"),
        ("诸葛亮", "13700137822", "成都市武侯区武侯祠大街22号"),
        ("诸葛良", "13700137822", "成都市武侯区武侯祠大街22号"),
    )
    for name, phone, address in people:
        response = page.request.post(
            f"{live_app}/api/v1/customers/",
            data={"kind": "person", "fields": {"name": name, "phones": [phone],
                                               "address": address}},
            headers=headers,
        )  # fmt: skip
        assert response.status == 201, response.text()
    data_dir = next(tmp_path_factory.getbasetemp().glob("kehu-e2e-data*"))
    run_kehu(server_env(data_dir), "dedup", "find", "--threshold", "-8")

    page.goto(f"{live_app}/duplicates/")
    before = _pending(page)
    badge = page.locator(".sidebar").get_by_test_id("nav-badge-dedup")
    expect(badge).to_have_text(str(before))
    page.evaluate("window.kehuNotReloaded = true")
    # when one pair is dismissed on its row
    sima = page.get_by_test_id("duplicate-row").filter(has_text="司马光").filter(has_text="司马广")
    sima.get_by_test_id("duplicate-dismiss").click()
    # then its row leaves and the head and the navigation count one pair less
    expect(sima).to_have_count(0)
    expect(page.get_by_test_id("dedup-notice")).to_be_visible()
    expect(page.get_by_test_id("dedup-pending")).to_contain_text(str(before - 1))
    expect(badge).to_have_text(str(before - 1))
    # and when the other pair is merged on its row (after the confirmation)
    zhuge = page.get_by_test_id("duplicate-row").filter(has_text="诸葛亮").filter(has_text="诸葛良")
    page.once("dialog", lambda dialog: dialog.accept())
    zhuge.get_by_test_id("duplicate-merge").click()
    expect(zhuge).to_have_count(0)
    expect(page.get_by_test_id("dedup-pending")).to_contain_text(str(before - 2))
    if before > 2:
        expect(badge).to_have_text(str(before - 2))
    else:
        expect(badge).to_have_count(0)
    screenshot(page, "dedup-queue-after-decisions")
    assert page.evaluate("window.kehuNotReloaded") is True
