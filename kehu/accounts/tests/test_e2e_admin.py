"""Browser: an administrator creates a team and a user, who signs in and changes their
password; a team manager hands a leaving rep's book to two colleagues."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from kehu.core.tests.browser import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    NewContext,
    PageProblems,
    create_user,
    csrf_headers,
    log_in,
    screenshot,
    submit_login,
)

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Lantern-river-plum-42"


def test_admin_creates_a_team_and_a_user_who_changes_their_password(
    new_context: NewContext, live_app: str
) -> None:
    suffix = str(uuid.uuid4().int)[:6]  # digits: not mistaken for English words
    team, username = f"华北销售部{suffix}", f"e2e-new-{suffix}"
    context = new_context(locale="zh-CN")
    problems = PageProblems()
    problems.watch(context)
    page = context.new_page()
    log_in(page, ADMIN_USERNAME, ADMIN_PASSWORD)
    # the administrator finds users and teams in the navigation
    page.get_by_role("link", name="用户与团队").first.click()
    expect(page.locator("h1")).to_have_text("用户与团队")
    screenshot(page, "admin-users-zh")
    page.get_by_test_id("tab-teams").click()
    page.get_by_test_id("team-new").click()
    page.locator("input[name=name]").fill(team)
    page.get_by_test_id("save-team").click()
    expect(page.get_by_test_id("team-row").filter(has_text=team)).to_have_count(1)
    screenshot(page, "admin-teams-zh")
    password = create_user(page, username, "新员工周杰", team)
    screenshot(page, "admin-user-created-zh")
    page.reload()
    expect(page.get_by_test_id("new-password")).to_have_count(0)  # shown once

    # the new user signs in and changes the password
    user_page = new_context(locale="zh-CN").new_page()
    log_in(user_page, username, password)
    user_page.goto("/accounts/settings/")
    user_page.get_by_test_id("password-change-link").click()
    user_page.locator("input[name=old_password]").fill(password)
    user_page.locator("input[name=new_password1]").fill(NEW_PASSWORD)
    user_page.locator("input[name=new_password2]").fill(NEW_PASSWORD)
    screenshot(user_page, "password-change-zh")
    user_page.get_by_test_id("save-password").click()
    expect(user_page).to_have_url(re.compile(r"/accounts/settings/$"))
    expect(user_page.get_by_test_id("session-row")).to_have_count(1)
    screenshot(user_page, "settings-sessions-zh")
    # the old password no longer works, the new one does
    again = new_context(locale="zh-CN").new_page()
    submit_login(again, username, password)
    expect(again).to_have_url(re.compile(r"/accounts/login/"))
    log_in(again, username, NEW_PASSWORD)
    assert not problems.problems, problems.problems


def test_manager_hands_a_leaving_reps_book_to_two_colleagues(
    new_context: NewContext, live_app: str
) -> None:
    suffix = str(uuid.uuid4().int)[:6]  # digits: not mistaken for English words
    team = f"交接组{suffix}"
    admin = new_context().new_page()
    log_in(admin, ADMIN_USERNAME, ADMIN_PASSWORD)
    admin.goto("/accounts/teams/new/")
    admin.locator("input[name=name]").fill(team)
    admin.get_by_test_id("save-team").click()
    passwords = {}
    for key, name in (("boss", "组长钱"), ("leaving", "离职孙"), ("a", "同事赵"), ("b", "同事李")):
        passwords[key] = create_user(admin, f"e2e-{key}-{suffix}", name, team)
    # the boss manages the team
    admin.goto("/accounts/teams/")
    admin.get_by_test_id("team-row").filter(has_text=team).get_by_role("link").click()
    admin.locator("[data-field=managers]").get_by_label(re.compile(f"e2e-boss-{suffix}")).check()
    admin.get_by_test_id("save-team").click()

    # the leaving rep has three customers
    leaving_context = new_context()
    leaving = leaving_context.new_page()
    log_in(leaving, f"e2e-leaving-{suffix}", passwords["leaving"])
    for i in range(3):
        response = leaving.request.post(
            f"{live_app}/api/v1/customers/",
            data={"kind": "person", "fields": {"name": f"交接客户{suffix}{i}"}},
            headers=csrf_headers(leaving_context, live_app),
        )
        assert response.status == 201, response.text()

    # the manager previews and hands over
    context = new_context(locale="zh-CN")
    problems = PageProblems()
    problems.watch(context)
    page = context.new_page()
    log_in(page, f"e2e-boss-{suffix}", passwords["boss"])
    page.get_by_role("link", name="工作交接").first.click()
    page.locator("select[name=from_user]").select_option(label=f"离职孙 (e2e-leaving-{suffix})")
    page.locator("[data-field=to_users]").get_by_label(re.compile("同事赵")).check()
    page.locator("[data-field=to_users]").get_by_label(re.compile("同事李")).check()
    page.get_by_test_id("handover-preview").click()
    expect(page.get_by_test_id("count-customers")).to_have_text("3")
    screenshot(page, "handover-preview-zh")
    page.get_by_test_id("handover-confirm").click()
    expect(page).to_have_url(re.compile(r"/accounts/handover/\d+/$"))
    expect(page.get_by_test_id("moved").first).to_have_text("3")
    screenshot(page, "handover-done-zh")
    # nothing is left with the leaving rep
    page.goto("/accounts/handover/")
    page.locator("select[name=from_user]").select_option(label=f"离职孙 (e2e-leaving-{suffix})")
    page.get_by_test_id("handover-preview").click()
    expect(page.get_by_test_id("count-customers")).to_have_text("0")
    assert not problems.problems, problems.problems
