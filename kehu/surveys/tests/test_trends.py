"""NPS and CSAT per month and week on the results page and in the API."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from kehu.surveys import selectors, services
from kehu.surveys.links import invitation_token
from kehu.surveys.tests.conftest import q
from kehu.surveys.tests.test_surveys import answers

pytestmark = pytest.mark.django_db


def _answer(marketer, survey, customer, when, **given):
    with time_machine.travel(when, tick=False):
        (invitation,) = services.invitations_create(
            user=marketer, survey=survey, customers=[customer]
        )
        token = invitation_token(invitation_id=invitation.pk, nonce=invitation.nonce)
        services.response_submit(survey=survey, token=token, answers=answers(survey, **given))


@pytest.fixture
def answered(marketer, survey, rep):
    from kehu.customers.tests.factories import make_person

    people = [make_person(rep, name) for name in ("甲", "乙", "丙")]
    # October: a promoter and a detractor; November: nothing; December: a promoter
    _answer(marketer, survey, people[0], datetime(2026, 10, 5, 4, tzinfo=UTC), nps=10, scale=5)
    _answer(marketer, survey, people[1], datetime(2026, 10, 20, 4, tzinfo=UTC), nps=3, scale=2)
    _answer(marketer, survey, people[2], datetime(2026, 12, 1, 4, tzinfo=UTC), nps=9, scale=4)
    return survey


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_nps_and_csat_per_month_with_the_empty_month_listed(leader, answered):
    trends = selectors.score_trends(user=leader, survey=answered)
    nps = trends[q(answered, 3).pk]
    assert (nps.measure, nps.periods) == ("NPS", ["2026-10", "2026-11", "2026-12"])
    assert nps.scores == [0.0, None, 100.0]
    assert nps.answers == [2, 0, 1]
    csat = trends[q(answered, 4).pk]
    assert (csat.measure, csat.scores) == ("CSAT", [50.0, None, 100.0])


def test_per_iso_week(leader, answered):
    nps = selectors.score_trends(user=leader, survey=answered, period="week")[q(answered, 3).pk]
    assert nps.periods[0] == "2026-W41"
    assert nps.periods[-1] == "2026-W49"
    assert len(nps.periods) == 9
    assert nps.answers[0] == 1
    assert sum(nps.answers) == 3


def test_a_rep_sees_only_the_answers_of_their_customers(other_rep, answered):
    assert selectors.score_trends(user=other_rep, survey=answered) == {}


def test_the_results_page_draws_the_trends(leader, answered):
    page = client_for(leader).get(f"/surveys/{answered.pk}/results/?period=week")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="trend"' in html
    assert page.context["trends"][str(q(answered, 3).pk)]["measure"] == "NPS"
    assert 'id="survey-trends"' in html
    assert page.context["period"] == "week"
    # an unknown period falls back to months
    assert (
        client_for(leader).get(f"/surveys/{answered.pk}/results/?period=year").context["period"]
        == "month"
    )


def test_the_trends_api_and_who_is_refused(leader, rep, answered):
    response = client_for(leader).get(f"/api/v1/surveys/{answered.pk}/trends?period=month")
    assert response.status_code == 200
    by_question = {t["question_id"]: t for t in response.json()}
    assert by_question[q(answered, 3).pk]["scores"] == [0.0, None, 100.0]
    assert (
        client_for(leader).get(f"/api/v1/surveys/{answered.pk}/trends?period=day").status_code
        == 422
    )
    assert client_for(rep).get(f"/api/v1/surveys/{answered.pk}/trends").status_code == 403
    assert client_for(rep).get(f"/surveys/{answered.pk}/results/").status_code == 403
