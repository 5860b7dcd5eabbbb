"""Launch: the audience snapshot, the exclusions, the control group, the queued e-mails and
their sending (each an interaction on the customer's timeline)."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.interactions.models import Interaction
from kehu.marketing import selectors, services
from kehu.marketing.models import Campaign, CampaignMember, Send
from kehu.privacy.models import Purpose

from .conftest import grant, person


def groups(campaign):
    return {
        m.customer.name: (m.group, m.excluded_reason)
        for m in CampaignMember.objects.filter(campaign=campaign).select_related("customer")
    }


def test_launch_snapshots_the_segment_and_leaves_out_who_may_not_be_contacted(
    marketer, campaign, people, django_capture_on_commit_callbacks
):
    # given: 陈静 was never asked, 刘洋 withdrew, 赵磊 is marked do not contact
    services.do_not_contact_set(user=marketer, customer=people["赵磊"], on=True, reason="投诉")
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        launched = services.campaign_launch(user=marketer, campaign=campaign)
    # then
    assert launched.status == Campaign.Status.RUNNING
    assert groups(campaign) == {
        "王芳": ("target", ""),
        "李强": ("target", ""),
        "张敏": ("target", ""),
        "赵磊": ("excluded", "do_not_contact"),
        "刘洋": ("excluded", "no_consent"),
        "陈静": ("excluded", "no_consent"),
    }
    assert launched.exclusions == {
        "do_not_contact": 1,
        "no_consent": 2,
        "frequency_cap": 0,
        "undeliverable": 0,
    }
    assert (launched.audience_count, launched.member_count, launched.control_count) == (6, 3, 0)
    sends = Send.objects.filter(campaign=campaign)
    assert sorted(sends.values_list("address", flat=True)) == [
        "p0@example.com",
        "p1@example.com",
        "p2@example.com",
    ]
    assert len(callbacks) == 2  # the sending and the first results start after commit
    # a customer added to the segment later does not join the launched campaign
    newcomer = person(None, "新人", "杭州", emails=["new@example.com"])
    grant(newcomer)
    assert CampaignMember.objects.filter(campaign=campaign).count() == 6
    with pytest.raises(Exception, match="launched"):
        services.campaign_launch(user=marketer, campaign=campaign)


def test_sending_delivers_merges_and_logs_an_interaction(marketer, campaign, people):
    services.campaign_launch(user=marketer, campaign=campaign)
    counts = services.sends_process(campaign_id=campaign.pk, channel="email")
    assert counts == {"sent": 4, "failed": 0, "skipped": 0, "retry": 0}
    assert len(mail.outbox) == 4
    to_wang = next(m for m in mail.outbox if m.to == ["p0@example.com"])
    assert to_wang.subject == "王女士，春季新品到了"
    assert "王女士您好" in to_wang.body
    assert "/m/unsubscribe/" in to_wang.body
    assert to_wang.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    interaction = Interaction.objects.get(customer=people["王芳"], type="email")
    assert interaction.source == Interaction.Source.SYSTEM
    assert interaction.details["campaign_id"] == campaign.pk
    assert interaction.campaign_send.member.campaign == campaign
    assert selectors.send_progress(campaign).percent == 100
    # idempotent: nothing queued is left
    assert services.sends_process(campaign_id=campaign.pk, channel="email")["sent"] == 0


def test_consent_withdrawn_after_launch_is_respected_at_send(marketer, campaign, people):
    services.campaign_launch(user=marketer, campaign=campaign)
    grant(people["李强"], granted=False)
    counts = services.sends_process(campaign_id=campaign.pk, channel="email")
    assert (counts["sent"], counts["skipped"]) == (3, 1)
    assert Send.objects.get(member__customer=people["李强"]).status == Send.Status.SKIPPED
    assert not Interaction.objects.filter(customer=people["李强"], type="email").exists()


def test_frequency_cap_across_campaigns(marketer, campaign, people, segment, settings):
    settings.KEHU_MARKETING = {**settings.KEHU_MARKETING, "frequency_cap": 1}
    services.campaign_launch(user=marketer, campaign=campaign)
    services.sends_process(campaign_id=campaign.pk, channel="email")
    second = services.campaign_create(
        user=marketer,
        name="第二波",
        starts_on=date(2026, 4, 1),
        ends_on=date(2026, 4, 30),
        channels=["email"],
        segment_ids=[segment.pk],
    )
    launched = services.campaign_launch(user=marketer, campaign=second)
    assert launched.exclusions["frequency_cap"] == 4
    assert launched.member_count == 0


def test_control_group_is_held_out(marketer, segment, people, rep, other_rep):
    for i in range(40):
        grant(person(rep, f"对照{i}", "杭州", emails=[f"c{i}@example.com"]))
    campaign = services.campaign_create(
        user=marketer,
        name="对照组测试",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        channels=["email", "direct_mail"],
        control_percent=25,
        segment_ids=[segment.pk],
    )
    launched = services.campaign_launch(user=marketer, campaign=campaign)
    # direct mail needs no register consent: nobody is left out for consent
    assert launched.audience_count == 46
    assert launched.control_count == round(46 * 0.25)
    assert launched.member_count == 46 - launched.control_count
    control = CampaignMember.objects.filter(campaign=campaign, group="control")
    assert not Send.objects.filter(member__in=control).exists()


def test_only_marketers_plan_campaigns(rep, leader, segment):
    for user in (rep, leader):
        with pytest.raises(PermissionDenied):
            services.campaign_create(
                user=user,
                name="x",
                starts_on=date(2026, 1, 1),
                ends_on=date(2026, 1, 2),
                channels=["email"],
            )


def test_campaign_validation(marketer):
    with pytest.raises(ValidationError) as error:
        services.campaign_create(
            user=marketer,
            name=" ",
            starts_on=date(2026, 2, 1),
            ends_on=date(2026, 1, 1),
            channels=["fax"],
            control_percent=80,
        )
    assert set(error.value.message_dict) == {"name", "ends_on", "channels", "control_percent"}


def test_a_chinese_name_gives_a_pinyin_code(marketer, campaign):
    """The code goes into web-form links (``?campaign=CODE``): readable, not ``campaign-2``."""
    args = {"user": marketer, "starts_on": date(2026, 3, 1), "ends_on": date(2026, 3, 31),
            "channels": ["email"]}  # fmt: skip
    assert campaign.code == "chun-ji-xin-pin"  # 春季新品
    again = services.campaign_create(name="春季新品", **args)
    mixed = services.campaign_create(name="双十一大促 2026 VIP", **args)
    assert (again.code, mixed.code) == ("chun-ji-xin-pin-2", "shuang-shi-yi-da-cu-2026-vip")


def test_unsubscribe_link_records_the_opt_out(marketer, campaign, people, client):
    services.campaign_launch(user=marketer, campaign=campaign)
    member = CampaignMember.objects.get(campaign=campaign, customer=people["王芳"])
    url = services.unsubscribe_url(member.pk, "email")
    path = url.split("127.0.0.1:8000", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    assert client.post(path).status_code == 200
    assert client.post(path).status_code == 200  # twice: recorded once
    from kehu.privacy.selectors import customers_consenting

    assert not customers_consenting(Purpose.MARKETING_EMAIL).filter(pk=people["王芳"].pk).exists()
    assert member.responses.filter(kind="unsubscribed").count() == 1
    forged = path.replace(path.split("/")[-2], path.split("/")[-2][:-3] + "abc")
    assert client.post(forged).status_code == 404


def test_response_recorded_and_refused_for_the_wrong_user(marketer, campaign, people, rep):
    services.campaign_launch(user=marketer, campaign=campaign)
    services.sends_process(campaign_id=campaign.pk, channel="email")
    member = CampaignMember.objects.get(campaign=campaign, customer=people["李强"])
    response = services.response_record(user=marketer, member=member, kind="replied")
    assert response.channel == "email"
    from django.http import Http404

    with pytest.raises(Http404):
        services.response_record(user=rep, member=member, kind="replied")
    with pytest.raises(ValidationError):
        services.response_record(
            user=marketer, member=member, kind="replied", at=timezone.now() + timedelta(days=1)
        )
