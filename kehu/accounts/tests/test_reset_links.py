"""One-time password-reset links: an administrator makes one on the user's page (shown once,
e-mailed when the user has an address); the user sets a new password with it once; an expired
or used link is refused with a clear message; everyone else is refused; every step audited."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from kehu.accounts import reset_links
from kehu.accounts.models import Role, SignedInSession, User
from kehu.accounts.tests.factories import PASSWORD
from kehu.core.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-river-lantern-42"
LINK = re.compile(r'data-testid="reset-link">(http://testserver/accounts/reset/[^<]+)<')


@pytest.fixture
def kehu_admin(make_user):
    return make_user(Role.ADMIN, username="kadmin")


@pytest.fixture
def member(make_user):
    return make_user(Role.SALES_REP, username="lina", email="lina@example.com", language="zh-hans")


def make_link(client, admin, user):
    """The link the administrator is shown on the user's page."""
    client.force_login(admin)
    response = client.post(f"/accounts/users/{user.pk}/reset-link/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/users/{user.pk}/"
    page = client.get(response["Location"]).content.decode()
    found = LINK.search(page)
    assert found is not None, "the link is shown"
    return found.group(1), page


def signs_in(username, password):
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def set_password(link, password=NEW_PASSWORD, client=None):
    """Open the link and send the form, as the user's browser does; the last answer."""
    client = client or Client()
    opened = client.get(link)
    if opened.status_code != 302:
        return opened
    assert opened["Location"].endswith("/set-password/")  # the token leaves the address
    assert client.get(opened["Location"]).status_code == 200
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


def test_an_admin_makes_a_link_shown_once_and_e_mailed(client, kehu_admin, member, mailoutbox):
    # when
    link, page = make_link(client, kehu_admin, member)
    # then the administrator sees it once, with its expiry and where it was sent
    assert "lina@example.com" in page
    assert (
        'data-testid="reset-link"'
        not in client.get(f"/accounts/users/{member.pk}/").content.decode()
    )
    # and the user got it by e-mail, in their language
    (mail,) = mailoutbox
    assert mail.to == ["lina@example.com"]
    assert mail.subject == "设置 Kehu 的新密码"
    assert link in mail.body
    event = AuditEvent.objects.get(action=AuditEvent.Action.RESET_LINK_MADE)
    assert (event.actor, event.object_id) == (kehu_admin, str(member.pk))
    assert event.detail["emailed"] is True
    # the current password still works until a new one is set
    assert signs_in("lina", PASSWORD)


def test_the_user_sets_a_new_password_with_the_link(client, kehu_admin, member):
    # given the user is signed in elsewhere, and a link
    elsewhere = Client()
    elsewhere.force_login(member)
    link, _page = make_link(client, kehu_admin, member)
    # when they set a new password with it
    response = set_password(link)
    # then they are sent to sign in with it, the old one no longer works
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    # their other sessions ended
    assert not SignedInSession.objects.filter(user=member).exists()
    assert elsewhere.get("/").status_code == 302
    # the new password works, the old one no longer, and the reset is audited as theirs
    assert signs_in("lina", NEW_PASSWORD)
    assert not signs_in("lina", PASSWORD)
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_RESET)
    assert (event.actor, event.object_type, event.object_id) == (
        member,
        "accounts.user",
        str(member.pk),
    )


def test_a_link_works_once(client, kehu_admin, member):
    link, _page = make_link(client, kehu_admin, member)
    assert set_password(link).status_code == 302
    # when it is used again
    again = set_password(link, "another-good-password-7")
    # then it is refused, saying why
    assert again.status_code == 200
    assert "This link has been used already" in again.content.decode()
    assert signs_in("lina", NEW_PASSWORD)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_RESET).count() == 1


def test_the_form_sent_twice_sets_the_password_once(client, kehu_admin, member):
    # given the form open in a browser
    link, _page = make_link(client, kehu_admin, member)
    browser = Client()
    form_url = browser.get(link)["Location"]
    body = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert browser.post(form_url, body).status_code == 302
    # when the same form is sent again (back button)
    again = browser.post(
        form_url, {"new_password1": "x-other-pass-99", "new_password2": "x-other-pass-99"}
    )
    # then it is refused
    assert again.status_code == 200
    assert 'data-testid="reset-refused"' in again.content.decode()
    assert signs_in("lina", NEW_PASSWORD)


def test_an_expired_link_is_refused(client, kehu_admin, member, settings):
    settings.PASSWORD_RESET_TIMEOUT = 24 * 3600
    link, _page = make_link(client, kehu_admin, member)
    # (Django's tokens count in local naive time, which time_machine may shift by the zone's
    # offset: two days is past the day whatever the offset)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = set_password(link)
    assert response.status_code == 200
    assert "This link has expired." in response.content.decode()
    assert signs_in("lina", PASSWORD)


def test_a_link_is_refused_in_the_users_language(client, kehu_admin, member):
    link, _page = make_link(client, kehu_admin, member)
    set_password(link)
    page = Client().get(link, headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "此链接已经用过" in page


def test_an_altered_or_unknown_link_is_refused(client, kehu_admin, member):
    link, _page = make_link(client, kehu_admin, member)
    altered = link[:-3] + ("a" if link[-3] != "a" else "b") + link[-2:]
    assert 'data-testid="reset-refused"' in Client().get(altered).content.decode()
    unknown = Client().get("/accounts/reset/OTk5OTk5/abc-def/").content.decode()
    assert "This link is not valid." in unknown
    # the form's own address without a link opened first
    assert (
        "This link is not valid."
        in Client().get("/accounts/reset/OTk5OTk5/set-password/").content.decode()
    )


def test_a_weak_password_is_refused_and_the_link_still_works(client, kehu_admin, member):
    link, _page = make_link(client, kehu_admin, member)
    weak = set_password(link, "12345678")
    assert weak.status_code == 200
    assert 'data-testid="reset-form"' in weak.content.decode()
    assert "too short" in weak.content.decode()
    assert set_password(link).status_code == 302
    assert signs_in("lina", NEW_PASSWORD)


def test_without_an_e_mail_address_the_admin_hands_the_link_over(
    client, kehu_admin, make_user, mailoutbox
):
    user = make_user(Role.SALES_REP, username="noemail", email="")
    _link, page = make_link(client, kehu_admin, user)
    assert mailoutbox == []
    assert "The user has no e-mail address: give the link to them yourself." in page


def test_a_mail_that_fails_is_said_and_audited(client, kehu_admin, member, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(reset_links, "send_mail", refuse)
    link, page = make_link(client, kehu_admin, member)
    assert "The e-mail could not be sent: give the link to the user yourself." in page
    assert (
        AuditEvent.objects.get(action=AuditEvent.Action.RESET_LINK_MADE).detail["emailed"] is False
    )
    assert set_password(link).status_code == 302


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.ARCHIVE_ADMIN, Role.LEADER])
def test_only_administrators_make_links(client, make_user, member, role, mailoutbox):
    client.force_login(make_user(role))
    assert client.post(f"/accounts/users/{member.pk}/reset-link/").status_code == 403
    assert mailoutbox == []
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.RESET_LINK_MADE).exists()


def test_the_service_refuses_a_non_admin_too(member, rep):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        reset_links.password_reset_link_create(user=member, made_by=rep, base_url="http://x")


def test_no_link_for_a_disabled_or_integration_account(client, kehu_admin, make_user):
    disabled = make_user(Role.SALES_REP, username="gone", is_active=False)
    robot = make_user(Role.SALES_REP, username="robot", is_integration=True)
    client.force_login(kehu_admin)
    for user, message in (
        (disabled, "The account is disabled: enable it before resetting its password."),
        (robot, "An integration account has no password: it uses API tokens."),
    ):
        page = client.post(f"/accounts/users/{user.pk}/reset-link/", follow=True).content.decode()
        assert message in page
        assert 'data-testid="reset-link"' not in page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.RESET_LINK_MADE).exists()


def test_a_link_of_a_user_disabled_since_is_refused(client, kehu_admin, member):
    link, _page = make_link(client, kehu_admin, member)
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert "This link is not valid." in Client().get(link).content.decode()


def test_the_audit_log_names_both_steps(client, kehu_admin, member):
    link, _page = make_link(client, kehu_admin, member)
    set_password(link)
    client.force_login(kehu_admin)
    page = client.get("/audit/").content.decode()
    assert "one-time password reset link made" in page
    assert "password set with a reset link" in page
    assert f'href="/accounts/users/{member.pk}/"' in page
