"""The sign-in lockout policy (audit findings 1 and 6)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from kehu.accounts.tests.factories import PASSWORD
from kehu.core.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, username, password=PASSWORD, ip="10.0.0.1"):
    client.logout()
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_own_sign_in_does_not_reset_another_users_failures(client, rep, other_rep, settings):
    # given: rounds of (limit - 1) wrong guesses for the victim, then a correct sign-in with
    # the attacker's own account from the same address
    for _round in range(3):
        for _n in range(settings.AXES_FAILURE_LIMIT - 1):
            sign_in(client, "rep1", "wrong")
        assert sign_in(client, "rep2").status_code == 302
    # then: the victim's username is locked from that address, even with the right password
    assert sign_in(client, "rep1").status_code == 429
    assert AuditEvent.objects.filter(action="locked_out", username="rep1").exists()


def test_own_sign_in_resets_own_failures(client, rep, settings):
    for _n in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "rep1", "wrong")
    assert sign_in(client, "rep1").status_code == 302
    for _n in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "rep1", "wrong")
    assert sign_in(client, "rep1").status_code == 302


def test_a_username_is_locked_after_failures_from_many_addresses(client, rep, other_rep, settings):
    settings.KEHU_LOGIN_USER_FAILURE_LIMIT = 8
    for n in range(8):
        sign_in(client, "rep1", "wrong", ip=f"10.0.1.{n}")
        # another account's sign-in from each address resets nothing of rep1's
        sign_in(client, "rep2", ip=f"10.0.1.{n}")
    assert sign_in(client, "rep1", ip="10.0.2.1").status_code == 429


def test_one_persons_guesses_do_not_lock_the_office(client, rep, other_rep, settings):
    # five wrong guesses for one username lock that username from that address only
    for _n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "rep1", "wrong", ip="10.9.9.9")
    assert sign_in(client, "rep1", ip="10.9.9.9").status_code == 429
    assert sign_in(client, "rep2", ip="10.9.9.9").status_code == 302
    assert sign_in(client, "rep1", ip="10.9.9.10").status_code == 302


def test_an_address_is_locked_at_its_higher_ceiling(client, other_rep, settings):
    settings.KEHU_LOGIN_ADDRESS_FAILURE_LIMIT = 12
    for n in range(12):
        sign_in(client, f"nobody{n}", "wrong", ip="10.9.9.9")
    assert sign_in(client, "rep2", ip="10.9.9.9").status_code == 429
    assert sign_in(client, "rep2", ip="10.9.9.10").status_code == 302


def test_attempts_during_the_lock_do_not_extend_it(client, rep, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _n in range(settings.AXES_FAILURE_LIMIT):
            sign_in(client, "rep1", "wrong")
        # attempts during the lock are refused and do not re-arm it
        for minutes in (5, 10, 14):
            clock.move_to(start + timedelta(minutes=minutes))
            assert sign_in(client, "rep1", "wrong").status_code == 429
        clock.move_to(start + timedelta(minutes=16))
        assert sign_in(client, "rep1").status_code == 302


def test_an_administrator_sees_and_clears_a_lock(client, rep, admin_user, settings):
    for _n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "rep1", "wrong", ip="10.5.5.5")
    assert sign_in(client, "rep1", ip="10.5.5.5").status_code == 429
    # when
    client.force_login(admin_user)
    page = client.get("/accounts/lockouts/")
    assert page.status_code == 200
    assert "rep1" in page.text
    assert "10.5.5.5" in page.text
    response = client.post("/accounts/lockouts/", {"username": "rep1"})
    # then
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="lock_cleared", actor=admin_user, username="rep1")
    assert sign_in(client, "rep1", ip="10.5.5.5").status_code == 302


def test_only_administrators_may_clear_locks(client, rep, archivist, settings):
    for _n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "rep1", "wrong", ip="10.5.5.5")
    client.force_login(archivist)
    assert client.get("/accounts/lockouts/").status_code == 403
    assert client.post("/accounts/lockouts/", {"username": "rep1"}).status_code == 403
    assert sign_in(client, "rep1", ip="10.5.5.5").status_code == 429


def test_repeated_lockouts_alert_the_administrators(client, rep, admin_user, settings):
    from kehu.interactions.models import Notification

    settings.KEHU_LOCKOUT_ALERT_THRESHOLD = 3
    for _n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "rep1", "wrong", ip="10.5.5.5")
    assert not Notification.objects.filter(user=admin_user).exists()
    sign_in(client, "rep1", "wrong", ip="10.5.5.5")
    sign_in(client, "rep1", "wrong", ip="10.5.5.5")
    notes = Notification.objects.filter(user=admin_user)
    assert notes.count() == 1
    assert "rep1" in notes.get().text
    assert notes.get().url == "/accounts/lockouts/"
    assert not Notification.objects.filter(user=rep).exists()
