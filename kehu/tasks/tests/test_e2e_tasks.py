"""A working day in a real browser (fixtures in kehu/conftest.py): the rep plans the week in
the calendar (adds a task from the 360° header, drags it to another day) and logs a call from
the search results; the team manager gives a member a task and sees it done; a phone run with
the floating button. Screenshots: ``test-artifacts/screenshots/tasks-*``."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from kehu.core.tests.browser import (
    MANAGER_PASSWORD,
    MANAGER_USERNAME,
    MEMBER_NAME,
    MEMBER_PASSWORD,
    MEMBER_USERNAME,
    REP_PASSWORD,
    REP_USERNAME,
    NewContext,
    log_in,
    screenshot,
)

pytestmark = pytest.mark.e2e


def today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def new_customer(page: Page, name: str) -> None:
    page.goto("/customers/new/?kind=person")
    page.get_by_test_id("customer-form").locator("[name=name]").fill(name)
    page.get_by_test_id("create-submit").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    # The header's quick actions are htmx links: a click before htmx has run (deferred, at
    # DOMContentLoaded) follows the plain link to the full task page instead of the dialog.
    page.wait_for_load_state()


@pytest.mark.parametrize(("locale", "name"), [("en-US", "钱晓东"), ("zh-CN", "钱晓南")])
def test_rep_plans_the_week_and_logs_a_call_from_search(
    new_context: NewContext, locale: str, name: str
) -> None:
    lang = "zh" if locale.startswith("zh") else "en"
    page = new_context(locale=locale).new_page()
    log_in(page, REP_USERNAME, REP_PASSWORD)
    new_customer(page, name)
    monday = today() - timedelta(days=today().weekday())
    wednesday, friday = monday + timedelta(days=2), monday + timedelta(days=4)
    title = f"送报价单给{name}"

    # --- add a task from the 360° header, in the dialog
    page.locator(".customer-head").get_by_test_id("quick-task").click()
    form = page.get_by_test_id("task-form")
    expect(form).to_be_visible()
    form.locator("[name=title]").fill(title)
    form.locator("[name=kind]").select_option("visit")
    form.locator("[name=due_at]").fill(f"{wednesday.isoformat()}T10:30")
    screenshot(page, f"tasks-dialog-{lang}")
    page.get_by_test_id("save-task").click()
    expect(form).to_be_hidden()
    expect(page.locator(".toast")).to_be_visible()

    # --- the week in the calendar: drag the task from Wednesday to Friday
    page.goto(f"/work/calendar/?date={wednesday.isoformat()}")
    item = page.locator(".calendar-item", has_text=title)
    expect(page.get_by_test_id(f"day-{wednesday.isoformat()}")).to_contain_text(title)
    item.drag_to(page.get_by_test_id(f"day-{friday.isoformat()}"))
    expect(page.get_by_test_id(f"day-{friday.isoformat()}")).to_contain_text(title)
    page.reload()
    expect(page.get_by_test_id(f"day-{friday.isoformat()}")).to_contain_text(title)
    expect(page.get_by_test_id(f"day-{wednesday.isoformat()}")).not_to_contain_text(title)
    expect(page.get_by_test_id("calendar-range")).to_contain_text(monday.isoformat())
    screenshot(page, f"tasks-calendar-week-{lang}")
    page.get_by_test_id("calendar-month").click()
    expect(page.get_by_test_id(f"day-{friday.isoformat()}")).to_contain_text(title)
    screenshot(page, f"tasks-calendar-month-{lang}")

    # --- log a call from the search results without leaving them
    page.goto(f"/search/?q={name}")
    hit = page.locator("li", has=page.get_by_text(name, exact=True)).first
    hit.get_by_test_id("quick-call").click()
    log_form = page.get_by_test_id("quick-log-form")
    expect(log_form).to_be_visible()
    expect(log_form.locator("[name=type]")).to_have_value("phone_call")
    log_form.locator("[name=summary]").fill("电话确认报价，客户周五给答复")
    screenshot(page, f"tasks-quick-log-{lang}")
    page.get_by_test_id("save-quick-log").click()
    expect(log_form).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/search/"))
    hit.locator("a.search-hit").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("电话确认报价")

    # --- my work and the home page show it
    page.goto("/work/")
    expect(page.get_by_test_id("work-item").filter(has_text=title)).to_be_visible()
    screenshot(page, f"tasks-my-work-{lang}")
    page.goto("/")
    expect(page.get_by_test_id("home-rep")).to_be_visible()
    screenshot(page, f"tasks-home-rep-{lang}")


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_manager_assigns_a_task_and_sees_it_done(new_context: NewContext, locale: str) -> None:
    lang = "zh" if locale.startswith("zh") else "en"
    title = f"拜访重点客户（{lang}）"
    boss = new_context(locale=locale).new_page()
    log_in(boss, MANAGER_USERNAME, MANAGER_PASSWORD)
    expect(boss.get_by_test_id("home-manager")).to_be_visible()
    expect(boss.get_by_test_id("card-team")).to_contain_text(MEMBER_NAME)
    screenshot(boss, f"tasks-home-manager-{lang}")

    # --- the manager gives the member a task
    boss.goto("/work/tasks/new/")
    form = boss.get_by_test_id("task-form")
    form.locator("[name=title]").fill(title)
    form.locator("[name=due_at]").fill(f"{(today() + timedelta(days=1)).isoformat()}T09:00")
    form.locator("[name=priority]").select_option("high")
    form.locator("[name=assignee]").select_option(label=MEMBER_NAME)
    boss.get_by_test_id("save-task").click()
    expect(boss.get_by_test_id("task-assignee")).to_contain_text(MEMBER_NAME)
    task_url = boss.url

    # --- the top bar names the team manager; the member's calendar shows the task
    role = "团队经理" if lang == "zh" else "Team manager"
    expect(boss.get_by_test_id("user-role")).to_have_text(role)
    boss.goto(f"/work/calendar/?date={(today() + timedelta(days=1)).isoformat()}")
    boss.get_by_test_id("member-select").select_option(label=MEMBER_NAME)
    boss.get_by_test_id("member-show").click()
    expect(boss.get_by_test_id("work-member")).to_have_text(MEMBER_NAME)
    expect(boss.get_by_test_id("calendar")).to_contain_text(title)
    screenshot(boss, f"tasks-manager-member-calendar-{lang}")

    # --- the member is notified and does it
    member = new_context(locale=locale).new_page()
    log_in(member, MEMBER_USERNAME, MEMBER_PASSWORD)
    expect(member.get_by_test_id("unread-badge")).to_be_visible()
    member.goto("/work/")
    row = member.get_by_test_id("work-item").filter(has_text=title)
    screenshot(member, f"tasks-member-work-{lang}")
    row.get_by_test_id("task-done").click()
    expect(row.get_by_test_id("task-done-badge")).to_be_visible()

    # --- the manager sees it done, and is told
    boss.goto(task_url)
    expect(boss.get_by_test_id("task-done-badge")).to_be_visible()
    expect(boss.get_by_test_id("unread-badge")).to_be_visible()
    screenshot(boss, f"tasks-manager-sees-done-{lang}")


def test_phone_quick_log_with_the_floating_button(new_context: NewContext) -> None:
    page = new_context(locale="zh-CN", phone=True).new_page()
    log_in(page, REP_USERNAME, REP_PASSWORD)
    new_customer(page, "钱晓北")
    fab = page.get_by_test_id("fab")
    expect(fab).to_be_visible()
    screenshot(page, "tasks-phone-customer")
    fab.click()
    log_form = page.get_by_test_id("quick-log-form")
    expect(log_form).to_be_visible()
    log_form.locator("[name=summary]").fill("手机上记录：客户来电咨询价格")
    screenshot(page, "tasks-phone-quick-log")
    page.get_by_test_id("save-quick-log").click()
    expect(log_form).to_be_hidden()
    expect(page.get_by_test_id("timeline")).to_contain_text("手机上记录")
    page.goto("/")
    screenshot(page, "tasks-phone-home")
    page.goto("/work/calendar/")
    screenshot(page, "tasks-phone-calendar")

    # --- my work on the phone: the floating button adds a task, which is listed
    page.goto("/work/")
    page.get_by_test_id("fab").click()
    task_form = page.get_by_test_id("task-form")
    expect(task_form).to_be_visible()
    task_form.locator("[name=title]").fill("手机上添加：回电确认样品")
    screenshot(page, "tasks-phone-add-task")
    page.get_by_test_id("save-task").click()
    expect(task_form).to_be_hidden()
    page.reload()
    expect(page.get_by_test_id("work-item").filter(has_text="手机上添加")).to_be_visible()
    screenshot(page, "tasks-phone-my-work")
