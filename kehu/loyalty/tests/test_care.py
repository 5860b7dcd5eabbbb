"""The care calendar: festival dates (lunar ones against published dates), care plans making
the owners' tasks ahead of time, a care task done in one click, the care report."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from kehu.customers import services as customer_services
from kehu.interactions.models import Interaction
from kehu.loyalty import care, selectors
from kehu.loyalty.festivals import festival_date, festivals_between
from kehu.loyalty.models import CareTask, Festival
from kehu.tasks.models import Task

pytestmark = pytest.mark.django_db

# Published dates (国务院办公厅 holiday notices; Hong Kong Observatory's calendar).
PUBLISHED = {
    "spring-festival": {2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29),
                        2026: date(2026, 2, 17), 2027: date(2027, 2, 6)},
    "lantern": {2024: date(2024, 2, 24), 2025: date(2025, 2, 12), 2026: date(2026, 3, 3)},
    "qingming": {2023: date(2023, 4, 5), 2024: date(2024, 4, 4), 2025: date(2025, 4, 4),
                 2026: date(2026, 4, 5)},
    "dragon-boat": {2023: date(2023, 6, 22), 2024: date(2024, 6, 10), 2025: date(2025, 5, 31),
                    2026: date(2026, 6, 19)},
    "mid-autumn": {2023: date(2023, 9, 29), 2024: date(2024, 9, 17), 2025: date(2025, 10, 6),
                   2026: date(2026, 9, 25), 2027: date(2027, 9, 15)},
    "national-day": {2025: date(2025, 10, 1)},
    "new-year": {2026: date(2026, 1, 1)},
}  # fmt: skip


@pytest.mark.parametrize(
    ("code", "year", "expected"),
    [(code, year, day) for code, days in PUBLISHED.items() for year, day in days.items()],
)
def test_festival_dates_match_the_published_ones(code, year, expected):
    assert festival_date(Festival.objects.get(code=code), year) == expected


def test_festivals_between_spans_the_turn_of_the_year():
    found = festivals_between(date(2025, 12, 25), date(2026, 2, 20))
    assert [(f.code, d) for f, d in found] == [
        ("new-year", date(2026, 1, 1)),
        ("spring-festival", date(2026, 2, 17)),
    ]


def test_a_user_defined_lunar_festival(admin_user):
    festival = care.festival_save(
        user=admin_user,
        data={"code": "qixi", "name": "七夕", "calendar": "lunar", "month": 7, "day": 7},
    )
    assert festival_date(festival, 2025) == date(2025, 8, 29)


@pytest.fixture
def key_customer(rep):
    customer = customer_services.customer_create(
        user=rep, kind="person", data={"name": "王芳", "grade": "important"}
    )
    customer_services.customer_create(user=rep, kind="person", data={"name": "李普通"})
    return customer


def test_a_plan_gives_the_owner_a_task_ahead_of_the_festival(admin_user, rep, key_customer):
    # given: a gift for important customers, 7 days before 中秋 2026 (25 September)
    plan = care.care_plan_save(
        user=admin_user,
        data={
            "name": "中秋礼盒",
            "occasion": "festival",
            "festival": Festival.objects.get(code="mid-autumn"),
            "grade": "important",
            "action": "gift",
            "days_before": 7,
            "gift_budget": Decimal("300"),
        },
    )
    # when: too early, then a week before
    assert care.care_tasks_generate(today=date(2026, 9, 10)) == 0
    assert care.care_tasks_generate(today=date(2026, 9, 18)) == 1
    assert care.care_tasks_generate(today=date(2026, 9, 19)) == 0  # idempotent
    # then: the owner's task, high priority, due the day before
    ct = CareTask.objects.get()
    assert (ct.plan, ct.customer, ct.occasion_on) == (plan, key_customer, date(2026, 9, 25))
    assert ct.is_key_customer
    assert ct.task.assignee == rep
    assert ct.task.priority == Task.Priority.HIGH
    assert timezone.localtime(ct.task.due_at).date() == date(2026, 9, 24)
    assert "中秋节" in ct.task.title
    assert selectors.care_tasks_mine(user=rep) == [ct]


def test_birthday_plan_and_one_click_done(admin_user, rep, other_rep, key_customer):
    key_customer.person.birth_date = date(1980, 3, 10)
    key_customer.person.save()
    care.care_plan_save(
        user=admin_user,
        data={"name": "生日电话", "occasion": "birthday", "action": "call", "days_before": 2},
    )
    assert care.care_tasks_generate(today=date(2026, 3, 8)) == 1
    ct = CareTask.objects.get()
    assert ct.task.kind == Task.Kind.CALL
    # another rep cannot close it
    with pytest.raises(Http404):
        care.care_task_done(user=other_rep, care_task=ct)
    # one click: task done, the call logged
    done = care.care_task_done(user=rep, care_task=ct, note="祝生日快乐")
    assert done.task.status == Task.Status.DONE
    interaction = Interaction.objects.get(customer=key_customer)
    assert (interaction.type, interaction.summary) == ("phone_call", "祝生日快乐")
    assert care.care_task_done(user=rep, care_task=ct).interaction_id == interaction.pk
    assert Interaction.objects.count() == 1
    assert selectors.care_tasks_mine(user=rep) == []


def test_care_report_counts_planned_done_and_gift_cost(admin_user, rep, key_customer):
    care.care_plan_save(
        user=admin_user,
        data={
            "name": "国庆礼品",
            "occasion": "festival",
            "festival": Festival.objects.get(code="national-day"),
            "action": "gift",
            "days_before": 5,
            "gift_budget": Decimal("200"),
        },
    )
    assert care.care_tasks_generate(today=date(2026, 9, 28)) == 2
    first = CareTask.objects.get(customer=key_customer)
    care.care_task_done(user=rep, care_task=first, gift_cost=Decimal("188.00"))
    report = selectors.care_report(user=rep, start=date(2026, 9, 1), end=date(2026, 10, 31))
    (row,) = report["reps"]
    assert (row.planned, row.done, row.gifts, row.cost) == (2, 1, 1, Decimal("188.00"))
    assert [(r.label, r.cost) for r in report["customers"]] == [("王芳", Decimal("188.00"))]


def test_plans_are_for_the_programme_managers(rep):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        care.care_plan_save(user=rep, data={"name": "x", "occasion": "birthday", "action": "call"})


def test_a_segment_as_the_audience(admin_user, rep, key_customer, make_user):
    from django.test import Client

    from kehu.accounts.models import Role
    from kehu.core.exceptions import Conflict
    from kehu.customers import segments
    from kehu.customers.models import Customer
    from kehu.customers.selectors import CustomerFilters

    # given: a segment of 浙江 customers, one of them the key customer's neighbour
    Customer.objects.filter(name="李普通").update(province="浙江省")
    zhejiang = segments.segment_save(
        user=admin_user, name="浙江客户", filters=CustomerFilters(province="浙江省")
    )
    plan = care.care_plan_save(
        user=admin_user,
        data={
            "name": "浙江中秋",
            "occasion": "festival",
            "festival": Festival.objects.get(code="mid-autumn"),
            "segment": zhejiang,
            "action": "call",
            "days_before": 3,
        },
    )
    # when / then: only the segment's customer gets a task
    assert care.care_tasks_generate(today=date(2026, 9, 22)) == 1
    assert CareTask.objects.get(plan=plan).customer.name == "李普通"
    # the care page names the audience, and a grade by its label
    page = Client()
    page.force_login(admin_user)
    assert "浙江客户" in page.get("/loyalty/care/").content.decode()
    # a segment kept by a plan is not deleted (the plan would reach everyone)
    with pytest.raises(Conflict):
        segments.segment_delete(user=admin_user, segment=zhejiang)
    shown = page.post(f"/customers/segments/{zhejiang.pk}/delete/", follow=True)
    assert "浙江中秋" in shown.content.decode()
    assert page.delete(f"/api/v1/segments/{zhejiang.pk}").status_code == 409
    # another marketer's private segment cannot be chosen
    marketer = make_user(Role.MARKETER, username="mkt-care")
    with pytest.raises(ValidationError) as err:
        care.care_plan_save(
            user=marketer,
            data={"name": "x", "occasion": "birthday", "action": "call", "segment": zhejiang},
        )
    assert set(err.value.message_dict) == {"segment"}
    api = Client()
    api.force_login(marketer)
    answer = api.post(
        "/api/v1/loyalty/care/plans/",
        {
            "name": "浙江中秋",
            "occasion": "festival",
            "action": "call",
            "segment_id": zhejiang.pk,
            "festival_id": plan.festival_id,
        },
        content_type="application/json",
    )
    assert answer.status_code == 422


def test_an_email_greeting_is_sent_with_consent(
    admin_user, rep, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django.test import Client

    from kehu.privacy.models import ConsentMethod, Purpose
    from kehu.privacy.services import consent_record

    customer = customer_services.customer_create(
        user=rep,
        kind="person",
        data={
            "name": "周敏",
            "emails": ["zhoumin@example.com"],
            "person.birth_date": date(1985, 5, 3),
        },
    )
    care.care_plan_save(
        user=admin_user,
        data={"name": "生日邮件", "occasion": "birthday", "action": "email", "days_before": 1},
    )
    assert care.care_tasks_generate(today=date(2026, 5, 2)) == 1
    ct = CareTask.objects.get()
    # refused: nothing written, no consent yet, and an e-mail plan only
    with pytest.raises(ValidationError) as empty:
        care.care_task_done(user=rep, care_task=ct, note=" ", send=True)
    assert set(empty.value.message_dict) == {"note"}
    with pytest.raises(ValidationError) as unagreed:
        care.care_task_done(user=rep, care_task=ct, note="生日快乐！", send=True)
    assert set(unagreed.value.message_dict) == {"send"}
    assert not Interaction.objects.exists()
    consent_record(
        user=None,
        customer=customer,
        purpose=Purpose.MARKETING_EMAIL,
        granted=True,
        method=ConsentMethod.WEB_FORM,
    )
    # through the page: sent after the commit, logged, the task done
    page = Client()
    page.force_login(rep)
    with django_capture_on_commit_callbacks(execute=True):
        answer = page.post(
            f"/loyalty/care/tasks/{ct.task_id}/done/", {"note": "周女士，生日快乐！", "send": "on"}
        )
    assert answer.status_code == 302
    assert [(m.to, m.body) for m in mail.outbox] == [
        (["zhoumin@example.com"], "周女士，生日快乐！")
    ]
    interaction = Interaction.objects.get(customer=customer)
    assert interaction.type == "email"
    assert interaction.summary.startswith("周女士，生日快乐！")
    ct.refresh_from_db()
    assert ct.done_at is not None


def test_only_an_email_plan_sends(admin_user, rep, key_customer):
    key_customer.person.birth_date = date(1980, 3, 10)
    key_customer.person.save()
    care.care_plan_save(
        user=admin_user,
        data={"name": "生日电话", "occasion": "birthday", "action": "call", "days_before": 2},
    )
    care.care_tasks_generate(today=date(2026, 3, 8))
    with pytest.raises(ValidationError) as err:
        care.care_task_done(user=rep, care_task=CareTask.objects.get(), note="您好", send=True)
    assert set(err.value.message_dict) == {"send"}


class RecordingProvider:
    """The SMS provider of these tests: keeps what it was asked to send."""

    sent: list[tuple[str, str]] = []

    def send(self, *, to, text):
        from kehu.marketing import sms

        self.sent.append((to, text))
        return sms.SmsResult(provider_id=f"rec-{len(self.sent)}", segments=sms.segments(text))


@pytest.fixture
def sms_plan(admin_user, rep, settings):
    settings.KEHU_MARKETING = {
        **settings.KEHU_MARKETING,
        "sms_provider": "kehu.loyalty.tests.test_care.RecordingProvider",
        "sms_signature": "客户",
    }
    RecordingProvider.sent = []
    customer = customer_services.customer_create(
        user=rep,
        kind="person",
        data={
            "name": "吴芳",
            "phones": ["010-62345678", "13912345678"],
            "person.birth_date": date(1990, 6, 8),
        },
    )
    care.care_plan_save(
        user=admin_user,
        data={"name": "生日短信", "occasion": "birthday", "action": "sms", "days_before": 2},
    )
    assert care.care_tasks_generate(today=date(2026, 6, 6)) == 1
    return customer, CareTask.objects.get()


def _agree_to_sms(customer):
    from kehu.privacy.models import ConsentMethod, Purpose
    from kehu.privacy.services import consent_record

    consent_record(
        user=None,
        customer=customer,
        purpose=Purpose.MARKETING_SMS,
        granted=True,
        method=ConsentMethod.WEB_FORM,
    )


def test_an_sms_greeting_is_sent_through_the_provider(
    rep, sms_plan, django_capture_on_commit_callbacks
):
    from django.test import Client

    customer, ct = sms_plan
    _agree_to_sms(customer)
    page = Client()
    page.force_login(rep)
    day = page.get("/my-day/")
    assert "Write and send the SMS greeting" in day.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = page.post(
            f"/loyalty/care/tasks/{ct.task_id}/done/", {"note": "吴女士，生日快乐！", "send": "on"}
        )
    assert answer.status_code == 302
    assert RecordingProvider.sent == []  # not before the commit
    for callback in callbacks:
        callback()
    # to the mobile, not the landline, with the signature
    assert RecordingProvider.sent == [("+8613912345678", "【客户】吴女士，生日快乐！")]
    interaction = Interaction.objects.get(customer=customer)
    assert interaction.type == "sms"
    assert interaction.summary == "吴女士，生日快乐！\nSent by SMS."
    ct.refresh_from_db()
    assert ct.done_at is not None
    assert ct.task.status == Task.Status.DONE


def test_an_sms_greeting_through_the_api_goes_to_the_contacts_mobile(
    admin_user, rep, settings, django_capture_on_commit_callbacks
):
    from django.test import Client

    settings.KEHU_MARKETING = {
        **settings.KEHU_MARKETING,
        "sms_provider": "kehu.loyalty.tests.test_care.RecordingProvider",
    }
    RecordingProvider.sent = []
    company = customer_services.customer_create(
        user=rep, kind="organization", data={"name": "杭州青禾茶业", "phones": ["13700000001"]}
    )
    customer_services.contact_save(
        user=rep,
        customer=company,
        data={"name": "陈静", "birthday": date(1988, 7, 1), "phones": ["13600000002"]},
    )
    care.care_plan_save(
        user=admin_user,
        data={"name": "联系人生日", "occasion": "contact_birthday", "action": "sms"},
    )
    care.care_tasks_generate(today=date(2026, 6, 29))
    ct = CareTask.objects.get()
    _agree_to_sms(company)
    api = Client()
    api.force_login(rep)
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(
            f"/api/v1/loyalty/care/tasks/{ct.task_id}/done",
            {"note": "陈经理生日快乐", "send": True},
            content_type="application/json",
        )
    assert answer.status_code == 200, answer.content
    assert [to for to, _text in RecordingProvider.sent] == ["+8613600000002"]


def test_an_sms_greeting_is_refused_with_nothing_written(
    rep, sms_plan, django_capture_on_commit_callbacks
):
    from kehu.customers.models import Phone

    customer, ct = sms_plan

    def refused(note):
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(ValidationError) as err,
        ):
            care.care_task_done(user=rep, care_task=ct, note=note, send=True)
        return err.value.message_dict

    # no consent to marketing SMS
    assert refused("生日快乐")["send"] == [
        "The customer has not agreed to SMS: mark it done without sending."
    ]
    _agree_to_sms(customer)
    # too long: 10 segments of 67 at most, the 【客户】 signature counted
    assert "The SMS is too long" in refused("祝" * 667)["note"][0]
    # only the landline left
    Phone.objects.filter(number="+8613912345678").delete()
    assert refused("生日快乐")["send"] == ["There is no mobile number to send the SMS to."]
    assert RecordingProvider.sent == []
    assert not Interaction.objects.exists()
    ct.refresh_from_db()
    assert ct.done_at is None
    assert ct.task.status != Task.Status.DONE


class FailingProvider:
    def send(self, *, to, text):
        from kehu.marketing import sms

        raise sms.SmsError("gateway down")


def test_a_provider_failing_after_the_commit_leaves_the_task_done(
    rep, sms_plan, settings, django_capture_on_commit_callbacks
):
    from django.test import Client

    customer, ct = sms_plan
    _agree_to_sms(customer)
    settings.KEHU_MARKETING = {
        **settings.KEHU_MARKETING,
        "sms_provider": "kehu.loyalty.tests.test_care.FailingProvider",
    }
    page = Client()
    page.force_login(rep)
    with django_capture_on_commit_callbacks(execute=True):
        answer = page.post(
            f"/loyalty/care/tasks/{ct.task_id}/done/", {"note": "您好", "send": "on"}
        )
    assert answer.status_code == 302
    ct.refresh_from_db()
    assert ct.done_at is not None
