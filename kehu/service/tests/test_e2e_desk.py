"""The service agent replies to a customer by e-mail and escalates the case, in a real browser
(zh-Hans; the served app sends mail with the console backend). Screenshots in both languages:
``test-artifacts/screenshots/day-desk-*``."""

import re

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    AGENT_PASSWORD,
    AGENT_USERNAME,
    REP_PASSWORD,
    REP_USERNAME,
    NewContext,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.e2e


def test_the_agent_replies_and_escalates(new_context: NewContext) -> None:
    # --- the rep's customer, with an e-mail address
    rep = new_context().new_page()
    log_in(rep, REP_USERNAME, REP_PASSWORD)
    rep.goto("/customers/new/?kind=person")
    form = rep.get_by_test_id("customer-form")
    form.locator("[name=name]").fill("吴磊")
    form.locator("[name=emails]").fill("wulei@example.com")
    rep.get_by_test_id("create-submit").click()
    expect(rep).to_have_url(re.compile(r"/customers/\d+/$"))
    customer_url = rep.url

    # --- the agent (Chinese UI) opens a complaint, replies, raises the priority, escalates
    agent = new_context(locale="zh-CN").new_page()
    log_in(agent, AGENT_USERNAME, AGENT_PASSWORD)
    agent.goto(customer_url)
    agent.get_by_test_id("new-case").click()
    form = agent.get_by_test_id("case-form")
    form.locator("[name=type]").select_option("complaint")
    form.locator("[name=subject]").fill("空调安装后漏水")
    form.locator("[name=description]").fill("客户来电：安装第二天室内机滴水。")
    agent.get_by_test_id("save-case").click()
    expect(agent).to_have_url(re.compile(r"/service/cases/\d+/$"))
    case_url = agent.url

    reply = agent.get_by_test_id("reply-form")
    expect(reply.locator("[name=to]")).to_have_value("wulei@example.com")
    reply.locator("[name=body]").fill("吴先生您好，师傅明天上午 10 点上门检查，请留人在家。")
    agent.get_by_test_id("send-reply").click()
    expect(agent.get_by_test_id("case-email-out")).to_contain_text("师傅明天上午")

    priority = agent.get_by_test_id("priority-form")
    priority.locator("[name=priority]").select_option("urgent")
    priority.locator("[name=reason]").fill("客户家中有老人，需尽快处理")
    agent.get_by_test_id("save-priority").click()
    agent.get_by_test_id("escalate-form").locator("[name=reason]").fill("客户要求主管回电")
    agent.get_by_test_id("escalate").click()
    expect(agent.get_by_test_id("escalated")).to_be_visible()
    expect(agent.get_by_test_id("case-events")).to_contain_text("客户要求主管回电")
    expect(agent.get_by_test_id("case-events")).to_contain_text("客户家中有老人")
    screenshot(agent, "day-desk-case-zh")

    # --- the reply is on the customer's timeline
    agent.goto(customer_url)
    expect(agent.locator("[data-testid=tl-item][data-kind=case]").first).to_be_visible()
    screenshot(agent, "day-desk-timeline-zh")

    # --- the same case in English
    english = new_context().new_page()
    log_in(english, AGENT_USERNAME, AGENT_PASSWORD)
    english.goto(case_url)
    expect(english.get_by_test_id("case-email-out")).to_be_visible()
    screenshot(english, "day-desk-case-en")
