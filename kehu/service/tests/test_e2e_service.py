"""Service in a real browser against the served app (fixtures in kehu/conftest.py).

A sales rep creates a customer; a service agent opens a complaint from the customer's 360° page,
finds it in the queue, starts work and resolves it; the customer rates it through the one-time
link without signing in; the agent sees the rating, closes the case, and the 360° page shows
satisfaction and the case on the timeline. Also the feedback, report and SLA settings pages.
Screenshots: ``test-artifacts/screenshots/service-*.png``.
"""

import re

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    AGENT_PASSWORD,
    AGENT_USERNAME,
    REP_PASSWORD,
    REP_USERNAME,
    NewContext,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.e2e


def test_open_resolve_and_rate_a_complaint(new_context: NewContext) -> None:
    # --- the rep's customer
    rep = new_context().new_page()
    log_in(rep, REP_USERNAME, REP_PASSWORD)
    rep.goto("/customers/new/?kind=person")
    rep.get_by_test_id("customer-form").locator("[name=name]").fill("孙丽")
    rep.get_by_test_id("create-submit").click()
    expect(rep).to_have_url(re.compile(r"/customers/\d+/$"))
    customer_url = rep.url

    # --- the agent opens a complaint from the 360° page
    agent = new_context().new_page()
    log_in(agent, AGENT_USERNAME, AGENT_PASSWORD)
    agent.goto(customer_url)
    expect(agent.get_by_test_id("service-cases")).to_contain_text("No open cases")
    agent.get_by_test_id("new-case").click()
    form = agent.get_by_test_id("case-form")
    form.locator("[name=type]").select_option("complaint")
    form.locator("[name=priority]").select_option("high")
    form.locator("[name=channel]").select_option("call_center")
    form.locator("[name=subject]").fill("洗衣机漏水，上门维修未果")
    form.locator("[name=description]").fill("客户来电：上周维修后仍然漏水，要求换机。")
    form.locator("[name=product_code]").fill("WM-X1")
    form.locator("[name=product_name]").fill("滚筒洗衣机 X1")
    screenshot(agent, "service-case-new")
    agent.get_by_test_id("save-case").click()
    expect(agent).to_have_url(re.compile(r"/service/cases/\d+/$"))
    expect(agent.get_by_test_id("case-status")).to_have_text("New")
    expect(agent.get_by_test_id("sla-state")).to_have_attribute(
        "data-state", re.compile("ok|at_risk")
    )
    case_url = agent.url
    number = agent.get_by_test_id("case-number").inner_text()

    # --- it is first in the agent's queue, with its deadline
    agent.goto("/service/")
    row = agent.get_by_test_id("queue-row").first
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("孙丽")
    screenshot(agent, "service-queue")

    # --- start work, then resolve with a resolution
    agent.goto(case_url)
    agent.get_by_test_id("move-in_progress").click()
    expect(agent.get_by_test_id("case-status")).to_have_text("In progress")
    agent.get_by_test_id("transition-form").locator("[name=resolution]").fill(
        "为客户更换新机，旧机回收。"
    )
    agent.get_by_test_id("move-resolved").click()
    expect(agent.get_by_test_id("case-status")).to_have_text("Resolved")
    expect(agent.get_by_test_id("case-resolution")).to_contain_text("更换新机")
    link = agent.get_by_test_id("rating-link").input_value()
    assert "/r/" in link
    screenshot(agent, "service-case-resolved")

    # --- the customer rates through the one-time link, without signing in
    customer = new_context(phone=True).new_page()
    customer.goto(link)
    expect(customer.get_by_test_id("public-rating-form")).to_be_visible()
    expect(customer.locator("body")).to_contain_text("洗衣机漏水")
    customer.locator("input[name=score][value='4']").check()
    customer.locator("[name=comment]").fill("换机很快，师傅态度好。")
    screenshot(customer, "service-rating-public")
    customer.get_by_test_id("send-rating").click()
    expect(customer.get_by_test_id("rating-thanks")).to_be_visible()
    screenshot(customer, "service-rating-thanks")
    # the link is spent (asked outside the page, so the 410 is not a page problem)
    assert customer.request.get(link).status == 410

    # --- the agent sees the rating and closes the case
    agent.goto(case_url)
    expect(agent.get_by_test_id("rating-score")).to_contain_text("4/5")
    agent.get_by_test_id("move-closed").click()
    expect(agent.get_by_test_id("case-status")).to_have_text("Closed")
    expect(agent.get_by_test_id("sla-state")).to_have_attribute("data-state", "met")
    screenshot(agent, "service-case-closed")

    # --- the 360° page: no open case, the satisfaction, the case on the timeline
    agent.goto(customer_url)
    expect(agent.get_by_test_id("service-cases")).to_contain_text("No open cases")
    expect(agent.get_by_test_id("service-satisfaction")).to_contain_text(number)
    expect(agent.get_by_test_id("average-score")).to_contain_text("4.0")
    latest_case_item = agent.locator("[data-testid=tl-item][data-kind=case]").first
    expect(latest_case_item).to_contain_text("Case closed")
    expect(latest_case_item).to_contain_text(number)

    # --- feedback on the product, kept on the customer and in the report
    agent.get_by_test_id("new-feedback").click()
    feedback = agent.get_by_test_id("feedback-form")
    feedback.locator("[name=kind]").select_option("product_comment")
    feedback.locator("[name=product_code]").fill("WM-X1")
    feedback.locator("[name=product_name]").fill("滚筒洗衣机 X1")
    feedback.locator("[name=satisfaction]").select_option("3")
    feedback.locator("[name=lifecycle_opinion]").select_option("maturity")
    feedback.locator("[name=understands_product]").select_option("false")
    feedback.locator("[name=preferences]").fill("希望有更安静的型号")
    feedback.locator("[name=content]").fill("洗得干净，但是脱水时噪音大，说明书看不懂。")
    screenshot(agent, "service-feedback-form")
    agent.get_by_test_id("save-feedback").click()
    expect(agent.get_by_test_id("service-feedback")).to_contain_text("噪音大")
    screenshot(agent, "service-customer-360")
    agent.goto("/service/feedback/?q=噪音")
    expect(agent.get_by_test_id("feedback-item")).to_have_count(1)
    screenshot(agent, "service-feedback-list")
    agent.goto("/service/feedback/products/")
    expect(agent.get_by_test_id("product-row").first).to_contain_text("滚筒洗衣机 X1")
    screenshot(agent, "service-product-report")

    # --- the screen-pop shows nothing open any more; the list has the closed case
    agent.goto("/service/cases/?status=closed")
    expect(agent.get_by_test_id("case-row").first).to_contain_text(number)


def test_admin_sets_business_hours_and_a_holiday(new_context: NewContext) -> None:
    page = new_context().new_page()
    log_in(page, ADMIN_USERNAME, ADMIN_PASSWORD)
    page.goto("/service/settings/")
    day = page.get_by_test_id("day-form")
    day.locator("[name=date]").fill("2030-10-01")
    day.locator("[name=name]").fill("国庆节")
    page.get_by_test_id("add-day").click()
    expect(page.get_by_test_id("special-day").first).to_contain_text("国庆节")
    page.get_by_test_id("sla-form").locator("[name=complaint_urgent_response]").fill("0.5")
    page.get_by_test_id("save-sla").click()
    expect(page.locator(".alert-success")).to_contain_text("SLA saved")
    screenshot(page, "service-settings")
