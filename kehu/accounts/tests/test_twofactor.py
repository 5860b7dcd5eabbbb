"""Two-factor sign-in: enrolment, signing in with a code, recovery codes, lockout, roles."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kehu.accounts import services, twofactor
from kehu.accounts.models import RecoveryCode
from kehu.accounts.tests.factories import PASSWORD
from kehu.core.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/login/verify/"
PAGE = "/accounts/two-factor/"
CODE = re.compile(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>")


def code_of(device, at=None):
    """The 6 digits an authenticator app shows now (or ``at``) for ``device``."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at.timestamp()
    return f"{totp.token():06d}"


def enrol(client, user):
    """Set up TOTP through the page; returns the device and the recovery codes shown."""
    client.force_login(user)
    started = client.post(PAGE, {"action": "start"})
    assert started.status_code == 200
    assert "data:image/svg+xml" in started.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(PAGE, {"action": "confirm", "code": code_of(device)})
    assert done.status_code == 200
    codes = CODE.findall(done.content.decode())
    client.logout()
    device.refresh_from_db()
    return device, codes


def sign_in(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def verify(client, code, ip="10.0.0.1"):
    return client.post(VERIFY, {"code": code}, REMOTE_ADDR=ip)


def test_enrolment_shows_a_qr_code_and_ten_recovery_codes_once(client, rep):
    # when
    device, codes = enrol(client, rep)
    # then
    assert device.confirmed
    assert len(codes) == 10
    assert len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(user=rep).values_list("digest", flat=True))
    assert stored == {RecoveryCode.digest_of(c.replace("-", "")) for c in codes}
    assert not any(c in d for c in codes for d in stored)  # only digests are kept
    client.force_login(rep)
    again = client.get(PAGE).content.decode()
    assert "10 recovery codes left" in again
    assert not CODE.findall(again)  # shown once
    assert AuditEvent.objects.filter(action="2fa_enabled", actor=rep).exists()


def test_a_wrong_code_does_not_turn_it_on(client, rep):
    client.force_login(rep)
    client.post(PAGE, {"action": "start"})
    device = TOTPDevice.objects.get(user=rep)
    wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"
    response = client.post(PAGE, {"action": "confirm", "code": wrong})
    assert "That code is wrong" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not RecoveryCode.objects.filter(user=rep).exists()


def test_sign_in_asks_for_the_code_and_signs_in_with_it(client, rep):
    device, _codes = enrol(client, rep)
    with time_machine.travel(timezone.now() + timedelta(seconds=60), tick=False):
        # given: the password step passed
        first = sign_in(client, "rep1")
        assert first.status_code == 302
        assert first.url == VERIFY
        # then: not signed in yet
        assert client.get("/").status_code == 302
        assert "_auth_user_id" not in client.session
        # when
        done = verify(client, code_of(device))
        # then
        assert done.status_code == 302
        assert done.url == "/"
        assert client.session["_auth_user_id"] == str(rep.pk)
        assert client.get("/").status_code == 200
        # a code is good once: the same code again is refused
        client.logout()
        sign_in(client, "rep1")
        assert verify(client, code_of(device)).status_code == 200
        assert "_auth_user_id" not in client.session


def test_a_recovery_code_signs_in_once(client, rep):
    _device, codes = enrol(client, rep)
    sign_in(client, "rep1")
    assert verify(client, codes[3].upper()).status_code == 302  # case and dash forgiven
    assert client.session["_auth_user_id"] == str(rep.pk)
    assert AuditEvent.objects.filter(action="recovery_code_used", actor=rep).count() == 1
    # reuse refused
    client.logout()
    sign_in(client, "rep1")
    refused = verify(client, codes[3])
    assert refused.status_code == 200
    assert "That code is wrong" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert twofactor.recovery_codes_left(rep) == 9


def test_wrong_codes_lock_the_sign_in_and_are_audited(client, rep, settings):
    device, _codes = enrol(client, rep)
    sign_in(client, "rep1")
    for _n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert (
            verify(client, "000000" if code_of(device) != "000000" else "111111").status_code == 200
        )
    locked = verify(client, "999999" if code_of(device) != "999999" else "111111")
    assert locked.status_code == 429
    assert AuditEvent.objects.filter(action="2fa_failed", username="rep1").count() == (
        settings.AXES_FAILURE_LIMIT
    )
    assert AuditEvent.objects.filter(action="locked_out", username="rep1").exists()
    # even the right code and the right password are refused while locked
    with time_machine.travel(timezone.now() + timedelta(seconds=60), tick=False):
        assert verify(client, code_of(device)).status_code == 429
        assert sign_in(client, "rep1").status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_required_role_must_enrol_before_anything_else(client, make_user, rep, settings):
    settings.KEHU_2FA_REQUIRED_ROLES = ["admin", "archive_admin"]
    boss = make_user("admin", username="root1")
    # when: an administrator without TOTP signs in with the password
    assert sign_in(client, "root1").status_code == 302
    # then: every page leads to the set-up, the API refuses the session
    home = client.get("/")
    assert home.status_code == 302
    assert home.url == PAGE
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert api.json()["code"] == "two_factor_required"
    assert client.get(PAGE).status_code == 200
    # after enrolling, the pages open
    client.post(PAGE, {"action": "start"})
    device = TOTPDevice.objects.get(user=boss)
    client.post(PAGE, {"action": "confirm", "code": code_of(device)})
    assert client.get("/").status_code == 200
    # a sales rep is not asked
    client.logout()
    assert sign_in(client, "rep1").status_code == 302
    assert client.get("/").status_code == 200


def test_a_required_role_cannot_turn_it_off(client, archivist, settings):
    settings.KEHU_2FA_REQUIRED_ROLES = ["archive_admin"]
    enrol(client, archivist)
    client.force_login(archivist)
    client.post(PAGE, {"action": "disable", "password": PASSWORD})
    assert twofactor.confirmed_device(archivist) is not None


def test_api_tokens_are_not_affected(client, admin_user, settings):
    settings.KEHU_2FA_REQUIRED_ROLES = ["admin"]
    enrol(client, admin_user)
    _row, token = services.api_token_create(user=admin_user, name="ERP")
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


def test_turning_it_off_needs_the_password(client, rep):
    enrol(client, rep)
    client.force_login(rep)
    client.post(PAGE, {"action": "disable", "password": "wrong-one"})
    assert twofactor.confirmed_device(rep) is not None
    client.post(PAGE, {"action": "disable", "password": PASSWORD})
    assert twofactor.confirmed_device(rep) is None
    assert not RecoveryCode.objects.filter(user=rep).exists()
    assert AuditEvent.objects.filter(action="2fa_disabled").exists()


def test_new_recovery_codes_replace_the_old(client, rep):
    _device, old = enrol(client, rep)
    client.force_login(rep)
    renewed = client.post(PAGE, {"action": "renew", "password": PASSWORD}).content.decode()
    new = CODE.findall(renewed)
    assert len(new) == 10
    assert not set(new) & set(old)
    assert twofactor.second_factor_verify(user=rep, code=old[0]) is None
    assert twofactor.second_factor_verify(user=rep, code=new[0]) == "recovery"


def test_the_pages_refuse_whoever_may_not_use_them(client, rep, other_rep):
    # anonymous: the set-up page asks to sign in
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    # no password step passed: the code page sends back to sign in
    response = client.post(VERIFY, {"code": "123456"})
    assert response.status_code == 302
    assert response.url == LOGIN
    # another user's session cannot confirm rep's device
    enrol(client, rep)
    client.force_login(other_rep)
    page = client.get(PAGE).content.decode()
    assert "10 recovery codes left" not in page


def test_an_administrator_resets_a_lost_phone(client, rep):
    enrol(client, rep)
    call_command("user", "reset-2fa", "rep1")
    assert twofactor.confirmed_device(rep) is None
    assert sign_in(client, "rep1").status_code == 302
    assert client.session["_auth_user_id"] == str(rep.pk)
