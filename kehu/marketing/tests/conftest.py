from datetime import date

import pytest

from kehu.accounts.models import Role
from kehu.customers.models import Customer
from kehu.customers.segments import segment_save
from kehu.customers.selectors import CustomerFilters
from kehu.customers.tests.factories import make_person
from kehu.marketing import services
from kehu.privacy.models import ConsentMethod, Purpose
from kehu.privacy.services import consent_record


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
