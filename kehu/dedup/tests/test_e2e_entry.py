"""Possible duplicates at entry in a real browser (fixtures in kehu/conftest.py).

A sales rep's customer is in the archive; the rep enters it again on the new-customer form (in
Chinese, then in English): nothing is saved, the existing customer is shown with the evidence
(same name, a phone in common, same street address) and a link that opens it instead.
Screenshots: ``test-artifacts/screenshots/dedup-entry-*``.
"""

import re

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import REP_PASSWORD, REP_USERNAME, NewContext, log_in, screenshot

pytestmark = pytest.mark.e2e

NAME, PHONE, ADDRESS = "东方明月", "137 1234 0601", "北京市海淀区中关村大街27号"


@pytest.mark.parametrize(
    ("locale", "evidence"), [("zh-CN", "有相同电话"), ("en-US", "a phone in common")]
)
def test_entering_a_customer_again_shows_the_existing_one(
    new_context: NewContext, live_app: str, locale: str, evidence: str
) -> None:
    context = new_context(locale=locale)
    page = context.new_page()
    log_in(page, REP_USERNAME, REP_PASSWORD)
    token = next(c["value"] for c in context.cookies() if c["name"] == "kehu_csrftoken")
    existing = page.request.get(f"{live_app}/api/v1/customers/?q={NAME}")
    found = [c for c in existing.json()["results"] if c["name"] == NAME]
    if found:
        customer_id = found[0]["id"]
    else:  # given: the customer is in the archive (entered by the first run)
        response = page.request.post(
            f"{live_app}/api/v1/customers/",
            data={"kind": "person", "fields": {"name": NAME, "phones": [PHONE],
                                               "address": ADDRESS}},
            headers={"X-CSRFToken": token, "Referer": live_app + "/"},
        )  # fmt: skip
        assert response.status == 201, response.text()
        customer_id = response.json()["id"]

    # when: the rep enters the same customer on the form
    page.goto("/customers/new/")
    form = page.get_by_test_id("customer-form")
    form.locator("[name=name]").fill(NAME)
    form.locator("[name=phones]").fill(PHONE)
    form.locator("[name=address]").fill(ADDRESS)
    page.get_by_test_id("create-submit").click()

    # then: nothing is saved; the existing customer is shown with the evidence
    warning = page.get_by_test_id("possible-duplicates")
    expect(warning).to_be_visible()
    duplicate = warning.get_by_test_id("possible-duplicate")
    expect(duplicate).to_have_count(1)
    expect(duplicate).to_contain_text(NAME)
    expect(duplicate).to_contain_text(evidence)
    expect(page.get_by_test_id("save-anyway")).to_be_visible()
    screenshot(page, f"dedup-entry-warning-{locale}")

    # and the rep opens the existing customer instead
    duplicate.get_by_test_id("open-existing").click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
