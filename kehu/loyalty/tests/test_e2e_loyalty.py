"""Members and care in a real browser (fixtures in kehu/conftest.py): the rep enrols a customer,
an order's payment upgrades them, points pay part of the next order, the member card shows it;
a care task appears on "my day" before a festival and is done in one click.
Screenshots: ``test-artifacts/screenshots/loyalty-*``."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from kehu.core.tests.browser import (
    ARCHIVIST_PASSWORD,
    ARCHIVIST_USERNAME,
    MARKETER_PASSWORD,
    MARKETER_USERNAME,
    REP_PASSWORD,
    REP_USERNAME,
    NewContext,
    log_in,
    run_kehu,
    screenshot,
    server_env,
)

pytestmark = pytest.mark.e2e
LEVELS = [("normal", "普通卡", 0, "0"), ("silver", "银卡", 1, "500"), ("gold", "金卡", 2, "5000"),
          ("platinum", "白金卡", 3, "20000"), ("diamond", "钻石卡", 4, "50000")]  # fmt: skip


def api(page: Page, live_app: str, method: str, path: str, data: object = None) -> object:
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "kehu_csrftoken")
    headers = {"X-CSRFToken": token, "Referer": live_app + "/"}
    response = getattr(page.request, method)(f"{live_app}/api/v1{path}", data=data, headers=headers)
    assert response.ok, response.text()
    return response.json()


@pytest.mark.parametrize(
    ("locale", "lang", "name"), [("zh-CN", "zh", "韩梅"), ("en-US", "en", "韩雪")]
)
def test_member_upgrade_redeem_and_care(
    new_context: NewContext, live_app: str, tmp_path_factory: pytest.TempPathFactory,
    locale: str, lang: str, name: str,
) -> None:  # fmt: skip
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    # --- the marketer sets up the programme and a festival two days ahead with a care plan
    mkt = new_context(locale=locale).new_page()
    log_in(mkt, MARKETER_USERNAME, MARKETER_PASSWORD)
    programme = api(mkt, live_app, "get", "/loyalty/programme")
    if not programme["levels"]:  # type: ignore[index]
        for code, level, rank, spend in LEVELS:
            api(mkt, live_app, "post", "/loyalty/levels/",
                {"code": code, "name": level, "rank": rank, "min_spend": spend})  # fmt: skip
        programme = api(mkt, live_app, "get", "/loyalty/programme")
    # the plan is for 银卡 members only: the served archive is shared, and a plan for everyone
    # would give the other tests' reps hundreds of care tasks
    silver = next(lv["id"] for lv in programme["levels"] if lv["code"] == "silver")  # type: ignore[index]
    day = today + timedelta(days=2)
    festival = api(mkt, live_app, "post", "/loyalty/festivals/",
                   {"code": f"e2e-{lang}", "name": f"客户答谢日{lang}", "calendar": "solar",
                    "month": day.month, "day": day.day})  # fmt: skip
    api(mkt, live_app, "post", "/loyalty/care/plans/",
        {"name": f"答谢电话{lang}", "occasion": "festival", "festival_id": festival["id"],  # type: ignore[index]
         "action": "call", "days_before": 3, "level_id": silver})  # fmt: skip
    mkt.goto("/loyalty/settings/")
    screenshot(mkt, f"loyalty-settings-{lang}")

    # --- the archivist's product
    admin = new_context(locale=locale).new_page()
    log_in(admin, ARCHIVIST_USERNAME, ARCHIVIST_PASSWORD)
    admin.goto("/sales/products/new/")
    form = admin.get_by_test_id("product-form")
    form.locator("[name=code]").fill(f"GIFT-{lang}")
    form.locator("[name=name]").fill("年货礼盒")
    form.locator("[name=unit]").fill("盒")
    form.locator("[name=list_price]").fill("400.00")
    form.locator("button[type=submit]").click()

    # --- the rep enrols a new customer on the 360° page
    page = new_context(locale=locale).new_page()
    log_in(page, REP_USERNAME, REP_PASSWORD)
    page.goto("/customers/new/?kind=person")
    page.get_by_test_id("customer-form").locator("[name=name]").fill(name)
    page.get_by_test_id("create-submit").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    customer_url = page.url
    page.get_by_test_id("member-enrol").click()
    card = page.get_by_test_id("member-card")
    expect(card.get_by_test_id("member-level")).to_have_text("普通卡")
    expect(card.get_by_test_id("member-card-number")).to_contain_text("VIP")

    # --- an order of 2 boxes (800 yuan), paid: 800 points and an upgrade to 银卡
    page.get_by_test_id("new-order").click()
    order_form = page.get_by_test_id("order-form")
    order_form.locator("[name=lines-0-product]").fill(f"GIFT-{lang} · 年货礼盒")
    order_form.locator("[name=lines-0-quantity]").fill("2")
    page.get_by_test_id("save-order").click()
    expect(page.get_by_test_id("order-total")).to_have_text("¥800.00")
    page.get_by_test_id("payment-form").locator("[name=amount]").fill("800")
    page.get_by_test_id("save-payment").click()
    expect(page.get_by_test_id("payment-row")).to_have_count(1)
    page.goto(customer_url)
    expect(card.get_by_test_id("member-level")).to_have_text("银卡")
    expect(card.get_by_test_id("member-balance")).to_contain_text("800")

    # --- the next order: 1 box (400 yuan), 500 points pay 5 yuan of it
    page.get_by_test_id("new-order").click()
    order_form = page.get_by_test_id("order-form")
    order_form.locator("[name=lines-0-product]").fill(f"GIFT-{lang} · 年货礼盒")
    order_form.locator("[name=lines-0-quantity]").fill("1")
    page.get_by_test_id("save-order").click()
    expect(page.get_by_test_id("order-points")).to_be_visible()
    page.get_by_test_id("redeem-points").fill("500")
    screenshot(page, f"loyalty-order-redeem-{lang}")
    page.get_by_test_id("redeem-submit").click()
    expect(page.get_by_test_id("payment-row")).to_have_count(1)
    expect(page.get_by_test_id("order-outstanding")).to_contain_text("395.00")
    page.goto(customer_url)
    expect(card.get_by_test_id("member-balance")).to_contain_text("300")
    expect(card.get_by_test_id("member-ledger")).to_contain_text("-500")
    card.scroll_into_view_if_needed()
    screenshot(page, f"loyalty-member-card-{lang}")

    # --- the care job runs; the task is on "my day" before the festival; done in one click
    data_dir = next(tmp_path_factory.getbasetemp().glob("kehu-e2e-data*"))
    run_kehu(server_env(data_dir), "loyalty", "care")
    page.goto("/my-day/")
    task = page.get_by_test_id("care-task").filter(has_text=name).filter(has_text=f"答谢日{lang}")
    expect(task).to_have_count(1)
    expect(task).to_contain_text(f"客户答谢日{lang}")
    screenshot(page, f"loyalty-my-day-{lang}")
    task.get_by_test_id("care-done").click()
    expect(task).to_have_count(0)
    page.goto(customer_url)
    expect(page.locator("[data-testid=tl-item][data-kind=interaction]").first).to_contain_text(
        f"客户答谢日{lang}"
    )

    # --- the programme overview
    page.goto("/loyalty/")
    expect(page.get_by_test_id("stat-members")).not_to_have_text("0")
    screenshot(page, f"loyalty-overview-{lang}")
    phone = new_context(locale=locale, phone=True).new_page()
    log_in(phone, REP_USERNAME, REP_PASSWORD)
    phone.goto(customer_url)
    screenshot(phone, f"loyalty-member-card-phone-{lang}")
