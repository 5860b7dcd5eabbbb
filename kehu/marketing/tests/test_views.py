"""The campaign pages: list, new, detail, preview, test send, launch, members, results,
channels; refused to who may not see them."""

from django.core import mail
from django.urls import reverse

from kehu.marketing.models import Campaign, CampaignMember


def test_marketer_builds_launches_and_reads_results(client, marketer, segment, people):
    client.force_login(marketer)
    assert client.get(reverse("marketing:list")).status_code == 200
    new = client.post(
        reverse("marketing:new"),
        {
            "name": "页面活动",
            "starts_on": "2026-03-01",
            "ends_on": "2026-03-31",
            "budget": "500",
            "channels": ["email"],
            "segment_ids": [segment.pk],
            "control_percent": "0",
            "attribution": "last_touch",
            "attribution_days": "30",
        },
    )
    assert new.status_code == 302, new.content.decode()[:2000]
    campaign = Campaign.objects.get(name="页面活动")
    detail = reverse("marketing:detail", args=[campaign.pk])
    client.post(
        reverse("marketing:template", args=[campaign.pk]),
        {"channel": "email", "language": "zh-hans", "subject": "{{ name }}您好", "body": "新品"},
    )
    page = client.get(detail)
    assert page.status_code == 200
    assert "{{ name }}您好" in page.content.decode()
    preview = client.get(
        reverse("marketing:preview", args=[campaign.pk]),
        {"channel": "email", "language": "zh-hans"},
    )
    assert "您好" in preview.content.decode()
    client.post(
        reverse("marketing:test_send", args=[campaign.pk]),
        {"to": "me@example.com", "language": "zh-hans"},
    )
    assert mail.outbox[-1].to == ["me@example.com"]
    client.post(reverse("marketing:launch", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "running"
    assert client.get(reverse("marketing:members", args=[campaign.pk])).status_code == 200
    member = CampaignMember.objects.filter(campaign=campaign, group="target")[0]
    client.post(reverse("marketing:response", args=[member.pk]), {"kind": "replied"})
    assert member.responses.count() == 1
    results = client.get(reverse("marketing:results", args=[campaign.pk]))
    assert results.status_code == 200
    assert "results-data" in results.content.decode()
    # the buy rates as percentages (nobody bought yet; no control group: —)
    assert "members 0.0%, control group (0 people, never contacted) —." in results.content.decode()
    assert client.get(reverse("marketing:channels")).status_code == 200
    assert client.get(reverse("marketing:progress", args=[campaign.pk])).status_code == 200


def test_pages_refuse_the_wrong_user(client, rep, leader, campaign):
    client.force_login(rep)
    assert client.get(reverse("marketing:detail", args=[campaign.pk])).status_code == 404
    assert client.get(reverse("marketing:results", args=[campaign.pk])).status_code == 404
    assert client.get(reverse("marketing:new")).status_code == 404
    assert client.get(reverse("marketing:channels")).status_code == 404
    assert client.get(reverse("marketing:list")).status_code == 302  # to the rep's call lists
    assert client.get(reverse("marketing:my_calls")).status_code == 200
    client.force_login(leader)
    assert client.get(reverse("marketing:detail", args=[campaign.pk])).status_code == 200
    assert client.post(reverse("marketing:launch", args=[campaign.pk])).status_code == 403


def test_marketer_home_shows_campaigns(client, marketer, campaign):
    client.force_login(marketer)
    page = client.get("/")
    assert 'data-testid="card-campaigns"' in page.content.decode()
    assert campaign.name in page.content.decode()


def test_a_rep_works_their_call_list(client, marketer, rep, other_rep, segment, people):
    from datetime import date

    from kehu.marketing import services

    campaign = services.campaign_create(
        user=marketer,
        name="电话回访",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        channels=["phone"],
        segment_ids=[segment.pk],
    )
    campaign = services.campaign_launch(user=marketer, campaign=campaign)
    services.call_list_assign(user=marketer, campaign=campaign, agents=[rep, other_rep])
    mine = CampaignMember.objects.filter(campaign=campaign, assigned_to=rep)
    client.force_login(rep)
    calls = client.get(reverse("marketing:my_calls"))
    assert "电话回访" in calls.content.decode()
    page = client.get(reverse("marketing:members", args=[campaign.pk]))
    assert page.content.decode().count('data-testid="member-row"') == mine.count()
    assert 'data-testid="contact-form"' in page.content.decode()
    member = mine[0]
    client.post(
        reverse("marketing:contact", args=[member.pk]),
        {"channel": "phone", "outcome": "有兴趣", "response": "called_back"},
    )
    interaction = member.sends.get().interaction
    assert interaction is not None
    assert interaction.user == rep
    theirs = CampaignMember.objects.filter(campaign=campaign, assigned_to=other_rep)[0]
    refused = client.post(reverse("marketing:response", args=[theirs.pk]), {"kind": "replied"})
    assert refused.status_code == 404
