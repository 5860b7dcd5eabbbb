"""Privacy requests in a real browser against the served app (fixtures in kehu/conftest.py).

An archive administrator finds a person by phone, records a copy request, makes the copy and
downloads it (a zip of data.html and data.json with the ID number in clear), closes the
request; then records a deletion request for the same person and erases them: the person's
name is gone from the search. Chinese first, then English. Screenshots:
``test-artifacts/screenshots/privacy-*``.
"""

import io
import json
import re
import zipfile

import pytest
from playwright.sync_api import Page, expect

from kehu.core.tests.browser import (
    ARCHIVIST_PASSWORD,
    ARCHIVIST_USERNAME,
    NewContext,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.e2e

# A person per language, with values no other browser test uses (they share one archive).
PEOPLE = {
    "zh-CN": ("宓清妍", "13706061234", "330212199105170748", "完成"),
    "en-US": ("宓清越", "13706064321", "330212199105171185", "Done"),
}


def record_request(page: Page, phone: str, name: str, kind: str) -> None:
    page.goto("/privacy/new/")
    page.get_by_test_id("privacy-q").fill(phone)
    page.get_by_test_id("privacy-q").press("Enter")
    page.get_by_test_id("privacy-hit").filter(has_text=name).click()
    expect(page.get_by_test_id("privacy-customer")).to_have_text(name)
    form = page.get_by_test_id("privacy-request-form")
    form.locator("[name=kind]").select_option(kind)
    form.locator("[name=verification]").select_option("in_person")
    page.get_by_test_id("privacy-request-save").click()
    expect(page).to_have_url(re.compile(r"/privacy/\d+/$"))


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_archivist_handles_a_copy_request_and_a_deletion_request(
    new_context: NewContext, live_app: str, locale: str
) -> None:
    name, phone, id_number, done = PEOPLE[locale]
    tag = locale[:2]
    context = new_context(locale=locale)
    page = context.new_page()
    log_in(page, ARCHIVIST_USERNAME, ARCHIVIST_PASSWORD)
    token = next(c["value"] for c in context.cookies() if c["name"] == "kehu_csrftoken")
    response = page.request.post(
        f"{live_app}/api/v1/customers/",
        data={"kind": "person", "fields": {"name": name, "phones": [phone],
                                           "person.id_number": id_number}},
        headers={"X-CSRFToken": token, "Referer": live_app + "/"},
    )  # fmt: skip
    assert response.status == 201, response.text()
    customer_id = response.json()["id"]

    # --- a copy request: find the person, record, make the copy, download, close
    record_request(page, phone, name, "copy")
    screenshot(page, f"privacy-copy-request-{tag}")
    page.get_by_test_id("privacy-make-copy").click()
    expect(page.get_by_test_id("privacy-download-copy")).to_be_visible()
    screenshot(page, f"privacy-copy-ready-{tag}")
    with page.expect_download() as download_info:
        page.get_by_test_id("privacy-download-copy").click()
    content = download_info.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        data = json.loads(archive.read("data.json"))
        html = archive.read("data.html").decode()
    assert data["customer"]["name"] == name
    assert {f["field"]: f["value"] for f in data["fields"]}["person.id_number"] == id_number
    assert id_number in html
    page.get_by_test_id("privacy-handed-over").click()
    expect(page.get_by_test_id("privacy-status")).to_have_text(done)

    # --- a deletion request for the same person: erase
    record_request(page, phone, name, "deletion")
    page.get_by_test_id("privacy-erase-confirm").check()
    screenshot(page, f"privacy-erase-confirm-{tag}")
    page.get_by_test_id("privacy-erase-submit").click()
    expect(page.get_by_test_id("privacy-status")).to_have_text(done)
    expect(page.get_by_test_id("privacy-erased")).to_be_visible()
    expect(page.get_by_test_id("privacy-customer")).to_have_text(f"#{customer_id}")
    screenshot(page, f"privacy-erased-{tag}")

    # the person is gone from the archive's search
    found = page.request.get(f"{live_app}/api/v1/search?q={phone}")
    assert name not in found.text()
    page.goto("/privacy/")
    expect(page.get_by_test_id("privacy-row").first).to_be_visible()
    screenshot(page, f"privacy-register-{tag}")
    # and the audit log tells each step without the person's data
    page.goto("/audit/?action=erased")
    expect(page.get_by_test_id("audit-row").first).to_be_visible()
    assert name not in page.content()
    screenshot(page, f"privacy-audit-{tag}")
