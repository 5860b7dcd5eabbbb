import pytest
from django.test import Client
from django.utils import translation

from kehu.customers.models import CustomerChange
from kehu.surveys import services
from kehu.surveys.links import invitation_token
from kehu.surveys.models import Response
from kehu.surveys.tests.conftest import q

pytestmark = pytest.mark.django_db


def client_for(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _link(marketer, survey, customer, language="zh-hans"):
    (invitation,) = services.invitations_create(
        user=marketer, survey=survey, customers=[customer], language=language
    )
    token = invitation_token(invitation_id=invitation.pk, nonce=invitation.nonce)
    return f"/s/{token}/"


def test_the_marketer_pages(marketer, survey):
    client = client_for(marketer)
    assert client.get("/surveys/").status_code == 200
    page = client.get(f"/surveys/{survey.pk}/")
    assert page.status_code == 200
    assert "Do you have children?" in page.content.decode()
    assert client.get(f"/surveys/{survey.pk}/results/").status_code == 200
    created = client.post("/surveys/", {"title_zh": "新问卷", "kind": "customer"})
    assert created.status_code == 302
    draft_url = created["Location"]
    added = client.post(
        draft_url,
        {
            "action": "question",
            "kind": "single",
            "text_zh": "婚否",
            "choices": "已婚|Married\n未婚|Single",
            "archive_field": "person.marital_status",
            "required": "on",
        },
    )
    assert added.status_code == 302
    assert client.post(draft_url, {"action": "publish"}).status_code == 302


def test_a_rep_sees_the_interview_not_the_results(rep, survey, customer):
    client = client_for(rep)
    assert client.get(f"/surveys/{survey.pk}/results/").status_code == 403
    assert client.get(f"/surveys/{survey.pk}/").status_code == 302
    assert client.get(f"/surveys/{survey.pk}/interview/").status_code == 200
    page = client.get(f"/surveys/{survey.pk}/interview/{customer.pk}/")
    assert page.status_code == 200
    done = client.post(
        f"/surveys/{survey.pk}/interview/{customer.pk}/",
        {f"q{q(survey, 1).pk}": "2", f"q{q(survey, 3).pk}": "7"},
    )
    assert done.status_code == 302
    assert Response.objects.get().entered_by == rep


def test_another_rep_may_not_interview_someone_elses_customer(other_rep, survey, customer):
    page = client_for(other_rep).get(f"/surveys/{survey.pk}/interview/{customer.pk}/")
    assert page.status_code == 404


def test_the_public_page_in_the_respondents_language_once(marketer, survey, customer):
    url = _link(marketer, survey, customer, language="en")
    anonymous = client_for()
    page = anonymous.get(url)
    assert page.status_code == 200
    assert "Do you have children?" in page.content.decode()
    missing = anonymous.post(url, {})
    assert missing.status_code == 400
    done = anonymous.post(
        url,
        {
            f"q{q(survey, 1).pk}": "1",
            f"q{q(survey, 2).pk}": ["1", "3"],
            f"q{q(survey, 3).pk}": "9",
            "consent": "on",
        },
    )
    assert done.status_code == 200
    assert b"survey-thanks" in done.content
    assert CustomerChange.objects.filter(
        customer=customer, field="person.children", channel__code="survey"
    ).exists()
    again = anonymous.get(url)
    assert again.status_code == 410
    assert "used already" in again.content.decode()
    with translation.override("zh-hans"):
        assert client_for().get("/s/garbage/").status_code == 404


def test_the_public_page_is_rate_limited(marketer, survey, customer, one_rate_window):
    url = _link(marketer, survey, customer)
    client = client_for()
    statuses = {client.get(url).status_code for _ in range(35)}
    assert 429 in statuses


def test_an_anonymous_market_survey(marketer):
    market = services.survey_save(user=marketer, data={"title_zh": "市场调查", "kind": "market"})
    question = services.question_save(
        user=marketer, survey=market, data={"kind": "text", "text_zh": "您的建议", "required": True}
    )
    services.survey_publish(user=marketer, survey=market)
    url = f"/s/a/{market.public_key}/"
    assert client_for().get(url).status_code == 200
    assert client_for().post(url, {f"q{question.pk}": "更便宜"}).status_code == 200
    assert Response.objects.get().customer is None
    assert client_for().get("/s/a/nothing/").status_code == 404
