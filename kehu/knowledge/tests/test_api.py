"""``/api/v1/knowledge``: every endpoint works for the right user and refuses the wrong one."""

import pytest

pytestmark = pytest.mark.django_db


def api(client, method, path, body=None):
    call = getattr(client, method.lower())
    if body is None:
        return call(f"/api/v1/knowledge{path}")
    return call(f"/api/v1/knowledge{path}", body, content_type="application/json")


def test_create_update_submit_publish_archive(client, agent, archivist, category):
    client.force_login(agent)
    response = api(
        client,
        "POST",
        "/articles",
        {
            "title": "退货政策",
            "body": "**七天**无理由",
            "category_id": category.pk,
            "tags": ["退货"],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["body_html"] == "<p><strong>七天</strong>无理由</p>\n"
    article_id = body["id"]
    response = api(client, "PATCH", f"/articles/{article_id}", {"body": "七天", "note": "简化"})
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert api(client, "POST", f"/articles/{article_id}/submit").json()["status"] == "in_review"
    # the owner may not publish
    assert api(client, "POST", f"/articles/{article_id}/publish").status_code == 403
    client.force_login(archivist)
    assert api(client, "POST", f"/articles/{article_id}/publish").json()["status"] == "published"
    assert api(client, "POST", f"/articles/{article_id}/publish").status_code == 409
    assert api(client, "POST", f"/articles/{article_id}/archive").json()["status"] == "archived"
    versions = api(client, "GET", f"/articles/{article_id}/versions").json()
    assert [v["number"] for v in versions] == [5, 4, 3, 2, 1]
    assert versions[3]["note"] == "简化"
    assert versions[3]["changed_by"]["username"] == "agent1"


def test_return_sends_back_to_draft(client, agent, archivist, make_article):
    article = make_article(status="in_review")
    client.force_login(agent)
    assert api(client, "POST", f"/articles/{article.pk}/return", {"note": "x"}).status_code == 403
    client.force_login(archivist)
    response = api(client, "POST", f"/articles/{article.pk}/return", {"note": "补充"})
    assert response.json()["status"] == "draft"


def test_leader_reads_but_cannot_write(client, leader, make_article):
    article = make_article()
    client.force_login(leader)
    assert api(client, "GET", f"/articles/{article.pk}").status_code == 200
    assert api(client, "POST", "/articles", {"title": "t", "body": "b"}).status_code == 403
    assert api(client, "PATCH", f"/articles/{article.pk}", {"title": "x"}).status_code == 403
    assert api(client, "POST", f"/articles/{article.pk}/archive").status_code == 403
    assert api(client, "POST", "/categories", {"name": "市场"}).status_code == 403


def test_someone_elses_draft_is_404(client, rep, make_article):
    article = make_article(status="draft")
    client.force_login(rep)
    assert api(client, "GET", f"/articles/{article.pk}").status_code == 404
    assert api(client, "GET", f"/articles/{article.pk}/versions").status_code == 404
    assert api(client, "POST", f"/articles/{article.pk}/submit").status_code == 404
    assert [a["id"] for a in api(client, "GET", "/articles").json()["results"]] == []


def test_list_and_search_are_scoped(client, rep, make_article):
    make_article("退货政策", audience="public")
    make_article("退货草稿", status="draft")
    client.force_login(rep)
    listed = api(client, "GET", "/articles?status=published").json()["results"]
    assert [a["title"] for a in listed] == ["退货政策"]
    hits = api(client, "GET", "/search?q=tuihuo").json()
    assert [h["title"] for h in hits] == ["退货政策"]
    assert "<mark>退货</mark>" in api(client, "GET", "/search?q=退货").json()[0]["snippet"]


def test_bad_input_is_422_in_field(client, agent):
    client.force_login(agent)
    response = api(client, "POST", "/articles", {"title": "t", "body": "b", "product_ids": [999]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "product_ids"
    response = api(client, "POST", "/articles", {"title": " ", "body": "b"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "title"


def test_categories(client, archivist, agent):
    client.force_login(archivist)
    response = api(client, "POST", "/categories", {"name": "产品知识"})
    assert response.status_code == 201
    parent = response.json()["id"]
    child = api(client, "POST", "/categories", {"name": "空调", "parent_id": parent}).json()
    assert child["parent_id"] == parent
    assert api(client, "POST", "/categories", {"name": "产品知识"}).status_code == 422
    client.force_login(agent)
    assert len(api(client, "GET", "/categories").json()) == 2
    assert api(client, "POST", "/categories", {"name": "市场"}).status_code == 403


def test_anonymous_is_401(client):
    assert api(client, "GET", "/articles").status_code == 401
    assert api(client, "GET", "/search?q=x").status_code == 401
