"""Browser crawl: every page reachable from the navigation, for each role, in both languages.

Chinese screens may hold no English words and no screen may show a raw code (a snake_case
choice value such as ``call_center``). Brand, standard and code names are allowed by name.
"""

import re

import pytest
from playwright.sync_api import Page

from kehu.core.tests.browser import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    AGENT_PASSWORD,
    AGENT_USERNAME,
    ARCHIVIST_PASSWORD,
    ARCHIVIST_USERNAME,
    MANAGER_PASSWORD,
    MANAGER_USERNAME,
    MARKETER_PASSWORD,
    MARKETER_USERNAME,
    REP_PASSWORD,
    REP_USERNAME,
    NewContext,
    log_in,
    nav_urls,
)

pytestmark = pytest.mark.e2e

ROLES = {
    "rep": (REP_USERNAME, REP_PASSWORD),
    "manager": (MANAGER_USERNAME, MANAGER_PASSWORD),
    "archivist": (ARCHIVIST_USERNAME, ARCHIVIST_PASSWORD),
    "agent": (AGENT_USERNAME, AGENT_PASSWORD),
    "marketer": (MARKETER_USERNAME, MARKETER_PASSWORD),
    "admin": (ADMIN_USERNAME, ADMIN_PASSWORD),
}

# Names that are the same in every language: the product, standards, formats, units, models.
ALLOWED = {
    "Kehu",
    "API",
    "OpenAPI",
    "Swagger",
    "REST",
    "JSON",
    "CSV",
    "Excel",
    "XLSX",
    "PDF",
    "URL",
    "HTTP",
    "HTTPS",
    "ID",
    "IP",
    "SLA",
    "RFM",
    "CLV",
    "KPI",
    "BG",
    "NBD",
    "TOTP",
    "CNY",
    "USD",
    "EUR",
    "Bearer",
    "Authorization",
    "SQLite",
    "PostgreSQL",
    "Redis",
    "FAQ",
    "VIP",
    "SMS",
    "WeChat",
    "QQ",
    "PIPL",
    "ROI",
    "Gamma",
    "EN",
    "Lift",
    "AM",
    "PM",
    "iframe",
    "Docs",
}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]{2,}")
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
# Data (usernames, names in English, a browser's description, codes) is not interface text:
# pages mark it ``translate="no"``, as for translation tools, and it is not checked.
DATA_SELECTORS = "code, input, textarea, select, script, style, [translate=no]"


def visible_text(page: Page) -> str:
    return str(
        page.evaluate(
            r"""(skip) => {
                const clone = document.body.cloneNode(true);
                clone.querySelectorAll(skip).forEach((n) => n.remove());
                clone.querySelectorAll('[hidden], dialog:not([open])').forEach((n) => n.remove());
                // Links to one customer or user name them: data, whatever the other tests made.
                clone.querySelectorAll('a[href]').forEach((a) => {
                    if (/\/(customers|accounts\/users)\/\d+\/?$/.test(a.getAttribute('href'))) {
                        a.remove();
                    }
                });
                return clone.innerText;
            }""",
            DATA_SELECTORS,
        )
    )


def english_words(text: str) -> set[str]:
    words = set()
    for word in WORD.findall(text):
        # A token with digits is a code or an id (data), not a word.
        if word in ALLOWED or word.upper() in ALLOWED or any(ch.isdigit() for ch in word):
            continue
        words.add(word)
    return words


@pytest.mark.parametrize("role", list(ROLES))
def test_no_english_or_codes_on_any_page(new_context: NewContext, role: str) -> None:
    username, password = ROLES[role]
    problems: list[str] = []
    for locale in ("zh-CN", "en-US"):
        page = new_context(locale=locale).new_page()
        log_in(page, username, password)
        for url in nav_urls(page):
            page.goto(url)
            # The user's own name is data too, wherever the page greets them.
            text = visible_text(page).replace(page.get_by_test_id("user-name").inner_text(), "")
            codes = set(CODE.findall(text))
            if codes:
                problems.append(f"{locale} {url}: codes {sorted(codes)}")
            if locale == "zh-CN":
                words = english_words(text)
                if words:
                    problems.append(f"{locale} {url}: English {sorted(words)}")
    assert not problems, "\n".join(problems)
