"""Demo campaigns (营销活动): three finished campaigns of the marketer with members, contacts on
the timeline, responses, costs and orders attributed to them, so the results and channel pages
are not empty after ``make run``. E-mails are "sent" through a dummy backend."""

import random
from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from kehu.accounts.models import Role, User
from kehu.customers.models import Customer
from kehu.customers.segments import segment_save
from kehu.customers.selectors import CustomerFilters
from kehu.interactions.models import Interaction
from kehu.marketing import services
from kehu.marketing.models import Campaign, CampaignMember, Response, Send
from kehu.privacy.models import ConsentMethod, ConsentRecord, Purpose

PLANS = [
    # name, objective, channels, days ago, budget, costs [(item, channel, amount)]
    (
        "春季新品邮件推广",
        "向重要和特殊客户推荐春季新品，带动复购。",
        ["email", "sms"],
        75,
        "3000",
        [("邮件平台费用", "email", "600"), ("短信费用", "sms", "450"), ("文案设计", "", "800")],
    ),
    (
        "老客户电话回访",
        "回访近一年有购买的客户，邀请参加门店品鉴会。",
        ["phone", "event"],
        45,
        "5000",
        [("外呼人力", "phone", "1800"), ("品鉴会场地", "event", "2500")],
    ),
    (
        "年中回馈直邮",
        "给重要客户寄送年中回馈册和优惠券。",
        ["direct_mail", "email"],
        25,
        "4000",
        [("印刷与邮寄", "direct_mail", "2600"), ("邮件平台费用", "email", "300")],
    ),
]
EMAIL_BODY = (
    "{{ salutation }}您好：\n\n{{ campaign }}开始了，{{ owner|default:'您的客户经理' }}"
    "为您精选了新品与专属优惠。\n\n如不想再收到此类邮件，请点击：{{ unsubscribe_url }}"
)
SMS_BODY = "{{ salutation }}您好，{{ campaign }}开始了，回复TD退订。"


def _consents(customers: list[int], rng: random.Random, at: datetime) -> None:
    rows = []
    for customer_id in customers:
        for purpose in (Purpose.MARKETING_EMAIL, Purpose.MARKETING_SMS, Purpose.MARKETING_PHONE):
            if rng.random() < 0.8:
                rows.append(
                    ConsentRecord(
                        customer_id=customer_id,
                        purpose=purpose,
                        granted=True,
                        at=at,
                        method=ConsentMethod.WEB_FORM,
                        reference="会员注册表 v1",
                    )
                )
    ConsentRecord.objects.bulk_create(rows, batch_size=500)


def _backdate(campaign: Campaign, when: datetime) -> None:
    sends = Send.objects.filter(campaign=campaign)
    sends.update(sent_at=when, sent_on=timezone.localdate(when))
    Interaction.objects.filter(
        pk__in=sends.exclude(interaction=None).values("interaction_id")
    ).update(occurred_at=when)


@transaction.atomic
def demo_marketing_load(*, seed: int = 2026, today: datetime | None = None) -> int:
    """Load the demo campaigns once; returns how many were made."""
    marketer = User.objects.filter(role=Role.MARKETER, is_active=True).order_by("id").first()
    if marketer is None or Campaign.objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data
    now = today or timezone.now()
    live = list(Customer.objects.live().values_list("pk", flat=True))
    _consents(live, rng, now - timedelta(days=400))
    segment = segment_save(
        user=marketer,
        name="重要与特殊客户",
        filters=CustomerFilters(grade=Customer.Grade.IMPORTANT),
    )
    wide = segment_save(user=marketer, name="全部在册客户", filters=CustomerFilters())
    agents = list(User.objects.filter(role=Role.SALES_REP, is_active=True).order_by("id")[:3])
    made = 0
    for index, (name, objective, channels, days_ago, budget, costs) in enumerate(PLANS):
        start = (now - timedelta(days=days_ago)).date()
        launched_at = timezone.make_aware(datetime.combine(start, time(10)))
        campaign = services.campaign_create(
            user=marketer,
            name=name,
            objective=objective,
            starts_on=start,
            ends_on=start + timedelta(days=14),
            budget=budget,
            channels=channels,
            control_percent=10,
            segment_ids=[(wide if index == 1 or not segment.last_count else segment).pk],
        )
        if "email" in channels:
            services.template_save(
                user=marketer, campaign=campaign, channel="email", language="zh-hans",
                subject="{{ salutation }}，" + name, body=EMAIL_BODY,
            )  # fmt: skip
        if "sms" in channels:
            services.template_save(
                user=marketer, campaign=campaign, channel="sms", language="zh-hans",
                subject="", body=SMS_BODY,
            )  # fmt: skip
        campaign = services.campaign_launch(user=marketer, campaign=campaign, now=launched_at)
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            KEHU_MARKETING={
                **settings.KEHU_MARKETING,
                "per_second": 100_000,
                "sms_provider": "kehu.marketing.sms.LoggingProvider",
            },
        ):
            for channel in ("email", "sms"):
                if channel in channels:
                    services.sends_process(campaign_id=campaign.pk, channel=channel)
        targets = list(
            CampaignMember.objects.filter(campaign=campaign, group=CampaignMember.Group.TARGET)
            .select_related("customer")
            .order_by("id")
        )
        people_channel = next((c for c in channels if c not in ("email", "sms")), None)
        if people_channel and agents:
            services.call_list_assign(user=marketer, campaign=campaign, agents=agents)
            for member in rng.sample(targets, min(len(targets), 60)):
                member.refresh_from_db()
                agent = member.assigned_to or marketer
                try:
                    services.contact_log(
                        user=agent,
                        member=member,
                        channel=people_channel,
                        outcome=rng.choice(["有兴趣", "已寄出", "无人接听", "已邀请"]),
                    )
                except ValidationError:  # this customer may not be contacted this way
                    continue
        _backdate(campaign, launched_at + timedelta(hours=1))
        reached = list(
            Send.objects.filter(campaign=campaign, status__in=["sent", "delivered"])
            .values_list("member_id", flat=True)
            .distinct()
        )
        kinds = {
            "email": ["clicked", "replied"],
            "sms": ["replied"],
            "phone": ["called_back", "registered"],
            "event": ["registered", "attended"],
            "direct_mail": ["replied", "called_back"],
        }
        by_id = {m.pk: m for m in targets}
        responses = []
        for member_id in reached:
            if rng.random() < 0.18 and member_id in by_id:
                channel = rng.choice(channels)
                responses.append(
                    Response(
                        member_id=member_id,
                        kind=rng.choice(kinds.get(channel, ["replied"])),
                        channel=channel,
                        at=launched_at + timedelta(days=rng.randint(1, 10), hours=2),
                        recorded_by=marketer,
                    )
                )
            elif rng.random() < 0.01:
                responses.append(
                    Response(
                        member_id=member_id,
                        kind=Response.Kind.UNSUBSCRIBED,
                        channel="email",
                        at=launched_at + timedelta(days=2),
                    )
                )
        Response.objects.bulk_create(responses)
        for item, channel, amount in costs:
            services.campaign_cost_add(
                user=marketer, campaign=campaign, item=item, channel=channel,
                amount=Decimal(amount), incurred_on=start,
            )  # fmt: skip
        services.campaign_finish(user=marketer, campaign=campaign)
        Campaign.objects.filter(pk=campaign.pk).update(finished_at=launched_at + timedelta(days=14))
        made += 1
    return made


def demo_marketing_report(*, seed: int, write: Callable[[str], object]) -> None:
    made = demo_marketing_load(seed=seed)
    write(f"Demo campaigns: {made} finished campaigns with members, responses and costs.")
