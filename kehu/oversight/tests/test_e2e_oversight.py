"""Key accounts in a real browser (fixtures in kehu/conftest.py), in Simplified Chinese first.

A team member takes an order dated 100 days ago for a new company and leaves it unpaid; the
archivist computes the risks; the leader's dashboard shows the figures it kept before, marked
stale, until the worker's job keeps new ones; the leader follows the overdue-receivables
figure to the risk list and one customer's 360° page with its risk reasons. The member then
completes a review of that customer proposing a higher grade; their manager approves it and
the grade changes. Screenshots: ``test-artifacts/screenshots/oversight-*``.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    ARCHIVIST_PASSWORD,
    ARCHIVIST_USERNAME,
    LEADER_PASSWORD,
    LEADER_USERNAME,
    MANAGER_PASSWORD,
    MANAGER_USERNAME,
    MEMBER_PASSWORD,
    MEMBER_USERNAME,
    NewContext,
    log_in,
    run_kehu,
    screenshot,
    server_env,
)

pytestmark = pytest.mark.e2e

COMPANY = "嘉兴恒远机电有限公司"


def test_leader_drills_to_risk_reasons_and_rep_review_changes_grade(
    new_context: NewContext, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # --- the archivist adds a product
    admin = new_context(locale="zh-CN").new_page()
    log_in(admin, ARCHIVIST_USERNAME, ARCHIVIST_PASSWORD)
    admin.goto("/sales/products/new/")
    form = admin.get_by_test_id("product-form")
    form.locator("[name=code]").fill("MOTOR-7")
    form.locator("[name=name]").fill("伺服电机")
    form.locator("[name=category]").fill("电机")
    form.locator("[name=unit]").fill("台")
    form.locator("[name=list_price]").fill("12000.00")
    form.locator("button[type=submit]").click()

    # --- the leader looks before the order: those figures are kept
    early = new_context(locale="zh-CN").new_page()
    log_in(early, LEADER_USERNAME, LEADER_PASSWORD)
    early.goto("/oversight/")
    expect(early.get_by_test_id("dashboard-as-of")).to_contain_text("数据截至")

    # --- a team member: a company and an order 100 days ago, unpaid
    rep = new_context(locale="zh-CN").new_page()
    log_in(rep, MEMBER_USERNAME, MEMBER_PASSWORD)
    rep.goto("/customers/new/?kind=organization")
    rep.get_by_test_id("customer-form").locator("[name=name]").fill(COMPANY)
    rep.get_by_test_id("create-submit").click()
    expect(rep).to_have_url(re.compile(r"/customers/\d+/$"))
    customer_url = rep.url
    rep.get_by_test_id("new-order").click()
    order = rep.get_by_test_id("order-form")
    order.locator("[name=ordered_on]").fill(
        (timezone.localdate() - timedelta(days=100)).isoformat()
    )
    order.locator("[name=lines-0-product]").fill("MOTOR-7 · 伺服电机")
    order.locator("[name=lines-0-quantity]").fill("2")
    rep.get_by_test_id("save-order").click()
    expect(rep.get_by_test_id("order-total")).to_have_text("¥24,000.00")

    # --- the archivist computes the risks now (the worker does it every night)
    admin.goto("/oversight/risks/")
    admin.get_by_test_id("risk-recompute").click()
    expect(admin.get_by_test_id("risk-list")).to_contain_text(COMPANY)

    # --- the leader's dashboard shows the figures kept before the order, marked stale, and
    # polls; the worker's job (here run by hand) keeps the new ones and the page reloads
    early.goto("/oversight/")
    expect(early.get_by_test_id("dashboard-stale")).to_contain_text("正在计算更新的数据")
    expect(early.get_by_test_id("kpi-overdue")).to_have_text("¥0.00")
    data_dir = next(tmp_path_factory.getbasetemp().glob("kehu-e2e-data*"))
    run_kehu(server_env(data_dir), "oversight", "dashboards")
    expect(early.get_by_test_id("kpi-overdue")).to_contain_text("24,000", timeout=15_000)
    expect(early.get_by_test_id("dashboard-stale")).to_have_count(0)

    # --- the leader: dashboard → overdue receivables → the customer's risk reasons
    for locale, suffix in (("zh-CN", "zh"), ("en-US", "en")):
        leader = new_context(locale=locale).new_page()
        log_in(leader, LEADER_USERNAME, LEADER_PASSWORD)
        leader.goto("/oversight/")
        expect(leader.get_by_test_id("kpi-overdue")).to_contain_text("24,000")
        expect(leader.get_by_test_id("kpi-risk-high")).to_have_text("1")
        screenshot(leader, f"oversight-dashboard-{suffix}")
        leader.get_by_test_id("kpi-overdue").click()
        expect(leader).to_have_url(re.compile(r"/oversight/risks/\?rule=overdue"))
        screenshot(leader, f"oversight-risks-{suffix}")
        leader.get_by_test_id("risk-customer").filter(has_text=COMPANY).click()
        expect(leader).to_have_url(customer_url)
        expect(leader.get_by_test_id("risk-badge")).to_be_visible()
        reasons = leader.get_by_test_id("risk-reasons")
        expect(reasons).to_contain_text("24,000.00")
        expect(reasons).to_contain_text("100")
        expect(leader.get_by_test_id("review-start")).to_have_count(0)  # leaders do not write
        screenshot(leader, f"oversight-customer-risk-{suffix}")
    phone = new_context(locale="zh-CN", phone=True).new_page()
    log_in(phone, LEADER_USERNAME, LEADER_PASSWORD)
    phone.goto("/oversight/")
    screenshot(phone, "oversight-dashboard-phone")

    # --- the member reviews the customer, proposing the important grade
    rep.goto(customer_url)
    rep.get_by_test_id("review-start").click()
    review = rep.get_by_test_id("review-form")
    review.locator("input[type=checkbox]").first.check()
    review.locator("[name=grade]").select_option("important")
    review.locator("[name=reason]").fill("年采购额超过二十万")
    review.locator("[name=outcome]").fill("资料已核实，欠款已约定分期。")
    screenshot(rep, "oversight-review-form")
    rep.get_by_test_id("review-save").click()
    expect(rep).to_have_url(customer_url)

    # --- the manager approves; the grade changes through the archive's history
    manager = new_context(locale="zh-CN").new_page()
    log_in(manager, MANAGER_USERNAME, MANAGER_PASSWORD)
    manager.goto("/oversight/reviews/")
    pending = manager.get_by_test_id("pending-reviews")
    expect(pending).to_contain_text(COMPANY)
    screenshot(manager, "oversight-reviews")
    pending.locator("[data-testid^=approve-]").first.click()
    manager.goto(customer_url)
    expect(manager.get_by_test_id("badge-grade").first).to_contain_text("重要")
    screenshot(manager, "oversight-customer-reviewed")
