"""Browser: a team manager ticks two of a member's opportunities on the opportunity list, assigns
them to himself, and sees the list show the new owner (the third stays the member's)."""

import uuid

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    MANAGER_NAME,
    MANAGER_PASSWORD,
    MANAGER_USERNAME,
    MEMBER_NAME,
    MEMBER_PASSWORD,
    MEMBER_USERNAME,
    NewContext,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.e2e


def test_manager_assigns_selected_opportunities_from_the_list(
    new_context: NewContext, live_app: str
) -> None:
    suffix = str(uuid.uuid4().int)[:6]  # digits: not mistaken for English words
    names = [f"批量商机{suffix}甲", f"批量商机{suffix}乙", f"批量商机{suffix}丙"]

    # given: the member's customers and an opportunity for each, made through the API
    member_context = new_context(locale="zh-CN")
    member = member_context.new_page()
    log_in(member, MEMBER_USERNAME, MEMBER_PASSWORD)
    token = next(c["value"] for c in member_context.cookies() if c["name"] == "kehu_csrftoken")
    headers = {"X-CSRFToken": token, "Referer": live_app + "/"}
    for i, name in enumerate(names):
        customer = member.request.post(
            f"{live_app}/api/v1/customers/",
            data={"kind": "person", "fields": {"name": f"批量客户{suffix}{i}"}},
            headers=headers,
        )
        assert customer.status == 201, customer.text()
        opportunity = member.request.post(
            f"{live_app}/api/v1/opportunities/",
            data={"customer_id": customer.json()["id"], "name": name, "amount": "1000.00"},
            headers=headers,
        )
        assert opportunity.status == 201, opportunity.text()

    # when: the manager ticks two of them on the list and assigns them to himself
    page = new_context(locale="zh-CN").new_page()
    log_in(page, MANAGER_USERNAME, MANAGER_PASSWORD)
    page.goto(f"/sales/opportunities/?view=list&q={suffix}")
    rows = page.get_by_test_id("opportunity-row")
    expect(rows).to_have_count(3)
    for name in names[:2]:
        rows.filter(has_text=name).get_by_test_id("bulk-pick").check()
    page.get_by_test_id("bulk-action-select").select_option("assign")
    page.get_by_test_id("bulk-assign").select_option(label=f"{MANAGER_NAME} ({MANAGER_USERNAME})")
    page.get_by_test_id("bulk-note").fill("团队调整")
    screenshot(page, "bulk-opportunities-bar-zh")
    page.get_by_test_id("bulk-submit").click()

    # then: the confirmation counts them, and the change is made
    expect(page.get_by_test_id("bulk-selected")).to_have_text("2")
    expect(page.get_by_test_id("bulk-targets")).to_have_text("2")
    expect(page.get_by_test_id("bulk-action")).to_contain_text(MANAGER_NAME)
    screenshot(page, "bulk-opportunities-confirm-zh")
    page.get_by_test_id("bulk-do").click()
    expect(page.get_by_test_id("bulk-state")).to_have_text("完成")
    expect(page.get_by_test_id("bulk-changed")).to_contain_text("2 个商机")
    screenshot(page, "bulk-opportunities-done-zh")

    # and the list shows the new owners
    page.goto(f"/sales/opportunities/?view=list&q={suffix}")
    for name in names[:2]:
        expect(rows.filter(has_text=name)).to_contain_text(MANAGER_NAME)
    expect(rows.filter(has_text=names[2])).to_contain_text(MEMBER_NAME)
    expect(rows.filter(has_text=names[2])).not_to_contain_text(MANAGER_NAME)
