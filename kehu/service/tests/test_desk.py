"""The service desk: priority changed and cases escalated by hand (with a reason, on the
history), replies e-mailed to the customer through a real SMTP server started here (aiosmtpd),
the customer's answer attached by the inbound webhook, a customer-facing summary that keeps
the internal resolution off the public rating page, and SLA times with year and overdue-by
(time frozen)."""

from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.accounts.models import Membership, Role, Team
from kehu.accounts.services import api_token_create
from kehu.core.exceptions import Conflict
from kehu.core.tests.browser import free_port
from kehu.customers.models import Email
from kehu.interactions.models import Notification
from kehu.interactions.timeline import customer_timeline
from kehu.service import services
from kehu.service.casemail import reply_to_address
from kehu.service.models import Case, CaseEmail, CaseEvent
from kehu.service.ratinglink import rating_token
from kehu.service.tests.factories import open_case, resolve

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
INTERNAL = "内部：该客户曾多次索赔，经理批准破例补偿"
SUMMARY = "我们已上门更换了密封圈，并延长保修一年。"


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def email_customer(customer):
    Email.objects.create(customer=customer, address="zhangwei@example.com")
    return customer


@pytest.fixture
def case(agent, email_customer):
    with time_machine.travel(at(3, 2, 10), tick=False):  # a Monday
        return open_case(agent, email_customer)


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings) -> Iterator[_Inbox]:
    """A real SMTP server on a free local port; Django's SMTP backend pointed at it."""
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.DEFAULT_FROM_EMAIL = "service@kehu.example"
    settings.KEHU_SERVICE_REPLY_TO = "service@kehu.example"
    try:
        yield inbox
    finally:
        controller.stop()


# --- the rating page leak ---------------------------------------------------------------------


def test_the_public_rating_page_never_shows_the_internal_resolution(client, agent, case):
    # given: the agent's internal notes and a summary for the customer
    resolve(agent, case, customer_summary=SUMMARY)
    Case.objects.filter(pk=case.pk).update(resolution=INTERNAL)
    case.refresh_from_db()
    token = rating_token(case_id=case.pk, nonce=case.rating_nonce)
    # when: the customer opens the link
    page = client.get(reverse("public_rating:rate", args=[token])).content.decode()
    # then: they read the summary, not the notes
    assert INTERNAL not in page
    assert SUMMARY in page


# --- priority and escalation by hand ----------------------------------------------------------


def test_priority_change_moves_the_sla_and_goes_on_the_history(agent, case):
    # a normal complaint opened Monday 10:00: respond by 14:00, resolve by Thursday 10:00
    assert (case.response_due_at, case.resolution_due_at) == (at(3, 2, 14), at(3, 5, 10))
    with time_machine.travel(at(3, 2, 11), tick=False):
        services.case_priority_change(user=agent, case=case, priority="urgent", reason="客户是VIP")
    case.refresh_from_db()
    # urgent: respond within 1 h, resolve within 1 business day, from the opening
    assert (case.priority, case.response_due_at, case.resolution_due_at) == (
        "urgent", at(3, 2, 11), at(3, 3, 10),
    )  # fmt: skip
    event = case.events.get(kind=CaseEvent.Kind.PRIORITY)
    assert event.by == agent
    assert "客户是VIP" in event.note
    with pytest.raises(ValidationError):
        services.case_priority_change(user=agent, case=case, priority="low", reason=" ")


def test_priority_change_keeps_the_time_spent_waiting(agent, case):
    with time_machine.travel(at(3, 2, 11), tick=False):
        services.case_transition(user=agent, case=case, to_status="waiting")
    with time_machine.travel(at(3, 2, 13), tick=False):  # waited 2 business hours
        services.case_transition(user=agent, case=case, to_status="in_progress")
        services.case_priority_change(user=agent, case=case, priority="urgent", reason="升级")
    case.refresh_from_db()
    assert case.resolution_due_at == at(3, 3, 12)  # a business day + the 2 h waited


def test_escalation_by_hand_notifies_the_team_manager(agent, make_user, case):
    manager = make_user(Role.SERVICE_AGENT, username="lead")
    team = Team.objects.create(name="客服一组")
    Membership.objects.create(user=agent, team=team)
    Membership.objects.create(user=manager, team=team, is_manager=True)
    services.case_assign(user=agent, case=case, assignee=agent)
    services.case_escalate_by_hand(user=agent, case=case, reason="客户威胁投诉到12315")
    case.refresh_from_db()
    assert case.escalated_at is not None
    event = case.events.get(kind=CaseEvent.Kind.ESCALATED)
    assert (event.by, event.note.startswith("客户威胁投诉到12315")) == (agent, True)
    assert Notification.objects.filter(user=manager, text__contains="12315").exists()


def test_desk_actions_refuse_roles_that_do_not_work_cases(marketer, case):
    with pytest.raises(PermissionDenied):
        services.case_escalate_by_hand(user=marketer, case=case, reason="x")
    with pytest.raises(PermissionDenied):
        services.case_priority_change(user=marketer, case=case, priority="high", reason="x")
    with pytest.raises(PermissionDenied):
        services.case_reply(user=marketer, case=case, body="您好")


# --- e-mail -----------------------------------------------------------------------------------


def test_a_reply_goes_through_a_real_smtp_server_and_onto_the_timeline(
    smtp_server, agent, rep, case
):
    # when
    with time_machine.travel(at(3, 2, 10, 30), tick=False):
        email = services.case_reply(user=agent, case=case, body="您好，师傅明天上午上门。")
    # then: the SMTP server received it, addressed to the customer, with the case's reply-to
    [(sender, recipients, content)] = smtp_server.messages
    assert (sender, recipients) == ("service@kehu.example", ["zhangwei@example.com"])
    message = message_from_bytes(content, policy=policy.default)
    assert message["Subject"] == f"[{case.number}] 洗衣机漏水"
    assert message["Reply-To"] == reply_to_address(case.pk)
    assert message.get_content().strip() == "您好，师傅明天上午上门。"
    assert email.direction == "out"
    case.refresh_from_db()
    assert case.first_response_at == at(3, 2, 10, 30)  # the reply was the first response
    titles = [str(i.title) for i in customer_timeline(user=rep, customer=case.customer)]
    assert "Reply e-mailed to the customer" in titles


def test_a_refused_send_records_nothing(settings, agent, case):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with pytest.raises(Conflict):
        services.case_reply(user=agent, case=case, body="您好")
    assert not CaseEmail.objects.exists()
    assert not case.events.filter(kind=CaseEvent.Kind.EMAIL_OUT).exists()


def test_no_address_is_a_clear_error(agent, customer, settings):
    bare = open_case(agent, customer)
    with pytest.raises(ValidationError) as caught:
        services.case_reply(user=agent, case=bare, body="您好")
    assert "no e-mail address" in str(caught.value)


def test_the_console_backend_is_the_default():
    from django.conf import settings as django_settings

    from kehu.config import settings as kehu_settings

    assert kehu_settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"
    assert django_settings.EMAIL_BACKEND  # locmem in tests, console when served


def test_the_inbound_webhook_attaches_the_answer_and_refuses_the_wrong_caller(
    client, settings, agent, marketer, case
):
    settings.KEHU_SERVICE_REPLY_TO = "service@kehu.example"
    services.case_assign(user=agent, case=case, assignee=agent)
    services.case_transition(user=agent, case=case, to_status="waiting")
    body = {
        "from": "张伟 <zhangwei@example.com>", "to": [reply_to_address(case.pk)],
        "subject": f"Re: [{case.number}] 洗衣机漏水", "text": "明天上午可以，谢谢。",
        "message_id": "<a1@example.com>",
    }  # fmt: skip
    url = "/api/v1/integrations/email"
    assert client.post(url, body, content_type="application/json").status_code == 401
    wrong = api_token_create(user=marketer, name="mail")[1]
    response = client.post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {wrong}"
    )
    assert response.status_code == 403
    token = api_token_create(user=agent, name="mail")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = client.post(url, body, content_type="application/json", **auth)
    assert response.status_code == 201, response.content
    case.refresh_from_db()
    assert case.status == "in_progress"  # no longer waiting on the customer
    assert case.emails.get(direction="in").body == "明天上午可以，谢谢。"
    assert Notification.objects.filter(user=agent, text__contains=case.number).exists()
    # the same message again attaches nothing new
    client.post(url, body, content_type="application/json", **auth)
    assert case.emails.filter(direction="in").count() == 1
    # a forged plus-address or a stranger quoting the number matches no case
    forged = {**body, "to": [f"service+SR-{case.pk:06d}.000000000000@kehu.example"],
              "from": "x@evil.example", "message_id": "<b@x>"}  # fmt: skip
    assert client.post(url, forged, content_type="application/json", **auth).status_code == 404


# --- the case page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "overdue"), [("en", "overdue by 303 days"), ("zh-hans", "已超期 303 天")]
)
def test_the_case_page_shows_year_and_overdue_by(client, agent, case, language, overdue):
    with time_machine.travel(at(1, 2, 10, year=2027), tick=False):
        client.force_login(agent)
        client.cookies["kehu_language"] = language
        page = client.get(case.get_absolute_url()).content.decode()
        queue = client.get(reverse("service:queue") + "?scope=all").content.decode()
    assert "2026-03-05 10:00" in page
    assert overdue in page
    assert "2026-03-02 14:00" in queue  # another year's deadline keeps its year


def test_the_agent_replies_escalates_and_changes_priority_from_the_page(
    client, agent, case, smtp_server
):
    client.force_login(agent)
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'data-testid="reply-form"' in page
    response = client.post(
        reverse("service:case_reply", args=[case.pk]),
        {"to": "zhangwei@example.com", "body": "您好"},
    )
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    response = client.post(reverse("service:case_escalate", args=[case.pk]), {"reason": ""})
    assert response.status_code == 422
    client.post(reverse("service:case_escalate", args=[case.pk]), {"reason": "需要主管决定"})
    client.post(
        reverse("service:case_priority", args=[case.pk]), {"priority": "high", "reason": "加急"}
    )
    case.refresh_from_db()
    assert (case.priority, case.escalated_at is not None) == ("high", True)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "需要主管决定" in page
    assert 'data-testid="case-email-out"' in page


def test_desk_pages_refuse_the_wrong_user(client, marketer, other_rep, case):
    client.force_login(marketer)  # sees the case, may not work it
    assert (
        client.post(reverse("service:case_escalate", args=[case.pk]), {"reason": "x"}).status_code
        == 403
    )
    client.force_login(other_rep)  # does not see the customer
    assert (
        client.post(reverse("service:case_reply", args=[case.pk]), {"body": "x"}).status_code == 404
    )


def test_desk_api(client, agent, leader, case, smtp_server):
    client.force_login(leader)
    url = f"/api/v1/cases/{case.pk}"
    reason = {"reason": "客户要求"}
    assert (
        client.post(f"{url}/escalate", reason, content_type="application/json").status_code == 403
    )
    client.force_login(agent)
    response = client.post(f"{url}/escalate", reason, content_type="application/json")
    assert response.json()["escalated_at"] is not None
    response = client.post(
        f"{url}/priority", {"priority": "high", **reason}, content_type="application/json"
    )
    assert response.json()["priority"] == "high"
    response = client.post(f"{url}/reply", {"body": "您好"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["to_address"] == "zhangwei@example.com"
    assert mail.outbox == []  # sent through the real server, not the test outbox
    response = client.post(
        f"{url}/transitions",
        {"status": "resolved", "resolution": INTERNAL, "customer_summary": SUMMARY},
        content_type="application/json",
    )
    assert response.json()["customer_summary"] == SUMMARY
