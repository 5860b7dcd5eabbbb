"""Tasks through the service and ``/api/v1/tasks``: each endpoint works for the right user and
refuses the wrong one; reminders before the due time with frozen time."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from kehu.customers import services as customer_services
from kehu.interactions.models import Notification
from kehu.tasks.models import Task
from kehu.tasks.services import task_create, task_done, tasks_remind_due

pytestmark = pytest.mark.django_db

# 2026-12-03 10:00 in Shanghai
NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def api(client, method, path, body=None):
    call = getattr(client, method.lower())
    if body is None:
        return call(f"/api/v1{path}")
    return call(f"/api/v1{path}", body, content_type="application/json")


def test_create_list_and_detail(client, rep, other_rep, customer):
    client.force_login(rep)
    response = api(
        client,
        "post",
        "/tasks/",
        {
            "title": "寄样品",
            "due_at": "2026-12-04T09:30:00+08:00",
            "customer_id": customer.pk,
            "priority": "high",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["assignee"]["username"], body["customer"]["name"]) == ("rep1", "张伟")
    assert [t["title"] for t in api(client, "get", "/tasks/").json()["results"]] == ["寄样品"]
    # the wrong user: not in the list, 404 on the task
    client.force_login(other_rep)
    assert api(client, "get", "/tasks/").json()["results"] == []
    assert api(client, "get", f"/tasks/{body['id']}").status_code == 404
    assert api(client, "post", f"/tasks/{body['id']}/done").status_code == 404
    assert api(client, "patch", f"/tasks/{body['id']}", {"title": "x"}).status_code == 404


def test_a_task_about_a_customer_the_user_cannot_see_is_refused(client, rep, other_rep):
    theirs = customer_services.customer_create(user=other_rep, kind="person", data={"name": "李娜"})
    client.force_login(rep)
    response = api(
        client,
        "post",
        "/tasks/",
        {"title": "拜访", "due_at": "2026-12-04T09:30:00+08:00", "customer_id": theirs.pk},
    )
    assert response.status_code == 404


def test_a_rep_cannot_give_a_task_to_another_rep(client, rep, other_rep):
    client.force_login(rep)
    response = api(
        client,
        "post",
        "/tasks/",
        {"title": "帮忙", "due_at": "2026-12-04T09:30:00+08:00", "assignee_id": other_rep.pk},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "assignee"
    assert not Task.objects.exists()


def test_manager_assigns_the_rep_is_notified_and_the_manager_sees_it_done(
    client, manager, rep, customer
):
    # given: the manager gives rep a task about rep's customer
    client.force_login(manager)
    response = api(
        client,
        "post",
        "/tasks/",
        {
            "title": "回访张伟",
            "due_at": "2026-12-04T09:30:00+08:00",
            "assignee_id": rep.pk,
            "customer_id": customer.pk,
        },
    )
    assert response.status_code == 201, response.json()
    task_id = response.json()["id"]
    assert Notification.objects.get(user=rep).text == "王经理 gave you a task: 回访张伟"
    # when: rep does it
    client.force_login(rep)
    assert api(client, "post", f"/tasks/{task_id}/done").json()["status"] == "done"
    # then: the manager is told and sees it done
    assert "did the task: 回访张伟" in Notification.objects.get(user=manager).text
    client.force_login(manager)
    assert api(client, "get", f"/tasks/{task_id}").json()["status"] == "done"
    assert api(client, "post", f"/tasks/{task_id}/reopen").json()["status"] == "open"


def test_manager_cannot_give_a_task_about_a_customer_the_assignee_cannot_see(client, manager, rep):
    own = customer_services.customer_create(
        user=manager, kind="person", data={"name": "经理的客户"}
    )
    client.force_login(manager)
    response = api(
        client,
        "post",
        "/tasks/",
        {
            "title": "拜访",
            "due_at": "2026-12-04T09:30:00+08:00",
            "assignee_id": rep.pk,
            "customer_id": own.pk,
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customer"


def test_a_customer_handed_over_takes_the_task_out_of_sight(
    client, rep, other_rep, admin_user, customer
):
    task = task_create(user=rep, title="报价", due_at=NOW, customer=customer)
    customer_services.customer_assign(user=admin_user, customer=customer, owner=other_rep)
    client.force_login(rep)
    response = api(client, "post", f"/tasks/{task.pk}/done")
    assert response.status_code == 404
    assert "张伟" not in response.content.decode()


def test_move_to_another_day_keeps_the_time_and_reminds_again(client, rep):
    task = task_create(
        user=rep, title="电话", due_at=datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
    )  # 09:30 in Shanghai
    Task.objects.filter(pk=task.pk).update(reminded_at=NOW)
    client.force_login(rep)
    response = api(client, "patch", f"/tasks/{task.pk}", {"due_on": "2026-12-07"})
    assert response.status_code == 200, response.json()
    task.refresh_from_db()
    assert timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") == "2026-12-07 09:30"
    assert task.reminded_at is None


def test_patch_refuses_an_empty_title(client, rep):
    task = task_create(user=rep, title="电话", due_at=NOW)
    client.force_login(rep)
    assert api(client, "patch", f"/tasks/{task.pk}", {"title": " "}).status_code == 422
    task.refresh_from_db()
    assert task.title == "电话"


def test_reminder_before_the_due_time_once(rep, customer):
    task_create(
        user=rep,
        title="拜访张伟",
        due_at=NOW + timedelta(minutes=45),
        customer=customer,
        remind_minutes_before=30,
    )
    done = task_create(user=rep, title="已完成", due_at=NOW + timedelta(minutes=5))
    task_done(user=rep, task=done)
    with time_machine.travel(NOW, tick=False):
        assert tasks_remind_due(now=timezone.now()) == 0  # 45 minutes ahead, lead 30
    with time_machine.travel(NOW + timedelta(minutes=16), tick=False):
        assert tasks_remind_due(now=timezone.now()) == 1
        assert tasks_remind_due(now=timezone.now()) == 0  # once
    assert Notification.objects.get(user=rep).text == "Due 2026-12-03 10:45: 拜访张伟 · 张伟"


def test_reminder_in_the_assignees_language(make_user, rep):
    rep.language = "zh-hans"
    rep.save()
    task_create(user=rep, title="拜访", due_at=NOW + timedelta(minutes=10))
    with time_machine.travel(NOW, tick=False):
        tasks_remind_due(now=timezone.now())
    assert Notification.objects.get(user=rep).text.startswith("截止")


def test_anonymous_is_401(client):
    assert api(client, "get", "/tasks/").status_code == 401


def test_notification_without_a_language_setting_follows_the_site(settings, manager, rep):
    settings.LANGUAGE_CODE = "zh-hans"
    task_create(user=manager, title="拜访", due_at=NOW, assignee=rep)
    assert Notification.objects.get(user=rep).text == "王经理 给您分配了任务：拜访"
