"""Scheduled launches with a frozen clock: scheduling needs a future time, the periodic task
launches a due campaign once however often it runs, a failed launch goes back to draft; the
page and the API work for a marketer and refuse a rep."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from kehu.marketing import services, tasks
from kehu.marketing.models import Campaign, CampaignMember

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 2, 27, 9, 0, tzinfo=SH)
AT = datetime(2026, 3, 1, 8, 0, tzinfo=SH)


def test_a_scheduled_campaign_launches_once_when_due(marketer, campaign, people):
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError):
            services.campaign_schedule(user=marketer, campaign=campaign, at=NOW)
        services.campaign_schedule(user=marketer, campaign=campaign, at=AT)
        campaign.refresh_from_db()
        assert (campaign.status, campaign.scheduled_at) == ("scheduled", AT)
        tasks.launch_due_campaigns.call_local()  # not due yet
        campaign.refresh_from_db()
        assert campaign.status == "scheduled"
    with time_machine.travel(datetime(2026, 3, 1, 8, 0, 30, tzinfo=SH), tick=False):
        tasks.launch_due_campaigns.call_local()
        tasks.launch_due_campaigns.call_local()  # idempotent
        assert services.campaigns_launch_due() == []
    campaign.refresh_from_db()
    assert campaign.status == "running"
    assert campaign.launched_at == datetime(2026, 3, 1, 8, 0, 30, tzinfo=SH)
    assert campaign.launched_by == marketer
    assert CampaignMember.objects.filter(campaign=campaign, group="target").count() == 4


def test_taking_the_schedule_back_and_a_launch_that_cannot_happen(marketer, campaign):
    with time_machine.travel(NOW, tick=False):
        services.campaign_schedule(user=marketer, campaign=campaign, at=AT)
        services.campaign_schedule(user=marketer, campaign=campaign, at=None)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_at) == ("draft", None)
    with time_machine.travel(NOW, tick=False):
        services.campaign_schedule(user=marketer, campaign=campaign, at=AT)
    campaign.segments.clear()  # the audience is empty by the time it is due
    with time_machine.travel(datetime(2026, 3, 2, tzinfo=SH), tick=False):
        assert services.campaigns_launch_due() == []
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert campaign.launched_at is None


def test_schedule_page_and_api_work_and_refuse_a_rep(client, marketer, rep, campaign):
    url = f"/campaigns/{campaign.pk}/schedule/"
    api = f"/api/v1/campaigns/{campaign.pk}/schedule"
    with time_machine.travel(NOW, tick=False):
        client.force_login(rep)
        assert client.post(url, {"at": "2026-03-01T08:00"}).status_code == 404
        refused = client.post(api, {"at": AT.isoformat()}, content_type="application/json")
        assert refused.status_code == 404
        assert Campaign.objects.get(pk=campaign.pk).status == "draft"
        client.force_login(marketer)
        assert client.post(url, {"at": "2026-03-01T08:00"}).status_code == 302
        campaign.refresh_from_db()
        assert campaign.scheduled_at == AT
        page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
        assert 'data-testid="campaign-scheduled-at">2026-03-01 08:00<' in page
        past = client.post(url, {"at": "2026-02-01T08:00"}, follow=True)
        assert "Choose a time later than now." in past.content.decode()
        answer = client.post(api, {"at": None}, content_type="application/json")
        assert answer.status_code == 200
        assert answer.json()["status"] == "draft"
        bad = client.post(api, {"at": "2026-01-01T00:00:00+08:00"}, content_type="application/json")
        assert bad.status_code == 422
