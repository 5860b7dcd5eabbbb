"""The accounts API: who am I, personal tokens, users; and the API's error conventions."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kehu.accounts import services
from kehu.accounts.models import ApiToken, Role, User
from kehu.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_me_describes_the_user_and_their_rights(client, rep):
    client.force_login(rep)
    body = client.get("/api/v1/me").json()
    assert body["username"] == "rep1"
    assert body["role"] == "sales_rep"
    assert body["read_only"] is False
    assert body["can_export"] is False
    assert body["can_reveal"] == ["address"]


def test_token_created_over_the_api_authenticates(client, rep):
    client.force_login(rep)
    response = client.post(
        "/api/v1/tokens",
        {"name": "ERP sync", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("kehu_")
    # the token alone, without a session, is enough
    me = Client().get("/api/v1/me", **bearer(token))
    assert me.status_code == 200
    assert me.json()["username"] == "rep1"
    assert ApiToken.objects.get().last_used_at is not None
    # and only its digest is stored
    assert not ApiToken.objects.filter(digest=token).exists()


def test_revoked_token_is_refused(client, rep):
    row, token = services.api_token_create(user=rep, name="old")
    client.force_login(rep)
    assert client.delete(f"/api/v1/tokens/{row.pk}").status_code == 204
    response = Client().get("/api/v1/me", **bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_expired_token_and_disabled_users_token_are_refused(rep):
    row, token = services.api_token_create(
        user=rep, name="short", expires_at=timezone.now() + timedelta(minutes=1)
    )
    assert Client().get("/api/v1/me", **bearer(token)).status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get("/api/v1/me", **bearer(token)).status_code == 401
    _row, other = services.api_token_create(user=rep, name="second")
    services.user_set_active(user=rep, active=False)
    assert Client().get("/api/v1/me", **bearer(other)).status_code == 401


def test_cannot_revoke_someone_elses_token(client, rep, other_rep):
    row, _token = services.api_token_create(user=other_rep, name="theirs")
    client.force_login(rep)
    response = client.delete(f"/api/v1/tokens/{row.pk}")
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None


def test_token_list_shows_only_own_tokens(client, rep, other_rep):
    services.api_token_create(user=rep, name="mine")
    services.api_token_create(user=other_rep, name="theirs")
    client.force_login(rep)
    body = client.get("/api/v1/tokens").json()
    assert [t["name"] for t in body["results"]] == ["mine"]
    assert "token" not in body["results"][0]


def test_admin_lists_and_creates_users(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/api/v1/users",
        {"username": "wanglei", "role": "service_agent", "team": "客服一组"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["teams"][0]["name"] == "客服一组"
    usernames = {u["username"] for u in client.get("/api/v1/users").json()["results"]}
    assert {"admin1", "wanglei"} <= usernames


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.LEADER, Role.ARCHIVE_ADMIN])
def test_non_admins_may_not_manage_users(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get("/api/v1/users").json()["code"] == "permission_denied"
    response = client.post(
        "/api/v1/users", {"username": "x", "role": "admin"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="x").exists()


# --- the error body --------------------------------------------------------------------


def test_validation_error_names_the_fields(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/api/v1/users",
        {"role": "pope"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields["username"] == "This field is required."
    assert "role" in fields


def test_service_validation_error_has_the_same_shape(client, admin_user, rep):
    client.force_login(admin_user)
    response = client.post(
        "/api/v1/users",
        {"username": "rep1", "role": "sales_rep", "password": "123"},
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"username", "password"}


def test_error_messages_follow_the_language(client):
    zh = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="zh-CN").json()["message"]
    en = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en").json()["message"]
    assert en.startswith("Sign in")
    assert zh != en


def test_malformed_json_is_a_400_not_a_500(client, rep):
    client.force_login(rep)
    response = client.post("/api/v1/tokens", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_unknown_url_is_a_json_404(client, rep):
    client.force_login(rep)
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_session_writes_need_the_csrf_token(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    response = client.post(
        "/api/v1/tokens", {"name": "x", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not ApiToken.objects.exists()


def test_token_writes_need_no_csrf_token(rep):
    _row, token = services.api_token_create(user=rep, name="integration")
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/tokens", {"name": "another"}, content_type="application/json", **bearer(token)
    )
    assert response.status_code == 201


def test_invalid_cursor_is_a_validation_error(client, rep):
    client.force_login(rep)
    response = client.get("/api/v1/customers/?cursor=!!!")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_openapi_schema_and_docs_need_sign_in(client, rep):
    assert client.get("/api/v1/openapi.json").status_code == 302
    client.force_login(rep)
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/customers/" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_minting_a_token_from_the_session_needs_the_password(client, rep):
    client.force_login(rep)
    for body in ({"name": "x"}, {"name": "x", "password": "wrong"}):
        response = client.post("/api/v1/tokens", body, content_type="application/json")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "password"
    assert not ApiToken.objects.exists()


def test_minting_a_token_in_the_settings_page_needs_the_password(client, rep):
    client.force_login(rep)
    response = client.post("/accounts/settings/", {"name": "x", "password": "wrong"})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()
    client.post("/accounts/settings/", {"name": "x", "password": PASSWORD})
    assert ApiToken.objects.filter(user=rep).count() == 1


def test_a_persons_token_expires_in_90_days_by_default(rep, make_user):
    row, _token = services.api_token_create(user=rep, name="x")
    assert row.expires_at is not None
    assert abs(row.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    robot = make_user(Role.SERVICE_AGENT, username="robot", is_integration=True)
    row, _token = services.api_token_create(user=robot, name="calls")
    assert row.expires_at is None


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_an_invalid_or_expired_token_on_a_write_is_401(rep, method):
    row, token = services.api_token_create(user=rep, name="x")
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client = Client(enforce_csrf_checks=True)
    for header in (bearer(token), bearer("kehu_nonsense")):
        response = getattr(client, method)(
            "/api/v1/customers/", {}, content_type="application/json", **header
        )
        assert response.status_code in {401, 405}
        if response.status_code == 401:
            assert response.json()["code"] == "not_authenticated"
