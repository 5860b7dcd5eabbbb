"""Bounces: the mail provider's webhook marks a campaign e-mail bounced; a hard bounce marks
the address undeliverable, so a later campaign leaves its customer out (with the reason) and
queues nothing to it; the results count what bounced. The SMS report's permanent failure is a
hard bounce too."""

from datetime import date

from django.core import mail

from kehu.marketing import selectors, services
from kehu.marketing.models import Campaign, CampaignMember, Send, Undeliverable

URL = "/api/v1/campaigns/email/reports"
AUTH = {"HTTP_AUTHORIZATION": "Bearer b0unce"}


def _sent(marketer, campaign):
    services.campaign_launch(user=marketer, campaign=campaign)
    services.sends_process(campaign_id=campaign.pk, channel="email")
    return {s.address: s for s in Send.objects.filter(campaign=campaign)}


def test_bounce_webhook_refuses_without_the_token(marketer, campaign, people, client, settings):
    settings.KEHU_MARKETING = {**settings.KEHU_MARKETING, "email_webhook_token": "b0unce"}
    sends = _sent(marketer, campaign)
    body = {"send_id": sends["p0@example.com"].pk, "hard": True}
    assert client.post(URL, body, content_type="application/json").status_code == 401
    wrong = {"HTTP_AUTHORIZATION": "Bearer nope"}
    assert client.post(URL, body, content_type="application/json", **wrong).status_code == 401
    settings.KEHU_MARKETING = {**settings.KEHU_MARKETING, "email_webhook_token": ""}
    assert client.post(URL, body, content_type="application/json", **AUTH).status_code == 401
    assert not Send.objects.filter(status="bounced").exists()
    assert not Undeliverable.objects.exists()


def test_hard_bounce_excludes_the_address_later(marketer, campaign, people, segment, client,
                                                settings):  # fmt: skip
    settings.KEHU_MARKETING = {**settings.KEHU_MARKETING, "email_webhook_token": "b0unce"}
    sends = _sent(marketer, campaign)
    wang, li = sends["p0@example.com"], sends["p1@example.com"]
    header = [m for m in mail.outbox if m.to == ["p0@example.com"]][0].extra_headers
    assert header["X-Kehu-Send"] == str(wang.pk)  # what the provider echoes back
    hard = client.post(
        URL, {"send_id": wang.pk, "hard": True, "reason": "550 no such user"},
        content_type="application/json", **AUTH,
    )  # fmt: skip
    assert hard.json() == {"updated": 1}
    soft = client.post(
        URL, {"address": "P1@example.com", "hard": False, "reason": "mailbox full"},
        content_type="application/json", **AUTH,
    )  # fmt: skip
    assert soft.json() == {"updated": 1}  # found by address (any case), the last e-mail
    wang.refresh_from_db()
    li.refresh_from_db()
    assert (wang.status, wang.error) == ("bounced", "550 no such user")
    assert li.status == "bounced"
    assert list(Undeliverable.objects.values_list("address", flat=True)) == ["p0@example.com"]
    results = selectors.campaign_results(campaign)
    assert results.bounced == 2
    assert results.total.reached == 2  # 张敏, 赵磊: a bounced e-mail reached nobody

    later = services.campaign_create(
        user=marketer,
        name="夏季",
        starts_on=date(2026, 6, 1),
        ends_on=date(2026, 6, 30),
        channels=["email"],
        segment_ids=[segment.pk],
    )
    services.template_save(
        user=marketer, campaign=later, channel="email", language="zh-hans", subject="夏",
        body="夏季新品",
    )  # fmt: skip
    services.campaign_launch(user=marketer, campaign=later)
    later.refresh_from_db()
    assert later.exclusions["undeliverable"] == 1
    member = CampaignMember.objects.get(campaign=later, customer=people["王芳"])
    assert (member.group, member.excluded_reason) == ("excluded", "undeliverable")
    assert not Send.objects.filter(campaign=later, address="p0@example.com").exists()
    assert Send.objects.filter(campaign=later, address="p1@example.com").exists()  # soft
    client.force_login(marketer)
    page = client.get(f"/campaigns/{later.pk}/")
    assert 'data-testid="excluded-undeliverable"' in page.content.decode()
    results_page = client.get(f"/campaigns/{campaign.pk}/results/")
    assert 'data-testid="kpi-bounced">2<' in results_page.content.decode()


def test_a_second_address_is_used_after_a_hard_bounce(marketer, campaign, people):
    from kehu.customers.models import Email

    Undeliverable.objects.create(
        channel="email", address="p0@example.com", at="2026-01-01T00:00:00Z"
    )
    Email.objects.create(customer=people["王芳"], address="wang.new@example.com")
    services.campaign_launch(user=marketer, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.exclusions["undeliverable"] == 0
    member = CampaignMember.objects.get(campaign=campaign, customer=people["王芳"])
    assert member.group == "target"
    assert Send.objects.get(member=member).address == "wang.new@example.com"


def test_a_campaign_with_a_persons_channel_keeps_them(marketer, campaign, people):
    Undeliverable.objects.create(
        channel="email", address="p0@example.com", at="2026-01-01T00:00:00Z"
    )
    Campaign.objects.filter(pk=campaign.pk).update(channels=["email", "phone"])
    campaign.refresh_from_db()
    services.campaign_launch(user=marketer, campaign=campaign)
    campaign.refresh_from_db()
    assert "undeliverable" not in campaign.exclusions  # a call may still reach 王芳
    member = CampaignMember.objects.get(campaign=campaign, customer=people["王芳"])
    assert member.group == "target"
    assert not Send.objects.filter(member=member).exists()  # but no e-mail to a dead address


def test_sms_permanent_failure_is_a_hard_bounce(marketer, campaign, people):
    services.campaign_launch(user=marketer, campaign=campaign)
    services.sends_process(campaign_id=campaign.pk, channel="email")
    send = Send.objects.filter(campaign=campaign)[0]
    Send.objects.filter(pk=send.pk).update(channel="sms", provider_id="x1", address="138")
    assert services.delivery_report(provider_id="x1", delivered=False, permanent=True) == 1
    send.refresh_from_db()
    assert send.status == "bounced"
    assert Undeliverable.objects.filter(channel="sms", address="138").exists()
