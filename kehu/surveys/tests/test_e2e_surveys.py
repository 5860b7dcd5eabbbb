"""Surveys in a real browser against the served app (fixtures in kehu/conftest.py).

A rep's customer; a marketer (Chinese browser) builds a survey whose question fills the
archive's preferred products, publishes it and invites the customer; the customer answers on a
phone through the one-time link (a second visit and missing answers, which answer 410 and
400, are in test_views); the rep sees the new fact in the archive's history with the
channel "survey"; the marketer's results page shows the charts and the NPS.
Screenshots: ``test-artifacts/screenshots/surveys-*.png``.
"""

import re

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    MARKETER_PASSWORD,
    MARKETER_USERNAME,
    REP_PASSWORD,
    REP_USERNAME,
    NewContext,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.e2e


def test_build_answer_on_a_phone_and_see_the_archive_and_results(new_context: NewContext) -> None:
    # --- the rep's customer
    rep = new_context().new_page()
    log_in(rep, REP_USERNAME, REP_PASSWORD)
    rep.goto("/customers/new/?kind=person")
    rep.get_by_test_id("customer-form").locator("[name=name]").fill("问卷客户周敏")
    rep.get_by_test_id("create-submit").click()
    expect(rep).to_have_url(re.compile(r"/customers/\d+/$"))
    customer_id = re.search(r"/customers/(\d+)/$", rep.url).group(1)  # type: ignore[union-attr]

    # --- the marketer builds the survey (Chinese first)
    marketer = new_context(locale="zh-CN").new_page()
    log_in(marketer, MARKETER_USERNAME, MARKETER_PASSWORD)
    marketer.goto("/surveys/")
    marketer.get_by_test_id("title-zh").fill("早教需求调查")
    marketer.get_by_test_id("create-survey").click()
    expect(marketer).to_have_url(re.compile(r"/surveys/\d+/$"))
    survey_url = marketer.url
    form = marketer.get_by_test_id("question-form")
    form.get_by_test_id("question-kind").select_option("multiple")
    form.get_by_test_id("question-zh").fill("您关注哪些早教产品？")
    form.get_by_test_id("question-en").fill("Which early-education products interest you?")
    form.get_by_test_id("question-choices").fill(
        "绘本|Picture books\n早教课程|Classes\n益智玩具|Toys"
    )
    form.get_by_test_id("question-required").check()
    form.get_by_test_id("question-field").select_option("person.preferred_products")
    marketer.get_by_test_id("add-question").click()
    form = marketer.get_by_test_id("question-form")
    form.get_by_test_id("question-kind").select_option("nps")
    form.get_by_test_id("question-zh").fill("您有多大可能向朋友推荐我们？")
    marketer.get_by_test_id("add-question").click()
    expect(marketer.get_by_test_id("question-list")).to_contain_text("推荐")
    screenshot(marketer, "surveys-builder")
    marketer.get_by_test_id("publish").click()
    marketer.get_by_test_id("invite-ids").fill(customer_id)
    marketer.get_by_test_id("invite").click()
    link = marketer.get_by_test_id("invitation-link").input_value()
    screenshot(marketer, "surveys-invitations")

    # --- the customer answers on a phone, without signing in
    customer = new_context(locale="zh-CN", phone=True).new_page()
    customer.goto(link)
    expect(customer.get_by_test_id("survey-form")).to_be_visible()
    customer.get_by_text("绘本").click()
    customer.get_by_text("早教课程").click()
    customer.get_by_test_id("question-2").locator("input[value='9']").check()
    screenshot(customer, "surveys-answer-phone")
    customer.get_by_test_id("send-answers").click()
    expect(customer.get_by_test_id("survey-thanks")).to_be_visible()
    screenshot(customer, "surveys-thanks-phone")

    # --- the archive shows the new fact, learned through the survey
    rep.goto(f"/customers/{customer_id}/history/")
    row = rep.locator("[data-testid=history-row][data-field='person.preferred_products']")
    expect(row).to_contain_text("绘本、早教课程")
    expect(row.get_by_test_id("history-channel")).to_have_text("Survey")
    screenshot(rep, "surveys-archive-history")

    # --- the results page shows the charts
    marketer.goto(survey_url + "results/")
    expect(marketer.get_by_test_id("stat-rate")).to_have_text("100.0%")
    expect(marketer.locator("[data-testid=chart] canvas").first).to_be_visible()
    expect(marketer.get_by_test_id("nps")).to_contain_text("100.0")
    # NPS over time: a line chart drawn by results.js (no inline script or style: CSP)
    expect(marketer.locator("[data-testid=trend] canvas").first).to_be_visible()
    screenshot(marketer, "surveys-results")
    english = new_context().new_page()
    log_in(english, MARKETER_USERNAME, MARKETER_PASSWORD)
    english.goto(survey_url + "results/")
    expect(english.get_by_test_id("survey-stats")).to_contain_text("Response rate")
    screenshot(english, "surveys-results-en")
