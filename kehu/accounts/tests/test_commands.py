"""The `kehu` command line: users and tokens."""

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from kehu.accounts.models import Membership, User

pytestmark = pytest.mark.django_db


def test_user_create_with_team_and_manager_flag(capsys):
    call_command(
        "user", "create", "liuyang", "--role", "sales_rep", "--team", "华南销售部", "--manager"
    )
    user = User.objects.get(username="liuyang")
    assert user.role == "sales_rep"
    assert Membership.objects.get(user=user).is_manager
    out = capsys.readouterr().out
    assert "Password:" in out  # generated and shown once
    password = out.split("Password:")[1].strip()
    assert user.check_password(password)


def test_user_create_refuses_duplicates_and_weak_passwords():
    call_command("user", "create", "liuyang", "--role", "leader", "--password", "long-enough-42")
    with pytest.raises(CommandError, match="username"):
        call_command("user", "create", "LiuYang", "--role", "leader", "--password", "x" * 12)
    with pytest.raises(CommandError, match="password"):
        call_command("user", "create", "chen", "--role", "leader", "--password", "123")
    assert not User.objects.filter(username="chen").exists()


def test_user_disable(rep):
    call_command("user", "disable", "rep1")
    rep.refresh_from_db()
    assert not rep.is_active


def test_token_create_prints_a_working_token(rep, capsys):
    call_command("token", "create", "rep1")
    token = capsys.readouterr().out.strip()
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.json()["username"] == "rep1"


def test_token_create_for_unknown_user_fails():
    with pytest.raises(CommandError, match="No active user"):
        call_command("token", "create", "ghost")


def test_setup_creates_the_first_admin_once(capsys, monkeypatch):
    monkeypatch.setenv("KEHU_ADMIN_USERNAME", "boss")
    monkeypatch.setenv("KEHU_ADMIN_PASSWORD", "a-long-admin-password")
    call_command("setup", "--no-static")
    boss = User.objects.get(username="boss")
    assert boss.role == "admin"
    assert boss.check_password("a-long-admin-password")
    assert "a-long-admin-password" not in capsys.readouterr().out
    call_command("setup", "--no-static")
    assert User.objects.filter(role="admin").count() == 1


def test_an_integration_account_and_its_token(client, capsys):
    call_command("user", "create", "callcenter", "--role", "service_agent", "--integration")
    user = User.objects.get(username="callcenter")
    assert user.is_integration
    assert not user.has_usable_password()
    assert "Password:" not in capsys.readouterr().out
    call_command("token", "create", "callcenter", "--name", "call center")
    token = capsys.readouterr().out.strip()
    assert user.api_tokens.get().expires_at is None
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.json()["username"] == "callcenter"


def test_an_integration_account_cannot_sign_in_to_the_web(client, make_user):
    robot = make_user("service_agent", username="robot", is_integration=True)
    robot.set_password("long-enough-42")
    robot.save()
    response = client.post("/accounts/login/", {"username": "robot", "password": "long-enough-42"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_token_create_with_days(rep, capsys):
    call_command("token", "create", "rep1", "--days", "7")
    row = rep.api_tokens.get()
    assert row.expires_at is not None
    assert (row.expires_at - row.created_at).days == 6  # 7 days less the microseconds between
