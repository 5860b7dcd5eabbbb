"""Signing in and out: throttling, session renewal and timeouts, deny by default, audit."""

import pytest
from django.urls import reverse

from kehu.accounts import services
from kehu.accounts.middleware import SESSION_SEEN_KEY, SESSION_STARTED_KEY
from kehu.accounts.tests.factories import PASSWORD
from kehu.core.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_anonymous_pages_redirect_to_login(client):
    for path in ["/", "/customers/", "/accounts/settings/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


def test_login_page_and_health_check_are_public(client):
    assert client.get(LOGIN).status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}


def test_sign_in_renews_the_session_and_is_audited(client, rep):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    response = sign_in(client, "rep1")
    assert response.status_code == 302
    assert client.session.session_key != before
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="login", actor=rep, ip_address="10.0.0.1").exists()


def test_wrong_password_is_refused_with_a_message(client, rep):
    response = sign_in(client, "rep1", "wrong")
    assert response.status_code == 200
    assert "wrong" in response.text or "错误" in response.text
    assert AuditEvent.objects.filter(action="login_failed", username="rep1").exists()


def test_username_is_locked_after_repeated_failures(client, rep, settings):
    # (the whole policy is in test_lockout.py)
    for _n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "rep1", "wrong")
    response = sign_in(client, "rep1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="locked_out", username="rep1").exists()


def test_logout_ends_the_session(client, rep):
    sign_in(client, "rep1")
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="logout", actor=rep).exists()


def test_logout_needs_post(client, rep):
    client.force_login(rep)
    assert client.get(reverse("accounts:logout")).status_code == 405


def test_disabling_an_account_ends_its_sessions(client, rep):
    sign_in(client, "rep1")
    assert client.get("/").status_code == 200
    services.user_set_active(user=rep, active=False)
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_idle_session_expires(client, rep, settings, monkeypatch):
    sign_in(client, "rep1")
    session = client.session
    idle = session[SESSION_SEEN_KEY] - settings.SESSION_IDLE_TIMEOUT - 1
    session[SESSION_SEEN_KEY] = idle
    session.save()
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="session_expired", detail__reason="idle").exists()


def test_active_session_still_ends_at_the_absolute_limit(client, rep, settings):
    sign_in(client, "rep1")
    session = client.session
    session[SESSION_STARTED_KEY] -= settings.SESSION_ABSOLUTE_TIMEOUT + 1
    session.save()
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="session_expired", detail__reason="absolute").exists()


def test_recent_activity_keeps_the_session(client, rep):
    sign_in(client, "rep1")
    assert client.get("/").status_code == 200
    assert client.get("/customers/").status_code == 200


def test_login_redirects_only_to_this_site(client, rep):
    response = client.post(
        LOGIN + "?next=https://evil.example/",
        {"username": "rep1", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"
