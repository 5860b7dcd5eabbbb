"""Browser: an administrator sets up two-factor sign-in and signs in with it (Chinese first)."""

import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from kehu.core.tests.browser import (
    TOTP_ADMIN_NAME,
    TOTP_ADMIN_PASSWORD,
    TOTP_ADMIN_USERNAME,
    NewContext,
    screenshot,
)

pytestmark = pytest.mark.e2e


def app_code(secret: str, *, later: int = 0) -> str:
    """What an authenticator app shows for ``secret`` (``later`` seconds from now)."""
    text = secret.replace(" ", "")
    key = base64.b32decode(text + "=" * (-len(text) % 8))
    totp = TOTP(key, step=30, t0=0, digits=6)
    totp.time = time.time() + later
    return f"{totp.token():06d}"


def password_step(page: Page) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(TOTP_ADMIN_USERNAME)
    page.locator("input[name=password]").fill(TOTP_ADMIN_PASSWORD)
    page.get_by_test_id("login-submit").click()


def test_an_admin_enrols_totp_and_signs_in_with_it(new_context: NewContext) -> None:
    page = new_context(locale="zh-CN").new_page()
    # given: signed in with the password (no second factor yet)
    password_step(page)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    if page.get_by_test_id("lang-zh-hans").get_attribute("aria-pressed") != "true":
        page.get_by_test_id("lang-zh-hans").click()
    # when: the admin opens Settings → two-factor sign-in and starts the set-up
    page.goto("/accounts/settings/")
    page.get_by_test_id("twofactor-link").click()
    expect(page.locator("h1")).to_have_text("双重验证")
    screenshot(page, "twofactor-off-zh")
    page.get_by_test_id("totp-start").click()
    expect(page.get_by_test_id("totp-qr")).to_be_visible()
    natural = page.get_by_test_id("totp-qr").evaluate("img => img.naturalWidth")
    assert natural > 0  # the QR code (an SVG data URI) rendered under the strict CSP
    screenshot(page, "twofactor-scan-zh")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.locator("input[name=code]").fill(app_code(secret))
    page.get_by_test_id("totp-confirm").click()
    # then: on, with ten recovery codes shown once
    expect(page.get_by_test_id("twofactor-on")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "twofactor-recovery-codes-zh")

    # when: signing in again in a fresh browser
    page = new_context(locale="zh-CN").new_page()
    password_step(page)
    expect(page).to_have_url(re.compile(r"/accounts/login/verify/"))
    expect(page.locator("h1")).to_have_text("双重验证")
    screenshot(page, "twofactor-verify-zh")
    # a wrong code first: refused in Chinese
    page.locator("input[name=code]").fill(
        "000000" if app_code(secret, later=30) != "000000" else "111111"
    )
    page.get_by_test_id("verify-submit").click()
    expect(page.get_by_test_id("code-error")).to_have_text("验证码不对。")
    # the next time step's code (the enrolment spent this one's)
    page.locator("input[name=code]").fill(app_code(secret, later=30))
    page.get_by_test_id("verify-submit").click()
    # then: signed in, on the home page, with their name shown
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_text(TOTP_ADMIN_NAME).first).to_be_visible()
    screenshot(page, "twofactor-signed-in-zh")

    # English, on a phone: a recovery code signs in too
    phone = new_context(locale="en-US", phone=True).new_page()
    password_step(phone)
    expect(phone).to_have_url(re.compile(r"/accounts/login/verify/"))
    if phone.get_by_test_id("lang-en").get_attribute("aria-pressed") != "true":
        phone.get_by_test_id("lang-en").click()
    expect(phone.locator("h1")).to_have_text("Two-factor sign-in")
    screenshot(phone, "twofactor-verify-en-phone")
    phone.locator("input[name=code]").fill(codes[0])
    phone.get_by_test_id("verify-submit").click()
    expect(phone).not_to_have_url(re.compile(r"/accounts/login/"))
    phone.goto("/accounts/two-factor/")
    expect(phone.get_by_test_id("twofactor-on")).to_contain_text("9 recovery codes left")
    screenshot(phone, "twofactor-on-en-phone")
