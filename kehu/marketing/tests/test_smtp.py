"""Campaign e-mail through a real SMTP server started here (aiosmtpd): delivery, the
one-click unsubscribe header, a refused recipient retried then failed."""

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from kehu.marketing import services
from kehu.marketing.models import Send


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("p1@"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.DEFAULT_FROM_EMAIL = "marketing@kehu.example"
    try:
        yield inbox
    finally:
        controller.stop()


def test_campaign_email_is_delivered_over_smtp(marketer, campaign, people, smtp, settings):
    settings.KEHU_MARKETING = {**settings.KEHU_MARKETING, "max_attempts": 2}
    services.campaign_launch(user=marketer, campaign=campaign)
    first = services.sends_process(campaign_id=campaign.pk, channel="email")
    assert (first["sent"], first["retry"]) == (3, 1)  # p1@ is refused by the server
    second = services.sends_process(campaign_id=campaign.pk, channel="email")
    assert second["failed"] == 1
    refused = Send.objects.get(address="p1@example.com")
    assert (refused.status, refused.attempts) == (Send.Status.FAILED, 2)
    assert "550" in refused.error
    assert sorted(rcpt[0] for rcpt, _ in smtp.messages) == [
        "p0@example.com",
        "p2@example.com",
        "p3@example.com",
    ]
    message = message_from_bytes(smtp.messages[0][1], policy=policy.default)
    assert str(message["List-Unsubscribe"]).strip().startswith("<http")
    assert message["X-Kehu-Campaign"] == campaign.code
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "您好" in text


def test_test_send_over_smtp(marketer, campaign, smtp):
    services.email_test_send(
        user=marketer, campaign=campaign, language="zh-hans", to="me@example.com"
    )
    assert [rcpt for rcpt, _ in smtp.messages] == [["me@example.com"]]
    message = message_from_bytes(smtp.messages[0][1], policy=policy.default)
    assert str(message["Subject"]).strip().startswith("[Test]")
