"""SMS: Chinese length and signature rules, the logging provider, the HTTP adapter mocked only
at the network boundary, the delivery-report webhook."""

import io
import json
import urllib.request
from datetime import date

import pytest

from kehu.marketing import services, sms
from kehu.marketing.models import Send


def test_signature_added_once():
    assert sms.with_signature("新品到店", "客户") == "【客户】新品到店"
    assert sms.with_signature("【客户】新品到店", "【客户】") == "【客户】新品到店"


@pytest.mark.parametrize(
    ("length", "parts"), [(0, 0), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3)]
)
def test_segments(length, parts):
    assert sms.segments("字" * length) == parts


class FakeAnswer(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


def test_http_provider_posts_json(settings, monkeypatch):
    settings.KEHU_MARKETING = {
        **settings.KEHU_MARKETING,
        "sms_url": "https://sms.example.com/send",
        "sms_key": "k1",
    }
    seen = {}

    def urlopen(request, timeout):
        seen["url"] = request.full_url
        seen["body"] = json.loads(request.data)
        seen["auth"] = request.headers["Authorization"]
        return FakeAnswer(b'{"id": "abc123"}')

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    result = sms.HttpJsonProvider().send(to="+8613800138000", text="【客户】你好")
    assert result.provider_id == "abc123"
    assert seen == {
        "url": "https://sms.example.com/send",
        "body": {"to": "+8613800138000", "text": "【客户】你好"},
        "auth": "Bearer k1",
    }


def test_http_provider_error_is_an_sms_error(settings, monkeypatch):
    settings.KEHU_MARKETING = {**settings.KEHU_MARKETING, "sms_url": "https://sms.example.com"}

    def urlopen(request, timeout):
        raise OSError("connection refused")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(sms.SmsError):
        sms.HttpJsonProvider().send(to="+86138", text="x")


def test_campaign_sms_and_delivery_report(marketer, segment, people, client, settings):
    settings.KEHU_MARKETING = {**settings.KEHU_MARKETING, "webhook_token": "s3cret"}
    campaign = services.campaign_create(
        user=marketer,
        name="短信",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        channels=["sms"],
        segment_ids=[segment.pk],
    )
    services.template_save(
        user=marketer,
        campaign=campaign,
        channel="sms",
        language="zh-hans",
        subject="",
        body="{{ salutation }}，新品到店。",
    )
    services.campaign_launch(user=marketer, campaign=campaign)
    counts = services.sends_process(campaign_id=campaign.pk, channel="sms")
    assert counts["sent"] == 5  # everyone who agreed to SMS (刘洋 withdrew only e-mail)
    send = Send.objects.filter(campaign=campaign)[0]
    assert send.provider_id.startswith("log-")
    assert send.interaction is not None
    assert "【客户】" in send.interaction.summary
    url = "/api/v1/campaigns/sms/reports"
    body = {"id": send.provider_id, "delivered": True}
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 401
    ok = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION="Bearer s3cret")
    assert ok.status_code == 200
    assert ok.json() == {"updated": 1}
    send.refresh_from_db()
    assert send.status == Send.Status.DELIVERED
