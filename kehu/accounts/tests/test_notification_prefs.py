"""My notification preferences: topics kept out of the bell, topics also e-mailed, the weekly
digest; security notices always arrive."""

import pytest
from django.core import mail

from kehu.accounts.models import NotificationTopic, Role
from kehu.interactions.models import Notification
from kehu.interactions.notifications import notify
from kehu.oversight.digest import digest_recipients

pytestmark = pytest.mark.django_db

Topic = NotificationTopic


def test_the_settings_page_saves_my_choices(client, rep):
    client.force_login(rep)
    page = client.get("/accounts/settings/").content.decode()
    assert 'data-testid="notification-topic-service"' in page
    response = client.post(
        "/accounts/notifications/",
        {"shown": ["work", "customers"], "emailed": ["work", "risk"], "weekly_digest": ""},
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    # every topic not ticked is off, except security, which cannot be
    assert rep.notifications_muted == ["knowledge", "risk", "service"]
    assert rep.notifications_emailed == ["risk", "work"]
    assert rep.weekly_digest is False


def test_an_unknown_topic_is_refused_with_a_message(client, rep):
    client.force_login(rep)
    response = client.post("/accounts/notifications/", {"shown": ["gossip"]}, follow=True)
    assert "Choose among the listed topics." in response.content.decode()
    rep.refresh_from_db()
    assert rep.notifications_muted == []


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.post("/accounts/notifications/", {"shown": ["work"]})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_muted_topic_stays_out_of_the_bell_but_security_arrives(rep):
    rep.notifications_muted = ["service", "security"]
    rep.save()
    assert notify(user=rep, text="个案已升级", topic=Topic.SERVICE) is None
    assert notify(user=rep, text="任务", topic=Topic.WORK) is not None
    assert notify(user=rep, text="账户已锁定", topic=Topic.SECURITY) is not None
    assert sorted(Notification.objects.values_list("text", flat=True)) == ["任务", "账户已锁定"]


def test_an_emailed_topic_is_mailed_after_the_commit(rep, django_capture_on_commit_callbacks):
    rep.email = "rep1@example.com"
    rep.notifications_emailed = ["work"]
    rep.language = "zh-hans"
    rep.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=rep, text="王芳给您分配了任务：回访", url="/tasks/7/", topic=Topic.WORK)
        notify(user=rep, text="新来电", topic=Topic.CUSTOMERS)  # in the bell only
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rep1@example.com"]
    assert mail.outbox[0].subject == "Kehu：王芳给您分配了任务：回访"
    assert mail.outbox[0].body.endswith("/tasks/7/")


def test_the_weekly_digest_goes_only_to_who_keeps_it(make_user):
    keeps = make_user(Role.LEADER, username="boss1", email="a@example.com")
    make_user(Role.LEADER, username="boss2", email="b@example.com", weekly_digest=False)
    assert digest_recipients() == [keeps]
