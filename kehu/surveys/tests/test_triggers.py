"""Satisfaction surveys after a case closes or an order is delivered: the administrator's
choice, consent, the rate limit per customer, one invitation per case."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.privacy.models import ConsentMethod, Purpose
from kehu.privacy.services import consent_record
from kehu.sales import services as sales_services
from kehu.sales.services.orders import LineInput
from kehu.sales.tests.factories import ProductFactory
from kehu.service import services as service_services
from kehu.service.tests.factories import open_case, resolve
from kehu.surveys import services
from kehu.surveys.models import Invitation, Question, SatisfactionTrigger, Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, username="adm")


@pytest.fixture
def agent(make_user):
    return make_user(Role.SERVICE_AGENT, username="agent1")


@pytest.fixture
def satisfaction(marketer):
    survey = services.survey_save(
        user=marketer, data={"title_zh": "服务满意度", "kind": Survey.Kind.SATISFACTION}
    )
    services.question_save(
        user=marketer,
        survey=survey,
        data={"kind": Question.Kind.SCALE5, "text_zh": "您对本次服务满意吗？", "required": True},
    )
    return services.survey_publish(user=marketer, survey=survey)


@pytest.fixture
def chosen(admin, satisfaction):
    for event in ("case_closed", "order_delivered"):
        services.satisfaction_trigger_save(
            user=admin, event=event, survey_id=satisfaction.pk, every_days=30, is_active=True
        )
    return satisfaction


def agree(customer, *purposes):
    for purpose in purposes:
        consent_record(
            user=None,
            customer=customer,
            purpose=purpose,
            granted=True,
            method=ConsentMethod.WEB_FORM,
        )


def close_case(agent, customer, capture):
    case = open_case(agent, customer)
    resolve(agent, case)
    with capture(execute=True):
        service_services.case_transition(user=agent, case=case, to_status="closed")
    return case


def test_closing_a_case_sends_the_chosen_survey_by_email(
    agent, customer, chosen, huey_immediate, django_capture_on_commit_callbacks
):
    agree(customer, Purpose.MARKETING_EMAIL)
    case = close_case(agent, customer, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(customer=customer, survey=chosen)
    assert invitation.case_id == case.pk
    assert invitation.sent_at is not None
    assert mail.outbox[-1].to == ["wangfang@example.com"]
    assert "/s/" in mail.outbox[-1].body


def test_at_most_one_per_customer_in_the_period(
    agent, customer, chosen, huey_immediate, django_capture_on_commit_callbacks
):
    agree(customer, Purpose.MARKETING_EMAIL)
    close_case(agent, customer, django_capture_on_commit_callbacks)
    close_case(agent, customer, django_capture_on_commit_callbacks)  # the same week: none
    assert Invitation.objects.filter(customer=customer).count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        close_case(agent, customer, django_capture_on_commit_callbacks)
    assert Invitation.objects.filter(customer=customer).count() == 2


def test_without_consent_nothing_is_sent(
    agent, customer, chosen, huey_immediate, django_capture_on_commit_callbacks
):
    close_case(agent, customer, django_capture_on_commit_callbacks)
    assert not Invitation.objects.exists()
    # a withdrawn consent is no consent
    agree(customer, Purpose.MARKETING_EMAIL)
    consent_record(
        user=None,
        customer=customer,
        purpose=Purpose.MARKETING_EMAIL,
        granted=False,
        method=ConsentMethod.WEB_FORM,
    )
    close_case(agent, customer, django_capture_on_commit_callbacks)
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_phone_consent_only_leaves_it_for_an_agent(rep, chosen):
    from kehu.customers.tests.factories import make_person

    customer = make_person(rep, "赵磊")  # no e-mail address
    agree(customer, Purpose.MARKETING_PHONE)
    outcome = services.satisfaction_invite(event="case_closed", customer=customer, case_id=None)
    assert outcome.status == "for_agent"
    assert outcome.invitation is not None
    assert outcome.invitation.sent_at is None
    assert not mail.outbox


def test_one_invitation_per_case_and_nothing_without_a_trigger(
    agent, customer, satisfaction, admin
):
    agree(customer, Purpose.MARKETING_EMAIL)
    case = open_case(agent, customer)
    assert services.satisfaction_invite(event="case_closed", customer=customer).status == (
        "no_trigger"
    )
    services.satisfaction_trigger_save(
        user=admin, event="case_closed", survey_id=satisfaction.pk, every_days=1, is_active=True
    )
    first = services.satisfaction_invite(event="case_closed", customer=customer, case_id=case.pk)
    again = services.satisfaction_invite(event="case_closed", customer=customer, case_id=case.pk)
    assert (first.status, again.status) == ("sent", "already")


def test_delivering_an_order_sends_the_survey(
    rep, customer, chosen, huey_immediate, django_capture_on_commit_callbacks
):
    agree(customer, Purpose.MARKETING_EMAIL)
    product = ProductFactory.create(code="SAT-1")
    order = sales_services.order_create(
        user=rep, customer=customer, lines=[LineInput(product, Decimal(1))]
    )
    with django_capture_on_commit_callbacks(execute=True):
        sales_services.order_mark_delivered(user=rep, order=order)
    assert Invitation.objects.get(customer=customer).order_id == order.pk


def test_only_administrators_choose_and_bad_input_is_refused(marketer, admin, satisfaction, survey):
    with pytest.raises(PermissionDenied):
        services.satisfaction_trigger_save(
            user=marketer,
            event="case_closed",
            survey_id=satisfaction.pk,
            every_days=30,
            is_active=True,
        )
    with pytest.raises(ValidationError) as err:
        services.satisfaction_trigger_save(
            user=admin, event="case_closed", survey_id=survey.pk, every_days=0, is_active=True
        )
    assert set(err.value.message_dict) == {"survey", "every_days"}


def test_the_settings_page(admin, marketer, satisfaction):
    client = Client()
    client.force_login(admin)
    assert client.get("/surveys/satisfaction/").status_code == 200
    response = client.post(
        "/surveys/satisfaction/",
        {"event": "case_closed", "survey": satisfaction.pk, "every_days": "14", "is_active": "on"},
    )
    assert response.status_code == 302
    trigger = SatisfactionTrigger.objects.get(event="case_closed")
    assert (trigger.survey_id, trigger.every_days, trigger.is_active) == (
        satisfaction.pk,
        14,
        True,
    )
    page = client.post(
        "/surveys/satisfaction/",
        {"event": "case_closed", "survey": satisfaction.pk, "every_days": "x"},
        follow=True,
    )
    assert "Enter a whole number of days." in page.content.decode()
    # a marketer may not
    other = Client()
    other.force_login(marketer)
    assert other.get("/surveys/satisfaction/").status_code == 403
    assert other.post("/surveys/satisfaction/", {"event": "case_closed"}).status_code == 403


def test_the_api(admin, marketer, satisfaction, survey):
    api = Client()
    api.force_login(admin)
    path = "/api/v1/surveys/satisfaction-triggers/"
    put = api.put(
        f"{path}case_closed",
        {"survey_id": satisfaction.pk, "every_days": 14},
        content_type="application/json",
    )
    assert put.status_code == 200
    assert put.json() == {
        "event": "case_closed",
        "survey_id": satisfaction.pk,
        "every_days": 14,
        "is_active": True,
    }
    assert [t["event"] for t in api.get(path).json()] == ["case_closed"]
    bad = api.put(
        f"{path}case_closed",
        {"survey_id": survey.pk, "every_days": 0},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert (
        api.put(f"{path}nothing", {"survey_id": None}, content_type="application/json").status_code
        == 422
    )
    removed = api.put(f"{path}case_closed", {"survey_id": None}, content_type="application/json")
    assert removed.status_code == 204
    assert not SatisfactionTrigger.objects.exists()
    other = Client()
    other.force_login(marketer)
    assert other.get(path).status_code == 403
    refused = other.put(
        f"{path}case_closed", {"survey_id": satisfaction.pk}, content_type="application/json"
    )
    assert refused.status_code == 403


def test_the_case_page_offers_the_phone_interview(agent, chosen):
    from kehu.customers.tests.factories import make_person

    customer = make_person(agent, "钱芳")  # no e-mail address: calls only
    agree(customer, Purpose.MARKETING_PHONE)
    case = open_case(agent, customer)
    page = Client()
    page.force_login(agent)
    assert b'data-testid="phone-survey"' not in page.get(f"/service/cases/{case.pk}/").content
    resolve(agent, case)
    outcome = services.satisfaction_invite(event="case_closed", customer=customer, case_id=case.pk)
    assert outcome.status == "for_agent"
    shown = page.get(f"/service/cases/{case.pk}/").content.decode()
    assert f"/surveys/{chosen.pk}/interview/{customer.pk}/" in shown
    interview = page.post(
        f"/surveys/{chosen.pk}/interview/{customer.pk}/",
        {f"q{chosen.questions.get().pk}": "5"},
    )
    assert interview.status_code == 302
    assert Invitation.objects.get(case=case).answered_at is not None
    assert b'data-testid="phone-survey"' not in page.get(f"/service/cases/{case.pk}/").content
