import pytest
from django.test import Client

from kehu.surveys.models import Response
from kehu.surveys.tests.conftest import q

pytestmark = pytest.mark.django_db
API = "/api/v1/surveys"


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_marketer_builds_publishes_and_invites_through_the_api(marketer, customer):
    api = client_for(marketer)
    created = api.post(
        API + "/", {"title_zh": "满意度", "kind": "satisfaction"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    sid = created.json()["id"]
    added = api.post(
        f"{API}/{sid}/questions",
        {"kind": "nps", "text_zh": "推荐吗", "required": True},
        content_type="application/json",
    )
    assert added.status_code == 200
    assert len(added.json()["questions"]) == 1
    assert api.post(f"{API}/{sid}/publish").json()["status"] == "published"
    frozen = api.post(
        f"{API}/{sid}/questions",
        {"kind": "text", "text_zh": "再问"},
        content_type="application/json",
    )
    assert frozen.status_code == 409
    invited = api.post(
        f"{API}/{sid}/invitations", {"customer_ids": [customer.pk]}, content_type="application/json"
    )
    assert invited.json() == {"count": 1}
    assert api.post(f"{API}/{sid}/send").json() == {"count": 1}
    assert api.get(f"{API}/{sid}/results").json()["invited"] == 1


def test_a_rep_enters_a_phone_interview_and_may_not_build(rep, other_rep, survey, customer):
    api = client_for(rep)
    refused = api.post(API + "/", {"title_zh": "x"}, content_type="application/json")
    assert refused.status_code == 403
    answers = {str(q(survey, 1).pk): "2", str(q(survey, 3).pk): 8}
    done = api.post(
        f"{API}/{survey.pk}/responses/",
        {"customer_id": customer.pk, "answers": answers},
        content_type="application/json",
    )
    assert done.status_code == 201, done.content
    assert Response.objects.get().mode == "phone"
    assert api.get(f"{API}/{survey.pk}/results").status_code == 403
    # another rep cannot interview a customer they do not see
    other = client_for(other_rep).post(
        f"{API}/{survey.pk}/responses/",
        {"customer_id": customer.pk, "answers": answers},
        content_type="application/json",
    )
    assert other.status_code == 404


def test_results_and_crosstab_for_a_leader_not_for_a_rep(leader, rep, survey, customer):
    answers = {str(q(survey, 1).pk): "2", str(q(survey, 3).pk): 9}
    client_for(rep).post(
        f"{API}/{survey.pk}/responses/",
        {"customer_id": customer.pk, "answers": answers},
        content_type="application/json",
    )
    api = client_for(leader)
    results = api.get(f"{API}/{survey.pk}/results").json()
    nps = next(r for r in results["questions"] if r["question_id"] == q(survey, 3).pk)
    assert nps["nps"] == 100.0
    table = api.get(f"{API}/{survey.pk}/crosstab", {"question": q(survey, 3).pk, "by": "grade"})
    assert table.json()["totals"] == [1]
    assert len(api.get(f"{API}/{survey.pk}/responses/").json()["results"]) == 1
    assert (
        client_for(rep)
        .get(f"{API}/{survey.pk}/crosstab", {"question": q(survey, 3).pk})
        .status_code
        == 403
    )
    assert api.post(f"{API}/{survey.pk}/close").status_code == 403
