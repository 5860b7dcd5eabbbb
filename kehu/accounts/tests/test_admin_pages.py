"""Administrators' pages for users and teams, and self-service (password, sessions)."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from kehu.accounts.models import Membership, Role, SignedInSession, Team, User
from kehu.accounts.tests.factories import PASSWORD
from kehu.core.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-river-lantern-42"


def _signs_in(username, password):
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


@pytest.fixture
def kehu_admin(make_user):
    """An administrator made in Kehu (role admin, not a Django superuser)."""
    return make_user(Role.ADMIN, username="kadmin")


def test_admin_creates_a_user_with_a_team_and_sees_the_password_once(client, kehu_admin):
    # given
    team = Team.objects.create(name="华东销售部")
    client.force_login(kehu_admin)
    # when
    response = client.post(
        "/accounts/users/new/",
        {
            "username": "newrep",
            "display_name": "李娜",
            "email": "lina@example.com",
            "role": Role.SALES_REP,
            "language": "zh-hans",
            "teams": [team.pk],
            "managed": [team.pk],
        },
    )
    # then
    user = User.objects.get(username="newrep")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/users/{user.pk}/"
    assert user.language == "zh-hans"
    assert not user.is_superuser
    assert not user.is_staff
    assert Membership.objects.get(user=user, team=team).is_manager
    page = client.get(response["Location"]).content.decode()
    password = page.split('data-testid="new-password">')[1].split("<")[0]
    assert _signs_in("newrep", password)
    # shown once only
    assert "new-password" not in client.get(response["Location"]).content.decode()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditEvent.Action.USER_CREATED, AuditEvent.Action.ROLE_CHANGED} <= actions


def test_a_manager_must_be_a_member(client, kehu_admin):
    team = Team.objects.create(name="A")
    client.force_login(kehu_admin)
    response = client.post(
        "/accounts/users/new/", {"username": "x", "role": Role.SALES_REP, "managed": [team.pk]}
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="x").exists()


def test_edit_role_is_audited_and_demoting_an_admin_drops_superuser(client, kehu_admin, make_user):
    other = make_user(Role.ADMIN, username="old_admin", is_staff=True, is_superuser=True)
    client.force_login(kehu_admin)
    response = client.post(
        f"/accounts/users/{other.pk}/",
        {"display_name": "老管理员", "email": "", "role": Role.LEADER, "language": ""},
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.role == Role.LEADER
    assert not other.is_superuser
    assert not other.is_staff
    event = AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGED).latest("id")
    assert event.object_id == str(other.pk)
    assert {"role", "is_superuser", "display_name"} <= set(event.detail["changed"])


def test_admin_cannot_change_own_role_or_disable_self(client, kehu_admin):
    client.force_login(kehu_admin)
    client.post(f"/accounts/users/{kehu_admin.pk}/", {"role": Role.SALES_REP, "language": ""})
    client.post(f"/accounts/users/{kehu_admin.pk}/active/", {"active": "0"})
    kehu_admin.refresh_from_db()
    assert kehu_admin.role == Role.ADMIN
    assert kehu_admin.is_active


def test_disable_ends_sessions_and_enable_is_audited(client, kehu_admin, rep):
    rep_client = Client()
    rep_client.post("/accounts/login/", {"username": "rep1", "password": PASSWORD})
    assert rep_client.get("/accounts/settings/").status_code == 200
    client.force_login(kehu_admin)
    client.post(f"/accounts/users/{rep.pk}/active/", {"active": "0"})
    rep.refresh_from_db()
    assert not rep.is_active
    assert rep_client.get("/accounts/settings/").status_code == 302
    assert not SignedInSession.objects.filter(user=rep).exists()
    client.post(f"/accounts/users/{rep.pk}/active/", {"active": "1"})
    rep.refresh_from_db()
    assert rep.is_active
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.USER_DISABLED, object_id=str(rep.pk)
    ).exists()
    enabled = AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGED).latest("id")
    assert enabled.detail["changed"] == ["is_active"]


def test_password_reset_shows_a_new_password_once(client, kehu_admin, rep):
    client.force_login(kehu_admin)
    response = client.post(f"/accounts/users/{rep.pk}/password/")
    page = client.get(response["Location"]).content.decode()
    password = page.split('data-testid="new-password">')[1].split("<")[0]
    assert not _signs_in("rep1", PASSWORD)
    assert _signs_in("rep1", password)
    event = AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGED).latest("id")
    assert event.detail["changed"] == ["password"]
    assert password not in str(event.detail)


def test_admin_creates_a_team_with_members_and_managers(client, kehu_admin, rep, other_rep):
    client.force_login(kehu_admin)
    response = client.post(
        "/accounts/teams/new/",
        {"name": "华南销售部", "members": [rep.pk, other_rep.pk], "managers": [other_rep.pk]},
    )
    assert response.status_code == 302
    team = Team.objects.get(name="华南销售部")
    assert set(team.members.all()) == {rep, other_rep}
    assert Membership.objects.get(team=team, user=other_rep).is_manager
    assert "华南销售部" in client.get("/accounts/teams/").content.decode()
    # removing a member
    client.post(
        f"/accounts/teams/{team.pk}/",
        {"name": "华南销售部", "members": [other_rep.pk], "managers": [other_rep.pk]},
    )
    assert set(team.members.all()) == {other_rep}
    changed = AuditEvent.objects.filter(
        action=AuditEvent.Action.ROLE_CHANGED, object_id=str(rep.pk)
    )
    assert changed.count() == 2
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SETTINGS_CHANGED, object_type="accounts.team"
    ).exists()


def test_duplicate_team_name_is_refused(client, kehu_admin):
    Team.objects.create(name="A")
    client.force_login(kehu_admin)
    response = client.post("/accounts/teams/new/", {"name": "a"})
    assert response.status_code == 200
    assert Team.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/accounts/users/"),
        ("get", "/accounts/users/new/"),
        ("post", "/accounts/users/new/"),
        ("get", "/accounts/users/{id}/"),
        ("post", "/accounts/users/{id}/"),
        ("post", "/accounts/users/{id}/active/"),
        ("post", "/accounts/users/{id}/password/"),
        ("get", "/accounts/teams/"),
        ("get", "/accounts/teams/new/"),
        ("post", "/accounts/teams/new/"),
    ],
)
@pytest.mark.parametrize("role", [Role.SALES_REP, Role.ARCHIVE_ADMIN, Role.LEADER])
def test_others_are_refused(client, make_user, rep, method, url, role):
    someone = make_user(role, username=f"u_{role}")
    client.force_login(someone)
    response = getattr(client, method)(url.format(id=rep.pk), {"role": Role.ADMIN, "active": "0"})
    assert response.status_code == 403
    rep.refresh_from_db()
    assert rep.role == Role.SALES_REP
    assert rep.is_active


def test_django_admin_is_for_superusers_only(client, kehu_admin, admin_user):
    client.force_login(kehu_admin)
    assert client.get("/admin/").status_code == 302  # to the admin's sign-in
    assert "/admin/" not in client.get("/accounts/users/").content.decode()
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


def test_admin_sees_users_in_navigation(client, kehu_admin, rep):
    client.force_login(kehu_admin)
    assert 'href="/accounts/users/"' in client.get("/").content.decode()
    client.force_login(rep)
    assert 'href="/accounts/users/"' not in client.get("/").content.decode()


# --- self-service -------------------------------------------------------------------------------


def test_change_my_password_keeps_this_session_and_ends_the_others(rep):
    # given two sessions
    mine, other = Client(), Client()
    for c in (mine, other):
        assert (
            c.post("/accounts/login/", {"username": "rep1", "password": PASSWORD}).status_code
            == 302
        )
    assert SignedInSession.objects.filter(user=rep).count() == 2
    # when
    response = mine.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    # then
    assert response.status_code == 302
    assert mine.get("/accounts/settings/").status_code == 200
    assert other.get("/accounts/settings/").status_code == 302
    assert SignedInSession.objects.filter(user=rep).count() == 1
    assert _signs_in("rep1", NEW_PASSWORD)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SETTINGS_CHANGED, object_id=str(rep.pk)
    ).exists()


def test_change_my_password_needs_the_current_one_and_a_good_new_one(client, rep):
    client.force_login(rep)
    wrong = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    weak = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert wrong.status_code == weak.status_code == 200
    rep.refresh_from_db()
    assert rep.check_password(PASSWORD)


def test_my_sessions_are_listed_and_the_others_signed_out(rep):
    mine, other = Client(), Client()
    for c in (mine, other):
        c.post("/accounts/login/", {"username": "rep1", "password": PASSWORD})
    page = mine.get("/accounts/settings/").content.decode()
    assert page.count('data-testid="session-row"') == 2
    mine.post("/accounts/sessions/end/")
    assert other.get("/accounts/settings/").status_code == 302
    assert mine.get("/accounts/settings/").status_code == 200
    assert SignedInSession.objects.filter(user=rep).count() == 1
    assert Session.objects.count() == 1


def test_sessions_end_is_only_ones_own(rep, other_rep):
    mine, theirs = Client(), Client()
    mine.post("/accounts/login/", {"username": "rep1", "password": PASSWORD})
    theirs.post("/accounts/login/", {"username": "rep2", "password": PASSWORD})
    mine.post("/accounts/sessions/end/")
    assert theirs.get("/accounts/settings/").status_code == 200


def test_signing_out_forgets_the_session(client, rep):
    client.post("/accounts/login/", {"username": "rep1", "password": PASSWORD})
    client.post("/accounts/logout/")
    assert not SignedInSession.objects.exists()
