"""The API's paths: one spelling for collections, no redirects, and the document for programs.

Collections (a list one creates records in) end in ``/``; records, actions and queries do not.
The other spelling answers as the canonical one does (a redirect would lose a POST's body); a
path that is no operation answers the JSON 404. The OpenAPI document is read with an API token.
"""

import pytest

from kehu.accounts import services as account_services
from kehu.config.api import api

pytestmark = pytest.mark.django_db


def bearer(user):
    _row, token = account_services.api_token_create(user=user, name="paths")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def lists(components, operation):
    response = operation["responses"].get(200, {})
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    if schema.get("type") == "array":
        return True
    ref = schema.get("$ref", "").rsplit("/", 1)[-1]
    return {"results", "next"} <= set(components.get(ref, {}).get("properties", {}))


def test_every_collection_ends_in_a_slash():
    schema = api.get_openapi_schema(path_prefix="")
    components = schema["components"]["schemas"]
    collections = {
        path
        for path, ops in schema["paths"].items()
        if "get" in ops
        and lists(components, ops["get"])
        and 201 in ops.get("post", {}).get("responses", {})
    }
    assert {"/customers/", "/tokens/", "/customers/{customer_id}/contacts/"} <= collections
    assert all(path.endswith("/") for path in collections), sorted(collections)
    records = [p for p in schema["paths"] if p.endswith("}/")]
    assert not records, records


def test_a_collection_without_its_slash_answers_as_with_it(client, rep):
    # given a rep's token, and the collection spelt without its trailing slash
    headers = bearer(rep)
    body = {"kind": "person", "fields": {"name": "无斜杠客户"}}
    # when a program posts to it
    response = client.post("/api/v1/customers", body, content_type="application/json", **headers)
    # then the customer is created, not redirected
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "无斜杠客户"
    listed = client.get("/api/v1/customers", **headers)
    assert listed.status_code == 200
    assert [c["name"] for c in listed.json()["results"]] == ["无斜杠客户"]
    # and a record with a slash too many answers as the record
    customer_id = response.json()["id"]
    assert client.get(f"/api/v1/customers/{customer_id}/", **headers).status_code == 200


def test_the_old_spelling_of_a_collection_still_answers(client, rep):
    client.force_login(rep)
    assert client.get("/api/v1/tokens").status_code == 200
    assert client.get("/api/v1/tokens/").status_code == 200


def test_the_other_spelling_is_still_scoped(client, rep, other_rep):
    customer_id = client.post(
        "/api/v1/customers/",
        {"kind": "person", "fields": {"name": "别人的客户"}},
        content_type="application/json",
        **bearer(other_rep),
    ).json()["id"]
    assert client.get(f"/api/v1/customers/{customer_id}/", **bearer(rep)).status_code == 404
    assert client.get("/api/v1/customers", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_an_unknown_api_path_answers_the_json_404(client, rep):
    response = client.post("/api/v1/no-such-thing", {}, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    client.force_login(rep)
    assert client.get("/api/v1/no-such-thing/").json()["code"] == "not_found"


def test_the_openapi_document_is_read_with_a_token(client, rep):
    response = client.get("/api/v1/openapi.json", **bearer(rep))
    assert response.status_code == 200
    assert "/api/v1/customers/" in response.json()["paths"]


def test_a_bad_token_gets_401_not_the_sign_in_page(client):
    response = client.get("/api/v1/openapi.json", HTTP_AUTHORIZATION="Bearer kehu_wrong")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    # a browser without a session still goes to the sign-in page
    assert client.get("/api/v1/openapi.json").status_code == 302
