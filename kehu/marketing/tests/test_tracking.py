"""Open and click tracking: a tracked e-mail carries the pixel and click-through links,
following them records the response once, a forged link records nothing, and an untracked
campaign's e-mails carry neither."""

import re

from django.core import mail

from kehu.marketing import selectors, services
from kehu.marketing.models import Campaign, CampaignMember, Response

LINK = "https://shop.example.com/spring?a=1&b=2"
CLICK = re.compile(r"http://127\.0\.0\.1:8000(/m/c/[^/\s\"]+/)")
OPEN = re.compile(r"http://127\.0\.0\.1:8000(/m/o/[^/\s\"]+/)")


def _path(pattern: re.Pattern[str], text: str) -> str:
    found = pattern.search(text)
    assert found is not None, text
    return found.group(1)


def _send(marketer, campaign, tracked):
    Campaign.objects.filter(pk=campaign.pk).update(track_responses=tracked)
    campaign.refresh_from_db()
    services.template_save(
        user=marketer,
        campaign=campaign,
        channel="email",
        language="zh-hans",
        subject="{{ name }}，春季新品",
        body=f"看看新品：{LINK}。\n退订：{{{{ unsubscribe_url }}}}",
    )
    services.campaign_launch(user=marketer, campaign=campaign)
    services.sends_process(campaign_id=campaign.pk, channel="email")
    return {m.to[0]: m for m in mail.outbox}


def test_a_tracked_email_has_the_pixel_and_click_through_links(marketer, campaign, people, client):
    sent = _send(marketer, campaign, True)
    message = sent["p0@example.com"]  # 王芳
    html = message.alternatives[0][0]
    assert OPEN.search(html)
    assert CLICK.search(html)
    assert CLICK.search(message.body)
    assert LINK not in message.body  # rewritten, not shown raw in the text part
    assert f'href="{LINK}' not in html
    assert "/m/unsubscribe/" in message.body  # Kehu's own link is left alone
    member = CampaignMember.objects.get(campaign=campaign, customer=people["王芳"])

    click = _path(CLICK, message.body)
    for _ in range(2):
        response = client.get(click)
        assert response.status_code == 302
        assert response["Location"] == LINK  # only the link the message carried
    pixel = client.get(_path(OPEN, html))
    assert pixel.status_code == 200
    assert pixel["Content-Type"] == "image/gif"
    kinds = list(member.responses.values_list("kind", flat=True).order_by("kind"))
    assert kinds == ["clicked", "opened"]  # once each, however often followed

    results = selectors.campaign_results(campaign)
    assert results.responses["opened"] == 1
    assert results.responses["clicked"] == 1
    assert results.total.responded == 1  # the click counts as a response, the open does not


def test_a_forged_tracking_link_is_404_and_records_nothing(marketer, campaign, people, client):
    sent = _send(marketer, campaign, True)
    message = sent["p1@example.com"]
    click = _path(CLICK, message.body)
    token = click.split("/")[-2]
    forged = click.replace(token, token[:-3] + ("abc" if token[-3:] != "abc" else "xyz"))
    assert client.get(forged).status_code == 404
    opened = _path(OPEN, message.alternatives[0][0])
    assert client.get(opened.replace("/m/o/", "/m/o/x")).status_code == 404
    # A token signed for another purpose (the unsubscribe link) opens nothing here.
    member = CampaignMember.objects.get(campaign=campaign, customer=people["李强"])
    other = services.unsubscribe_token(member.pk, "email")
    assert client.get(f"/m/c/{other}/").status_code == 404
    assert not Response.objects.filter(member__campaign=campaign).exists()


def test_an_untracked_campaign_has_neither(marketer, campaign, people, client):
    sent = _send(marketer, campaign, False)
    message = sent["p0@example.com"]
    html = message.alternatives[0][0]
    assert LINK in message.body
    assert "/m/o/" not in html
    assert "/m/c/" not in html
    assert "/m/c/" not in message.body
    # Nor do links made for it work (tracking is off).
    member = CampaignMember.objects.get(campaign=campaign, customer=people["王芳"])
    path = services.track_links(text=LINK, html="", member_id=member.pk)[0]
    assert client.get(path.split("127.0.0.1:8000", 1)[1]).status_code == 404
    assert not member.responses.exists()
