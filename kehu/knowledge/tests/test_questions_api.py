"""``/api/v1/knowledge/questions``, ``/experts``, ``/gaps`` and the question pages: each works
for the right user and refuses the wrong one."""

import pytest

from kehu.accounts.models import Role
from kehu.customers import services as customer_services
from kehu.knowledge import questions
from kehu.knowledge.models import Question

pytestmark = pytest.mark.django_db


def api(client, method, path, body=None):
    call = getattr(client, method.lower())
    if body is None:
        return call(f"/api/v1/knowledge{path}")
    return call(f"/api/v1/knowledge{path}", body, content_type="application/json")


@pytest.fixture
def expert(make_user, archivist):
    user = make_user(Role.SERVICE_AGENT, username="expert1")
    questions.expert_set(user=archivist, expert_user=user, categories=[], products=[])
    return user


@pytest.fixture
def customer(rep):
    return customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})


def test_question_lifecycle_over_the_api(client, rep, expert, archivist, customer, category):
    archivist_id = archivist.pk
    client.force_login(archivist)
    response = api(client, "PUT", f"/experts/{expert.pk}", {"category_ids": [category.pk]})
    assert response.status_code == 200
    assert response.json()["category_ids"] == [category.pk]
    client.force_login(rep)
    response = api(
        client,
        "POST",
        "/questions",
        {"text": "分期付款怎么办理？", "customer_id": customer.pk, "category_id": category.pk,
         "urgency": "high", "channel": "customer_page"},
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "with_expert"
    assert body["expert"]["username"] == "expert1"
    qid = body["id"]
    client.force_login(expert)
    assert api(client, "POST", f"/questions/{qid}/ask-back", {"text": "金额？"}).status_code == 200
    client.force_login(rep)
    assert api(client, "POST", f"/questions/{qid}/reply", {"text": "一万"}).status_code == 200
    assert api(client, "POST", f"/questions/{qid}/answer", {"text": "x"}).status_code == 403
    client.force_login(expert)
    response = api(client, "POST", f"/questions/{qid}/answer", {"text": "携带身份证到门店办理。"})
    assert response.json()["status"] == "answered"
    response = api(client, "POST", f"/questions/{qid}/article")
    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    assert api(client, "GET", f"/questions/{qid}").json()["article_id"] == response.json()["id"]
    client.force_login(rep)
    assert api(client, "POST", f"/questions/{qid}/close").json()["status"] == "closed"
    assert archivist_id


def test_suggested_then_answered_from_knowledge(client, agent, make_article, archivist):
    article = make_article("分期付款办理", "携带身份证到门店办理分期。")
    client.force_login(agent)
    body = api(client, "POST", "/questions", {"text": "分期付款怎么办理？"}).json()
    assert body["status"] == "suggested"
    hits = api(client, "GET", f"/questions/{body['id']}/suggestions").json()
    assert [h["id"] for h in hits] == [article.pk]
    response = api(
        client,
        "POST",
        f"/questions/{body['id']}/answered-from-knowledge",
        {"article_id": article.pk},
    )
    assert response.json()["status"] == "closed"
    assert response.json()["answered_from_id"] == article.pk


def test_hand_over_and_route(client, agent, expert, archivist):
    client.force_login(agent)
    body = api(client, "POST", "/questions", {"text": "冷门问题", "check_knowledge": False}).json()
    assert body["expert"]["username"] == "expert1"
    client.force_login(expert)
    response = api(client, "POST", f"/questions/{body['id']}/hand-over", {"to_user_id": agent.pk})
    assert response.status_code == 422  # not an expert
    response = api(
        client, "POST", f"/questions/{body['id']}/hand-over", {"to_user_id": archivist.pk}
    )
    assert response.json()["expert"]["username"] == "archivist"
    client.force_login(agent)
    assert api(client, "POST", f"/questions/{body['id']}/route").status_code == 409


def test_wrong_users_are_refused(client, agent, rep, leader, expert, customer, other_rep):
    question = questions.question_ask(user=agent, text="问题")
    client.force_login(rep)  # neither asker nor expert
    assert api(client, "GET", f"/questions/{question.pk}").status_code == 404
    assert api(client, "POST", f"/questions/{question.pk}/answer", {"text": "x"}).status_code == 404
    assert api(client, "GET", "/questions").json()["results"] == []
    assert api(client, "PUT", f"/experts/{rep.pk}", {}).status_code == 403
    assert api(client, "GET", "/gaps").status_code == 403
    client.force_login(leader)
    assert api(client, "POST", "/questions", {"text": "问"}).status_code == 403
    client.force_login(other_rep)  # may not see rep's customer
    response = api(client, "POST", "/questions", {"text": "问", "customer_id": customer.pk})
    assert response.status_code == 404
    assert Question.objects.count() == 1


def test_expert_list_and_gaps(client, agent, expert, archivist):
    client.force_login(agent)
    assert [e["user"]["username"] for e in api(client, "GET", "/experts").json()] == ["expert1"]
    for _ in range(3):
        questions.question_ask(user=agent, text="同一主题")
    client.force_login(archivist)
    assert api(client, "GET", "/gaps").json() == [{"category": "", "product": "", "questions": 3}]


def test_question_pages(client, agent, expert, archivist, customer, make_article):
    client.force_login(agent)
    response = client.post(
        f"/knowledge/questions/new/?customer={customer.pk}",
        {"text": "冷门问题", "urgency": "normal", "channel": "service_case",
         "customer": customer.pk},
    )  # fmt: skip
    question = Question.objects.get()
    assert response.status_code == 302
    assert question.customer == customer
    assert question.expert == expert
    page = client.get(f"/knowledge/questions/{question.pk}/").content.decode()
    assert "冷门问题" in page
    assert client.get("/knowledge/questions/").status_code == 200
    assert client.get("/knowledge/experts/").status_code == 200
    assert client.get("/knowledge/report/").status_code == 403
    client.force_login(expert)
    client.post(f"/knowledge/questions/{question.pk}/answer/", {"text": "答案在此"})
    question.refresh_from_db()
    assert question.status == "answered"
    response = client.post(f"/knowledge/questions/{question.pk}/article/")
    question.refresh_from_db()
    assert response.url == f"/knowledge/{question.article_id}/edit/"
    client.force_login(archivist)
    assert str(expert) in client.get("/knowledge/report/").content.decode()
    make_article("退货政策", "七天无理由退货")
    hits = client.get("/knowledge/questions/suggest/?text=退货怎么办").content.decode()
    assert "退货政策" in hits


def test_question_pages_refuse(client, leader, agent, rep, archivist):
    question = questions.question_ask(user=agent, text="问题")
    client.force_login(leader)
    assert client.get("/knowledge/questions/new/").status_code == 403
    client.force_login(rep)
    assert client.get(f"/knowledge/questions/{question.pk}/").status_code == 404
    assert (
        client.post(f"/knowledge/questions/{question.pk}/answer/", {"text": "x"}).status_code == 404
    )
