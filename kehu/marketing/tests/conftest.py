from datetime import date, datetime
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kehu.accounts.models import Role
from kehu.customers.models import Customer
from kehu.customers.segments import segment_save
from kehu.customers.selectors import CustomerFilters
from kehu.customers.tests.factories import make_person
from kehu.marketing import services
from kehu.marketing.models import CampaignMember, Send
from kehu.privacy.models import ConsentMethod, Purpose
from kehu.privacy.services import consent_record
from kehu.sales.models import Order

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def marketer(make_user):
    return make_user(Role.MARKETER, username="marketer1", display_name="周敏")


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def person(user, name, city, **data):
    """A person in ``city`` (the archive derives the city from the address; set it here)."""
    made = make_person(user, name, **data)
    Customer.objects.filter(pk=made.pk).update(city=city)
    made.city = city
    return made


def grant(customer, purpose=Purpose.MARKETING_EMAIL, granted=True):
    return consent_record(
        user=None,
        customer=customer,
        purpose=purpose,
        granted=granted,
        method=ConsentMethod.WEB_FORM,
    )


@pytest.fixture
def people(rep, data_dir):
    """Six people in 杭州 owned by the rep: four agreed to marketing e-mail, one withdrew, one
    was never asked; one more in 上海 (not in the segment)."""
    made = {}
    for i, (name, gender) in enumerate(
        [("王芳", "female"), ("李强", "male"), ("张敏", "female"), ("赵磊", "male"),
         ("刘洋", "male"), ("陈静", "female")]
    ):  # fmt: skip
        made[name] = person(
            rep,
            name,
            "杭州",
            emails=[f"p{i}@example.com"],
            phones=[f"1380013800{i}"],
            **{"person.gender": gender},
        )
    for name in ("王芳", "李强", "张敏", "赵磊", "刘洋"):
        grant(made[name])
        grant(made[name], Purpose.MARKETING_SMS)
        grant(made[name], Purpose.MARKETING_PHONE)
    grant(made["刘洋"], granted=False)  # withdrew e-mail consent
    made["outside"] = person(rep, "孙丽", "上海", emails=["sun@example.com"])
    grant(made["outside"])
    return made


@pytest.fixture
def segment(marketer, people):
    return segment_save(user=marketer, name="杭州客户", filters=CustomerFilters(city="杭州"))


@pytest.fixture
def campaign(marketer, segment):
    campaign = services.campaign_create(
        user=marketer,
        name="春季新品",
        objective="推广春季新品",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 31),
        budget="1000",
        channels=["email"],
        segment_ids=[segment.pk],
    )
    services.template_save(
        user=marketer,
        campaign=campaign,
        channel="email",
        language="zh-hans",
        subject="{{ salutation }}，春季新品到了",
        body="{{ salutation }}您好：\n{{ owner }}为您推荐新品。\n退订：{{ unsubscribe_url }}",
    )
    return campaign


_numbers = count(1)


def order(customer, day, amount, status=Order.Status.DELIVERED):
    return Order.objects.create(
        number=f"M{next(_numbers):08d}",
        customer=customer,
        ordered_on=day,
        status=status,
        total_amount=Decimal(amount),
    )


@pytest.fixture
def finished(marketer, campaign, people, rep):
    """Launched 2026-03-02 to 王芳, 李强, 张敏, 赵磊 (targets) and 甲, 乙 (held out)."""
    held = [
        person(rep, n, "杭州", emails=[f"{e}@example.com"])
        for n, e in (("甲", "jia"), ("乙", "yi"))
    ]
    for p in held:
        grant(p)
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=SH), tick=False):
        services.campaign_launch(user=marketer, campaign=campaign)
        control = CampaignMember.objects.filter(campaign=campaign, customer__in=held)
        Send.objects.filter(member__in=control).delete()
        control.update(group=CampaignMember.Group.CONTROL)
        services.sends_process(campaign_id=campaign.pk, channel="email")
    members = {
        m.customer.name: m
        for m in CampaignMember.objects.filter(campaign=campaign).select_related("customer")
    }
    order(people["王芳"], date(2026, 3, 5), "600")  # 3 days after: attributed
    order(people["李强"], date(2026, 4, 10), "1000")  # 39 days after: outside the window
    order(people["张敏"], date(2026, 3, 10), "500", Order.Status.CANCELLED)  # cancelled
    order(people["赵磊"], date(2026, 3, 3), "200")  # attributed
    order(people["赵磊"], date(2026, 3, 20), "200")  # attributed
    order(held[0], date(2026, 3, 15), "100")  # the control group buys too
    order(people["王芳"], date(2026, 2, 1), "999")  # before the launch
    with time_machine.travel(datetime(2026, 3, 25, 10, tzinfo=SH), tick=False):
        services.response_record(user=marketer, member=members["王芳"], kind="replied")
        services.response_record(user=marketer, member=members["赵磊"], kind="clicked")
        services.response_record(user=marketer, member=members["赵磊"], kind="registered")
        services.response_record(user=marketer, member=members["李强"], kind="unsubscribed")
    services.campaign_cost_add(
        user=marketer, campaign=campaign, item="邮件服务", amount="300", channel="email"
    )
    services.campaign_cost_add(user=marketer, campaign=campaign, item="设计", amount="200")
    campaign.refresh_from_db()
    return campaign
