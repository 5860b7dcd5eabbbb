"""``/api/v1/duplicates`` and ``/api/v1/merges``: each works for the archive administrator and
refuses a sales rep."""

import pytest
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.customers.tests.factories import make_person
from kehu.dedup.models import DuplicateCandidate, Merge

pytestmark = pytest.mark.django_db

ID_1 = "110101199003074514"


@pytest.fixture
def pair(archivist):
    a = make_person(archivist, "张伟", phones=["13800138000"], **{"person.id_number": ID_1})
    b = make_person(
        archivist, "章伟", phones=["13800138000", "13900139000"], address="北京市朝阳区建国路1号"
    )
    return DuplicateCandidate.objects.create(
        customer_a=a,
        customer_b=b,
        kind="person",
        match_probability=0.98,
        agreed=["name", "phone"],
        found_at=timezone.now(),
    )


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_queue_lists_and_shows_a_pair_masked(client, archivist, pair):
    client.force_login(archivist)
    listing = client.get("/api/v1/duplicates/?kind=person")
    assert listing.status_code == 200
    assert [item["id"] for item in listing.json()["results"]] == [pair.pk]
    detail = client.get(f"/api/v1/duplicates/{pair.pk}")
    assert detail.status_code == 200
    fields = {f["code"]: f for f in detail.json()["fields"]}
    id_values = {v["customer"]: v["value"] for v in fields["person.id_number"]["values"]}
    assert id_values[pair.customer_a_id] != ID_1  # masked
    assert id_values[pair.customer_a_id].startswith("1101")
    assert fields["address"]["default"] == pair.customer_b_id


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/duplicates/"),
        ("get", "/api/v1/duplicates/{pair}"),
        ("post", "/api/v1/duplicates/{pair}/dismiss"),
        ("post", "/api/v1/duplicates/runs"),
        ("get", "/api/v1/merges/"),
        ("post", "/api/v1/merges/"),
    ],
)
def test_a_sales_rep_is_refused(client, rep, pair, method, url):
    client.force_login(rep)
    url = url.format(pair=pair.pk)
    response = (
        client.get(url) if method == "get" else post(client, url, {"survivor": 1, "others": [2]})
    )
    assert response.status_code == 403


def test_dismiss(client, archivist, pair):
    client.force_login(archivist)
    response = post(client, f"/api/v1/duplicates/{pair.pk}/dismiss")
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed"
    assert post(client, f"/api/v1/duplicates/{pair.pk}/dismiss").status_code == 422
    assert client.get("/api/v1/duplicates/").json()["results"] == []


def test_run_request_finds_the_pair(
    client, archivist, pair, huey_immediate, django_capture_on_commit_callbacks
):
    DuplicateCandidate.objects.all().delete()
    client.force_login(archivist)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "/api/v1/duplicates/runs", {"threshold": -8})
    assert response.status_code == 202
    run = client.get(f"/api/v1/duplicates/runs/{response.json()['id']}").json()
    assert run["status"] == "done"
    assert run["customers"] == 2
    found = client.get("/api/v1/duplicates/").json()["results"]
    assert [(f["customer_a"]["id"], f["customer_b"]["id"]) for f in found] == [
        (pair.customer_a_id, pair.customer_b_id)
    ]
    assert post(client, "/api/v1/duplicates/runs", {"threshold": 99}).status_code == 422


def test_merge_and_undo(client, archivist, rep, pair):
    client.force_login(archivist)
    a, b = pair.customer_a_id, pair.customer_b_id
    response = post(client, "/api/v1/merges/", {"survivor": a, "others": [b], "fields": {}})
    assert response.status_code == 201
    body = response.json()
    assert body["survivor"]["id"] == a
    assert body["moved"]["customers.Phone"] == 1
    # the tombstone's API id still resolves, pointing at the survivor
    tomb = client.get(f"/api/v1/customers/{b}").json()
    assert (tomb["status"], tomb["merged_into"]) == ("merged", a)
    assert client.get(f"/api/v1/merges/{body['id']}").status_code == 200
    assert client.get("/api/v1/merges/").json()["results"][0]["id"] == body["id"]
    # undo: refused to a rep, done for the archivist
    client.force_login(rep)
    assert post(client, f"/api/v1/merges/{body['id']}/undo").status_code == 403
    assert client.get(f"/api/v1/merges/{body['id']}").status_code == 403
    client.force_login(archivist)
    undone = post(client, f"/api/v1/merges/{body['id']}/undo")
    assert undone.status_code == 200
    assert undone.json()["status"] == "undone"
    assert Customer.objects.get(pk=b).status == Customer.Status.ACTIVE


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"survivor": "{a}", "others": ["{a}"]}, 422),
        ({"survivor": "{a}", "others": [999999]}, 422),
        ({"survivor": "{a}", "others": ["{b}"], "fields": {"nonsense": "{a}"}}, 422),
        ({"survivor": "{a}", "others": ["{b}"], "fields": {"address": 999999}}, 422),
        ({"survivor": "{a}"}, 422),
    ],
)
def test_bad_merge_input(client, archivist, pair, body, status):
    client.force_login(archivist)
    ids = {"{a}": pair.customer_a_id, "{b}": pair.customer_b_id}

    def fill(value):
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return ids.get(value, value)

    response = post(client, "/api/v1/merges/", fill(body))
    assert response.status_code == status
    assert response.json()["errors"]
    assert Merge.objects.count() == 0


def test_merging_a_merged_customer_again(client, archivist, pair):
    client.force_login(archivist)
    a, b = pair.customer_a_id, pair.customer_b_id
    post(client, "/api/v1/merges/", {"survivor": a, "others": [b]})
    again = post(client, "/api/v1/merges/", {"survivor": a, "others": [b]})
    assert again.status_code == 422
    assert "merged into" in again.json()["errors"][0]["message"]


def test_unknown_ids_are_404(client, archivist):
    client.force_login(archivist)
    assert client.get("/api/v1/duplicates/999999").status_code == 404
    assert client.get("/api/v1/merges/999999").status_code == 404
    assert post(client, "/api/v1/merges/999999/undo").status_code == 404
