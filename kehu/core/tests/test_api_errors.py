"""Malformed requests get a 4xx with the standard error body, never a 500 (audit finding 7)."""

import json

import pytest
from django.test import Client

from kehu.accounts.models import Role
from kehu.customers import services as customer_services

pytestmark = pytest.mark.django_db

BIG = 2**63


@pytest.fixture
def api(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def assert_error(response, status):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    return body


def test_a_body_over_the_upload_limit_is_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "x" * 2000})
    response = api.post("/api/v1/customers/", body, content_type="application/json")
    assert assert_error(response, 413)["code"] == "too_large"


def test_a_lone_surrogate_in_json_is_refused(api):
    body = '{"kind": "person", "fields": {"name": "\\ud800\\u5f20"}}'
    response = api.post("/api/v1/customers/", body, content_type="application/json")
    assert response.status_code in {400, 422}
    assert_error(response, response.status_code)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/merges/", {"survivor": BIG, "others": [BIG + 1]}),
        ("post", "/api/v1/customers/{id}/share", {"user_ids": [BIG]}),
        ("get", f"/api/v1/interactions/?customer_id={BIG}", None),
        ("get", f"/api/v1/customers/{BIG}", None),
        ("get", f"/api/v1/merges/{BIG * 4}", None),
    ],
)
def test_ids_beyond_64_bits_are_refused_not_overflowing(api, admin_user, method, path, body):
    customer = customer_services.customer_create(
        user=admin_user, kind="person", data={"name": "张伟"}
    )
    path = path.replace("{id}", str(customer.pk))
    if body is None:
        response = getattr(api, method)(path)
    else:
        response = getattr(api, method)(path, body, content_type="application/json")
    assert response.status_code in {404, 422}
    assert_error(response, response.status_code)


def test_patching_a_form_with_nulls_is_422(api, admin_user):
    from kehu.intake import services

    form = services.web_form_save(
        user=admin_user,
        slug="contact",
        title="联系我们",
        fields=[{"code": "name"}, {"code": "phones", "required": True}],
    )
    body = {"slug": None, "title": None, "is_active": None}
    response = api.patch(f"/api/v1/forms/{form.pk}", body, content_type="application/json")
    errors = assert_error(response, 422)["errors"]
    assert {e["field"] for e in errors} == {"slug", "title", "is_active"}


def test_multipart_without_a_boundary_is_400(make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.ARCHIVE_ADMIN, username="arch"))
    response = client.generic(
        "POST", "/api/v1/imports/", b"--x\r\n", content_type="multipart/form-data"
    )
    assert response.status_code in {400, 403}
    assert_error(response, response.status_code)


@pytest.mark.parametrize("size", ["-1", "0", "100000"])
def test_a_page_size_out_of_range_is_422(api, size):
    response = api.get(f"/api/v1/customers/?page_size={size}")
    assert_error(response, 422)


def test_a_lone_surrogate_is_refused_before_anything_is_written(api, admin_user):
    from kehu.interactions.models import Interaction

    customer = customer_services.customer_create(
        user=admin_user, kind="person", data={"name": "张伟"}
    )
    body = '{"customer_id": ' + str(customer.pk) + ', "type": "phone_call", "summary": "\\udc00 x"}'
    response = api.post("/api/v1/interactions/", body, content_type="application/json")
    assert response.status_code in {400, 422}
    assert_error(response, response.status_code)
    assert not Interaction.objects.exists()


def test_a_lone_surrogate_in_free_form_json_is_400(api, admin_user):
    # fields typed as free JSON (custom values) are not checked by pydantic's str
    body = '{"kind": "person", "fields": {"name": "张伟", "\\ud800": "x", "notes": "\\ud800"}}'
    response = api.post("/api/v1/customers/", body, content_type="application/json")
    assert response.status_code in {400, 422}
    assert_error(response, response.status_code)


def test_refusals_and_probes_are_audited_without_flooding(rep, other_rep):
    from django.core.cache import cache

    from kehu.core.models import AuditEvent

    cache.clear()
    client = Client()
    client.force_login(rep)
    theirs = customer_services.customer_create(user=other_rep, kind="person", data={"name": "李娜"})
    # a refused export, three times
    for _n in range(3):
        response = client.post(
            "/api/v1/exports/",
            {"columns": ["name"], "format": "csv"},
            content_type="application/json",
        )
        assert response.status_code == 403
    # probes of a record outside the rep's scope, and of ids that do not exist
    for customer_id in (theirs.pk, theirs.pk + 1000, theirs.pk + 2000):
        assert client.get(f"/api/v1/customers/{customer_id}").status_code == 404
    denied = AuditEvent.objects.filter(action="denied", actor=rep)
    assert sorted(e.detail["kind"] for e in denied) == ["forbidden", "not_found"]
    cache.clear()
