"""My work, the calendar, the task pages and the iCalendar feed in the browser's HTTP: each
works for the right user and refuses the wrong one; time frozen."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import translation
from icalendar import Calendar

from kehu.interactions.models import Reminder
from kehu.interactions.services import interaction_log
from kehu.service.services import case_open
from kehu.tasks.ical import feed_token
from kehu.tasks.models import Task
from kehu.tasks.services import task_create

pytestmark = pytest.mark.django_db

# Thursday 2026-12-03, 10:00 in Shanghai
NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def at(day: int, hour: int = 9) -> datetime:
    """``day`` December 2026 at ``hour`` o'clock in Shanghai."""
    return datetime(2026, 12, day, hour - 8, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def week(rep, customer, frozen):
    """One of each kind of work: overdue, today, this week, later."""
    task_create(user=rep, title="逾期报价", due_at=at(1), customer=customer)
    task_create(user=rep, title="今天电话", due_at=at(3, 15), kind="call", customer=customer)
    task_create(user=rep, title="周六拜访", due_at=at(5), kind="visit", customer=customer)
    task_create(user=rep, title="下月计划", due_at=at(20))
    interaction_log(
        user=rep,
        customer=customer,
        type="phone_call",
        summary="谈价格",
        next_follow_up_on=date(2026, 12, 4),
        next_follow_up_note="回电确认价格",
    )
    Reminder.objects.create(
        user=rep,
        kind=Reminder.Kind.BIRTHDAY,
        customer=customer,
        due_on=date(2026, 12, 6),
        text="张伟生日",
        key="birthday:test",
    )
    case_open(
        user=rep,
        customer=customer,
        type="complaint",
        subject="包装破损",
        description="到货破损",
        assigned_to=rep,
    )


def titles(items):
    return [item.title for item in items]


def test_my_work_groups_by_day(client, rep, week):
    client.force_login(rep)
    response = client.get("/work/")
    assert response.status_code == 200
    work = response.context["work"]
    assert titles(work.overdue) == ["逾期报价"]
    assert "今天电话" in titles(work.due_today)
    assert titles(work.this_week)[:3] == ["回电确认价格", "周六拜访", "张伟生日"]
    assert titles(work.later) == ["下月计划"]
    sources = {item.source for group in (work.due_today, work.this_week) for item in group}
    assert "case" in sources  # the case's response deadline is within the week


def test_my_work_query_count(client, rep, week, django_assert_max_num_queries):
    client.force_login(rep)
    with django_assert_max_num_queries(16):
        assert client.get("/work/").status_code == 200


def test_my_work_shows_nothing_of_another_user(client, other_rep, week):
    client.force_login(other_rep)
    work = client.get("/work/").context["work"]
    assert work.empty


def test_calendar_week_and_month(client, rep, other_rep, week):
    client.force_login(rep)
    page = client.get("/work/calendar/?date=2026-12-03").content.decode()
    assert 'data-day="2026-11-30"' in page
    assert 'data-day="2026-12-06"' in page
    assert "周六拜访" in page
    assert "下月计划" not in page
    month = client.get("/work/calendar/?view=month&date=2026-12-10").content.decode()
    assert "下月计划" in month
    assert 'data-day="2027-01-03"' in month
    client.force_login(other_rep)
    assert "周六拜访" not in client.get("/work/calendar/?date=2026-12-03").content.decode()


def test_calendar_in_chinese_has_dates(client, rep, week):
    rep.language = "zh-hans"
    rep.save()
    client.force_login(rep)
    with translation.override("zh-hans"):
        page = client.get("/work/calendar/?date=2026-12-03", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "日历" in text
    assert "2026-11-30 – 2026-12-06" in text


@pytest.mark.parametrize("raw", ["2026-13-45", "9999-12-31", "0001-01-01", "x"])
def test_bad_calendar_date_falls_back_to_today(client, rep, frozen, raw):
    client.force_login(rep)
    response = client.get(f"/work/calendar/?view=month&date={raw}")
    assert response.status_code == 200
    assert response.context["start"] == date(2026, 11, 30)


def test_ical_feed_at_the_signed_url(client, rep, week):
    token = feed_token(rep)
    response = client.get(f"/work/calendar/{token}.ics")  # no session
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    summaries = [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]
    assert any("周六拜访" in s for s in summaries)
    assert any("回电确认价格" in s for s in summaries)


def test_ical_feed_refuses_a_forged_or_revoked_token(client, rep, other_rep, week):
    token = feed_token(rep)
    user_id, _, signature = token.partition(".")
    assert client.get(f"/work/calendar/{other_rep.pk}.{signature}.ics").status_code == 404
    assert client.get("/work/calendar/nonsense.ics").status_code == 404
    rep.set_password("a-new-password-42")
    rep.save()
    assert client.get(f"/work/calendar/{token}.ics").status_code == 404


def test_add_task_in_the_dialog(client, rep, customer, frozen):
    client.force_login(rep)
    form = client.get(f"/work/tasks/new/?customer={customer.pk}", HTTP_HX_REQUEST="true")
    assert form.status_code == 200
    assert 'data-testid="task-form"' in form.content.decode()
    response = client.post(
        "/work/tasks/new/",
        {
            "customer": customer.pk,
            "title": "送合同",
            "kind": "visit",
            "due_at": "2026-12-04T14:00",
            "priority": "high",
            "assignee": rep.pk,
            "remind_minutes_before": 60,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert "kehu:saved" in response["HX-Trigger"]
    task = Task.objects.get()
    assert (task.customer, task.kind, task.priority) == (customer, "visit", "high")


def test_add_task_with_errors_keeps_the_input(client, rep, frozen):
    client.force_login(rep)
    response = client.post(
        "/work/tasks/new/",
        {
            "title": "送合同",
            "kind": "todo",
            "due_at": "",
            "priority": "normal",
            "assignee": rep.pk,
            "remind_minutes_before": 30,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "送合同" in response.content.decode()
    assert not Task.objects.exists()


def test_task_pages_refuse_another_user(client, rep, other_rep, frozen):
    task = task_create(user=rep, title="私事", due_at=at(4))
    client.force_login(other_rep)
    assert client.get(f"/work/tasks/{task.pk}/").status_code == 404
    assert client.get(f"/work/tasks/{task.pk}/edit/").status_code == 404
    assert client.post(f"/work/tasks/{task.pk}/done/").status_code == 404
    assert client.post(f"/work/tasks/{task.pk}/reopen/").status_code == 404
    task.refresh_from_db()
    assert task.status == "open"


def test_done_and_reopen(client, rep, frozen):
    task = task_create(user=rep, title="电话", due_at=at(4))
    client.force_login(rep)
    response = client.post(f"/work/tasks/{task.pk}/done/", HTTP_HX_REQUEST="true")
    assert 'data-testid="task-reopen"' in response.content.decode()
    task.refresh_from_db()
    assert task.status == "done"
    client.post(f"/work/tasks/{task.pk}/reopen/")
    task.refresh_from_db()
    assert (task.status, task.done_at) == ("open", None)


def test_edit_moves_the_task(client, rep, frozen):
    task = task_create(user=rep, title="电话", due_at=at(4))
    client.force_login(rep)
    response = client.post(
        f"/work/tasks/{task.pk}/edit/",
        {
            "title": "电话回访",
            "kind": "call",
            "due_at": "2026-12-08T10:30",
            "priority": "normal",
            "assignee": rep.pk,
            "remind_minutes_before": 30,
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.due_at) == ("电话回访", at(8, 10) + timedelta(minutes=30))


def test_unread_badge_and_nav(client, manager, rep, frozen):
    task_create(user=manager, title="回访", due_at=at(3, 11), assignee=rep)
    client.force_login(rep)
    page = client.get("/work/").content.decode()
    assert 'data-testid="unread-badge">1<' in page
    assert 'data-testid="nav-badge-tasks"' in page


def test_my_work_in_chinese(client, rep, week):
    client.force_login(rep)
    with translation.override("zh-hans"):
        text = client.get("/work/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "我的工作" in text
    assert "逾期" in text


def test_a_manager_sees_a_members_work_and_calendar(client, manager, rep, week):
    # given: the manager, whose team has rep
    client.force_login(manager)
    # when
    work = client.get(f"/work/?member={rep.pk}")
    calendar = client.get(f"/work/calendar/?date=2026-12-03&member={rep.pk}")
    # then: the member's work, named in the heading; the feed address is the manager's own
    # and not shown on a member's calendar
    assert work.status_code == 200
    assert titles(work.context["work"].overdue) == ["逾期报价"]
    assert f"Work of {rep}" in work.text
    assert calendar.status_code == 200
    assert "周六拜访" in calendar.text
    assert 'data-testid="ical-url"' not in calendar.text
    assert f"member={rep.pk}" in calendar.text  # the previous / next links keep the member
    # and the manager's own pages offer the member in the picker
    assert 'data-testid="member-picker"' in client.get("/work/").text


def test_a_member_or_stranger_may_not_see_anothers_work(client, manager, rep, other_rep, week):
    client.force_login(rep)  # a member may not look at the manager's work
    assert client.get(f"/work/?member={manager.pk}").status_code == 404
    assert client.get(f"/work/calendar/?member={manager.pk}").status_code == 404
    client.force_login(other_rep)  # nor someone outside the team at the member's
    assert client.get(f"/work/?member={rep.pk}").status_code == 404
    assert client.get(f"/work/calendar/?member={rep.pk}").status_code == 404
    assert client.get("/work/?member=abc").status_code == 404


def test_the_top_bar_shows_a_manager_as_team_manager(client, manager, rep, frozen):
    client.force_login(manager)
    page = client.get("/work/").text
    assert '<span class="user-role" data-testid="user-role">Team manager</span>' in page
    client.force_login(rep)
    assert 'data-testid="user-role">Sales rep</span>' in client.get("/work/").text
    with translation.override("zh-hans"):
        client.force_login(manager)
        page = client.get("/work/", HTTP_ACCEPT_LANGUAGE="zh-hans").text
    assert 'data-testid="user-role">团队经理</span>' in page


def test_the_home_cards_summary_agrees_with_my_work(rep, week):
    from kehu.tasks.work import my_work, work_summary

    today = date(2026, 12, 3)
    work = my_work(user=rep, today=today, later_days=0)
    summary = work_summary(user=rep, today=today, rows=2)
    assert (summary.overdue, summary.today, summary.week) == (
        len(work.overdue),
        len(work.due_today),
        len(work.this_week),
    )
    assert summary.overdue >= 1
    assert summary.week >= 3
    assert titles(summary.items) == titles(work.overdue + work.due_today)[:2]


def test_a_crowded_day_of_birthdays_is_folded_into_one_item(client, rep, frozen):
    """Three birthdays of a day are listed; the others are counted in one item linking to "my
    day", on the list and in the calendar (a rep with 30,000 customers has ~80 a day)."""
    from kehu.customers.tests.factories import make_person

    for n in range(5):
        Reminder.objects.create(
            user=rep,
            kind=Reminder.Kind.BIRTHDAY,
            customer=make_person(rep, f"寿星{n}"),
            due_on=date(2026, 12, 5),
            text=f"寿星{n}生日",
            key=f"birthday:{n}",
        )
    client.force_login(rep)
    work = client.get("/work/", HTTP_ACCEPT_LANGUAGE="zh-hans").context["work"]
    assert titles(work.this_week) == ["寿星0生日", "寿星1生日", "寿星2生日", "还有 2 位客户生日"]
    assert work.this_week[-1].url == "/my-day/#birthday"
    month = client.get("/work/calendar/?view=month&date=2026-12-05", HTTP_ACCEPT_LANGUAGE="en")
    page = month.content.decode()
    assert "and 2 more birthdays" in page
    assert "寿星3生日" not in page


def test_a_long_section_and_a_crowded_month_day_say_how_many_more(client, rep, frozen):
    # given: 53 tasks on one day later this month
    for n in range(53):
        task_create(user=rep, title=f"回访{n:02d}", due_at=at(21, 9))
    client.force_login(rep)
    # my work shows the first 50 and says how many more, with a way to all of them
    page = client.get("/work/").content.decode()
    assert page.count('data-testid="work-item"') == 50
    assert 'data-testid="work-more"' in page
    assert "And 3 more." in page
    everything = client.get("/work/?all=1").content.decode()
    assert everything.count('data-testid="work-item"') == 53
    assert 'data-testid="work-more"' not in everything
    # the month's cell shows 4 and "+49", to the day's week, which shows them all
    month = client.get("/work/calendar/?view=month&date=2026-12-10").content.decode()
    assert month.count('class="calendar-item') == 4
    assert '<a class="calendar-more" href="?view=week&date=2026-12-21"' in month
    assert "+49 more" in month
    week = client.get("/work/calendar/?date=2026-12-21").content.decode()
    assert week.count('class="calendar-item') == 53
