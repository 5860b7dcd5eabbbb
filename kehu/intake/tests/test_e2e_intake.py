"""Web-form intake in a real browser against the served app (fixtures in kehu/conftest.py).

The administrator defines a web form and sends new leads to the sales rep; a visitor fills the
form inside an iframe on another site (the embed snippet), sees the thank-you message; the rep
finds the new lead, with its web-form interaction on the timeline, and looks the number up on
the screen-pop. Screenshots: ``test-artifacts/screenshots/intake-*.png``.
"""

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Page, expect

from kehu.core.tests.browser import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    PHONE,
    REP_NAME,
    REP_PASSWORD,
    REP_USERNAME,
    NewContext,
    free_port,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.e2e

SLUG = "e2e-inquiry"
CONSENT = "我同意按隐私政策处理我的个人信息，仅用于回复本次询价。"
THANKS = "谢谢！销售顾问会在一个工作日内联系您。"


@pytest.fixture
def other_site() -> Iterator[dict[str, str]]:
    """A second web site (http://localhost:PORT, another site than the app on 127.0.0.1) that
    serves whatever HTML the test puts in ``pages["/"]``."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    pages["base"] = f"http://localhost:{port}"
    yield pages
    server.shutdown()


def _define_form(admin: Page, slug: str) -> str:
    """The administrator defines the inquiry form at ``slug``; returns its embed snippet."""
    admin.goto("/intake/forms/")
    admin.get_by_test_id("new-form").click()
    form = admin.get_by_test_id("web-form-form")
    form.locator("[name=title]").fill("产品询价")
    form.locator("[name=slug]").fill(slug)
    for code in ("name", "phones", "emails", "person.employer", "message"):
        form.locator(f"input[name=field_codes][value='{code}']").check()
    form.locator("input[name=required_fields][value=phones]").check()
    form.locator("[name=consent_text]").fill(CONSENT)
    form.locator("[name=thank_you_message]").fill(THANKS)
    admin.get_by_test_id("form-save").click()
    expect(admin.locator(".alert-success")).to_contain_text("产品询价")
    return admin.get_by_test_id("embed-snippet").input_value()


def test_web_form_submission_becomes_a_lead_on_the_timeline(
    new_context: NewContext, live_app: str, other_site: dict[str, str]
) -> None:
    # --- the administrator defines the form and gives new leads to the rep
    admin = new_context().new_page()
    log_in(admin, ADMIN_USERNAME, ADMIN_PASSWORD)
    admin.goto("/intake/assignment/")
    form = admin.get_by_test_id("assignment-form")
    form.locator("input[name=rule][value=fixed_user]").check()
    form.locator("select[name=user]").select_option(label=f"{REP_NAME} ({REP_USERNAME})")
    admin.get_by_test_id("assignment-save").click()
    expect(admin.locator(".alert-success")).to_contain_text("Lead assignment saved")
    screenshot(admin, "intake-assignment")

    snippet = _define_form(admin, SLUG)
    assert snippet.startswith(f'<iframe src="{live_app}/f/{SLUG}/"')
    screenshot(admin, "intake-form-admin")

    # --- a visitor on another site fills the embedded form (no Kehu cookie anywhere)
    other_site["/"] = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">'
        f"<title>宏达官网</title></head><body><h1>宏达机械 · 联系我们</h1>{snippet}</body></html>"
    )
    visitor = new_context(locale="zh-CN").new_page()
    visitor.goto(other_site["base"] + "/")
    frame = visitor.frame_locator("iframe")
    expect(frame.get_by_test_id("form-title")).to_have_text("产品询价")
    expect(frame.get_by_test_id("consent-text")).to_contain_text("隐私政策")
    frame.locator("[name=name]").fill("周晓梅")
    frame.locator("[name=phones]").fill("+86 136-5555-0123")
    frame.locator("[name=emails]").fill("zhouxm@example.com")
    frame.locator("[name='person.employer']").fill("宁波海天塑机")
    frame.locator("[name=message]").fill("想了解注塑机配件的批量报价。")
    frame.locator("[name=consent]").check()
    screenshot(visitor, "intake-public-form-embedded")
    visitor.wait_for_timeout(2100)  # people take a moment; the form refuses instant posts
    frame.get_by_test_id("form-submit").click()
    expect(frame.get_by_test_id("thank-you")).to_have_text(THANKS)
    screenshot(visitor, "intake-thank-you")

    # --- the rep finds the new lead with its web-form interaction on the timeline
    rep = new_context().new_page()
    log_in(rep, REP_USERNAME, REP_PASSWORD)
    expect(rep.get_by_test_id("user-name")).to_have_text(REP_NAME)
    rep.goto("/customers/?q=周晓梅")
    rep.get_by_role("link", name="周晓梅").first.click()
    expect(rep).to_have_url(re.compile(r"/customers/\d+/$"))
    expect(rep.get_by_test_id("customer-name")).to_have_text("周晓梅")
    expect(rep.get_by_test_id("source-phones")).to_contain_text("Website")
    timeline = rep.get_by_test_id("timeline")
    web_form_item = timeline.locator("[data-testid=tl-item][data-kind=interaction]").first
    expect(web_form_item).to_contain_text("Web form")
    expect(web_form_item).to_contain_text("想了解注塑机配件的批量报价。")
    screenshot(rep, "intake-lead-timeline")

    # --- and the screen-pop knows the number in any format
    rep.goto("/calls/lookup?number=13655550123")
    expect(rep.get_by_test_id("caller-customer")).to_have_text("周晓梅")
    expect(rep.get_by_test_id("caller-interactions")).to_contain_text("Web form")
    expect(rep.get_by_text("Open cases", exact=True)).to_be_visible()
    screenshot(rep, "intake-screen-pop")


def test_public_form_on_a_phone_explains_errors_in_the_visitors_language(
    browser: Browser, live_app: str, new_context: NewContext
) -> None:
    # A form of its own, so the test passes alone and in any order.
    slug = f"{SLUG}-phone"
    admin = new_context().new_page()
    log_in(admin, ADMIN_USERNAME, ADMIN_PASSWORD)
    _define_form(admin, slug)
    # Not the watched ``new_context``: this test wants the 422 answer that it flags.
    context = browser.new_context(
        base_url=live_app, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    try:
        visitor = context.new_page()
        visitor.goto(f"/f/{slug}/")
        visitor.locator("[name=phones]").fill("12345")
        visitor.wait_for_timeout(2100)
        with visitor.expect_response(lambda r: r.request.method == "POST") as answer:
            visitor.get_by_test_id("form-submit").click()
        assert answer.value.status == 422
        expect(visitor.get_by_test_id("error-phones")).to_contain_text("请输入中国大陆手机号")
        expect(visitor.get_by_test_id("error-name")).to_contain_text("此项为必填项")
        expect(visitor.locator("[name=phones]")).to_have_value("12345")
        screenshot(visitor, "intake-public-form-errors-phone")
    finally:
        context.close()
