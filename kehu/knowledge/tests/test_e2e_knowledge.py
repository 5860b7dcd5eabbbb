"""Knowledge in a real browser against the served app (fixtures in kehu/conftest.py).

A service agent asks a question the knowledge base cannot answer (suggested articles, if any,
do not answer it); with no expert for the topic
it goes to the fallback manager (the administrator), who answers it, turns the answer into an
article in one step and publishes it; the next colleague (a sales rep) finds the article by
pinyin. In English and Simplified Chinese. Screenshots: ``test-artifacts/screenshots/knowledge-*``.
"""

import re

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    ADMIN_NAME,
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

LABELS = {
    "en-US": {"with_expert": "With expert", "answered": "Answered", "published": "Published"},
    "zh-CN": {"with_expert": "专家处理中", "answered": "已解答", "published": "已发布"},
}


@pytest.mark.parametrize(("locale", "word", "pinyin"), [
    ("en-US", "手环", "shouhuan"), ("zh-CN", "投影仪", "touyingyi"),
])  # fmt: skip
def test_question_to_expert_to_article_found_by_pinyin(
    new_context: NewContext, locale: str, word: str, pinyin: str
) -> None:
    labels = LABELS[locale]
    tag = locale[:2]
    # --- the agent asks; nothing in the base matches
    agent = new_context(locale=locale).new_page()
    log_in(agent, AGENT_USERNAME, AGENT_PASSWORD)
    agent.goto("/knowledge/questions/new/")
    form = agent.get_by_test_id("question-form")
    form.locator("[name=text]").fill(f"客户问：{word}能不能壁挂安装？")
    form.locator("[name=urgency]").select_option("high")
    form.locator("[name=channel]").select_option("call")
    screenshot(agent, f"knowledge-ask-{tag}")
    agent.get_by_test_id("send-question").click()
    expect(agent).to_have_url(re.compile(r"/knowledge/questions/\d+/$"))
    route = agent.get_by_test_id("route-question")
    if route.count():
        # Articles matched some words (an earlier run's article) but none answers it.
        screenshot(agent, f"knowledge-suggested-{tag}")
        route.click()
    expect(agent.get_by_test_id("question-status")).to_have_text(labels["with_expert"])
    expect(agent.get_by_test_id("question-expert")).to_have_text(ADMIN_NAME)
    question_url = agent.url
    screenshot(agent, f"knowledge-question-{tag}")

    # --- the expert answers and publishes the answer as an article
    expert = new_context(locale=locale).new_page()
    log_in(expert, ADMIN_USERNAME, ADMIN_PASSWORD)
    expert.goto(question_url)
    expert.get_by_test_id("answer-text").fill(f"{word}整机保修一年，电池保修半年，凭订单号报修。")
    expert.get_by_test_id("send-answer").click()
    expect(expert.get_by_test_id("question-status")).to_have_text(labels["answered"])
    expert.get_by_test_id("make-article").click()
    expect(expert).to_have_url(re.compile(r"/knowledge/\d+/edit/$"))
    article_form = expert.get_by_test_id("article-form")
    article_form.locator("[name=title]").fill(f"{word}保修政策")
    article_form.locator("[name=tags]").fill("保修")
    screenshot(expert, f"knowledge-article-draft-{tag}")
    expert.get_by_test_id("save-article").click()
    expect(expert).to_have_url(re.compile(r"/knowledge/\d+/$"))
    expert.get_by_test_id("publish-article").click()
    expect(expert.get_by_test_id("article-status")).to_have_text(labels["published"])
    screenshot(expert, f"knowledge-article-published-{tag}")

    # --- the agent sees the answer
    agent.reload()
    expect(agent.get_by_test_id("question-answer")).to_contain_text("整机保修一年")

    # --- the next colleague finds it by pinyin
    rep = new_context(locale=locale).new_page()
    log_in(rep, REP_USERNAME, REP_PASSWORD)
    rep.goto("/knowledge/")
    rep.get_by_test_id("article-filters").locator("[name=q]").fill(pinyin)
    rep.get_by_test_id("search-articles").click()
    hit = rep.get_by_test_id("article-hit").first
    expect(hit).to_contain_text(f"{word}保修政策")
    screenshot(rep, f"knowledge-found-by-pinyin-{tag}")
    hit.locator("a").first.click()
    expect(rep.get_by_test_id("article-body")).to_contain_text("电池保修半年")
