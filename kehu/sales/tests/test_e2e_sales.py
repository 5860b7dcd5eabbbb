"""Sales in a real browser against the served app (fixtures in kehu/conftest.py).

The archivist adds a product; a sales rep creates a customer, takes an order for it, records a
partial payment and sees the receivable on the 360° page; then opens an opportunity and drags
it to another stage on the kanban. Screenshots: ``test-artifacts/screenshots/sales-*``.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    ARCHIVIST_PASSWORD,
    ARCHIVIST_USERNAME,
    REP_PASSWORD,
    REP_USERNAME,
    NewContext,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.e2e


def test_order_partial_payment_receivable_and_kanban_move(new_context: NewContext) -> None:
    # --- the archivist adds a product to the catalogue
    admin = new_context().new_page()
    log_in(admin, ARCHIVIST_USERNAME, ARCHIVIST_PASSWORD)
    admin.goto("/sales/products/new/")
    form = admin.get_by_test_id("product-form")
    form.locator("[name=code]").fill("TEA-LJ")
    form.locator("[name=name]").fill("西湖龙井礼盒")
    form.locator("[name=category]").fill("茶叶")
    form.locator("[name=unit]").fill("盒")
    form.locator("[name=list_price]").fill("368.00")
    form.locator("button[type=submit]").click()
    expect(admin.get_by_test_id("product-table")).to_contain_text("西湖龙井礼盒")
    screenshot(admin, "sales-products")

    # --- the rep: a customer, an order of 3 boxes at 10% off
    page = new_context().new_page()
    log_in(page, REP_USERNAME, REP_PASSWORD)
    # the served archive is shared: other browser tests may have sold as this rep before
    page.goto("/sales/performance/")
    before = Decimal(page.get_by_test_id("total-revenue").inner_text().replace(",", ""))
    page.goto("/customers/new/?kind=person")
    page.get_by_test_id("customer-form").locator("[name=name]").fill("周婷")
    page.get_by_test_id("create-submit").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    customer_url = page.url
    page.get_by_test_id("new-order").click()
    order_form = page.get_by_test_id("order-form")
    order_form.locator("[name=lines-0-product]").fill("TEA-LJ · 西湖龙井礼盒")
    order_form.locator("[name=lines-0-quantity]").fill("3")
    order_form.locator("[name=lines-0-discount_percent]").fill("10")
    screenshot(page, "sales-order-form")
    page.get_by_test_id("save-order").click()
    expect(page.get_by_test_id("order-total")).to_have_text("¥993.60")  # 3 × 368 × 0.9

    # --- a partial payment, recorded in place with htmx
    payment = page.get_by_test_id("payment-form")
    payment.locator("[name=amount]").fill("500")
    payment.locator("[name=method]").select_option("alipay")
    page.get_by_test_id("save-payment").click()
    expect(page.get_by_test_id("order-outstanding")).to_contain_text("493.60")
    expect(page.get_by_test_id("payment-row")).to_have_count(1)
    screenshot(page, "sales-order-paid")

    # --- delivered: the button goes, the receivable stays
    page.get_by_test_id("order-deliver").click()
    expect(page.get_by_test_id("order-status")).to_have_class(re.compile(r"\border-delivered\b"))
    expect(page.get_by_test_id("order-deliver")).to_have_count(0)

    # --- the receivable on the 360° page, in the youngest ageing bucket
    page.goto(customer_url)
    receivables = page.get_by_test_id("receivables")
    expect(receivables.get_by_test_id("outstanding")).to_have_text("493.60")
    expect(receivables.get_by_test_id("bucket-d0_30")).to_have_text("493.60")
    expect(page.get_by_test_id("lifetime-revenue")).to_contain_text("993.60")
    expect(page.locator("[data-testid=tl-item][data-kind=payment]")).to_have_count(1)
    screenshot(page, "sales-customer-360")

    # --- an opportunity, dragged from "Qualify" to "Proposal" on the kanban
    page.get_by_test_id("new-opportunity").click()
    opp_form = page.get_by_test_id("opportunity-form")
    opp_form.locator("[name=name]").fill("中秋团购")
    opp_form.locator("[name=amount]").fill("20000")
    page.get_by_test_id("save-opportunity").click()
    expect(page.get_by_test_id("opportunity-stage")).to_have_text("Qualify")
    page.goto("/sales/opportunities/")
    card = page.get_by_test_id("stage-qualify").get_by_test_id("opportunity-card")
    expect(card).to_have_count(1)
    card.drag_to(page.get_by_test_id("stage-proposal"))
    moved = page.get_by_test_id("stage-proposal").get_by_test_id("opportunity-card")
    expect(moved).to_contain_text("中秋团购")
    expect(moved).to_contain_text("50%")
    expect(page.get_by_test_id("stage-qualify").get_by_test_id("opportunity-card")).to_have_count(0)
    screenshot(page, "sales-kanban")
    # the move is stored: a reload shows it in the new column
    page.reload()
    expect(page.get_by_test_id("stage-proposal")).to_contain_text("中秋团购")

    # --- the performance report counts the order and the payment
    page.goto("/sales/performance/")
    expected = before + Decimal("993.60")
    expect(page.get_by_test_id("total-revenue")).to_have_text(f"{expected:,.2f}")
    screenshot(page, "sales-performance")
