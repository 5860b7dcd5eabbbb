"""Two-factor sign-in (双重验证): a TOTP authenticator app (django-otp) and single-use
recovery codes.

Which roles must use it is ``KEHU_2FA_REQUIRED_ROLES`` (administrators and archive
administrators in production by default). API tokens are not affected: a token is already a
second secret held by a program, not a person.
"""

import base64
import secrets

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from kehu.accounts.models import RecoveryCode, Role, User
from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: a code copied from paper is read back right.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def twofactor_required(user: User) -> bool:
    """Whether the user's role must sign in with a second factor."""
    required = set(settings.KEHU_2FA_REQUIRED_ROLES)
    if user.is_superuser and Role.ADMIN in required:
        return True
    return user.role in required


def confirmed_device(user: User) -> TOTPDevice | None:
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device


def pending_device(user: User) -> TOTPDevice | None:
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device


def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator secret for ``user`` (any earlier unconfirmed one goes)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="Kehu", confirmed=False)
    return device


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The ``otpauth://`` address of the device as an SVG QR code in a ``data:`` URI."""
    uri: str = segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)
    return uri


def totp_secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _clean_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


@transaction.atomic
def totp_enrolment_confirm(
    *, user: User, device: TOTPDevice, code: str, ip_address: str | None = None
) -> list[str]:
    """Turn on two-factor sign-in once ``code`` from the app matches; returns the new recovery
    codes (shown once). Raises ``ValidationError`` when the code is wrong."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError({"code": [_("Start the set-up again.")]})
    if not device.verify_token(_clean_code(code)):
        raise ValidationError(
            {"code": [_("That code is wrong. Check the time on your phone and try again.")]}
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_log(
        action=AuditEvent.Action.TWO_FACTOR_ENABLED,
        actor=user,
        object_type="user",
        object_id=user.pk,
        detail={"ip_address": ip_address},
    )
    return _recovery_codes_replace(user)


def _recovery_codes_replace(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, digest=RecoveryCode.digest_of(_clean_code(c))) for c in codes
    )
    return codes


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    """New recovery codes for a user with two-factor sign-in; the old ones stop working."""
    if confirmed_device(user) is None:
        raise ValidationError(_("Turn on two-factor sign-in first."))
    codes = _recovery_codes_replace(user)
    audit_log(
        action=AuditEvent.Action.RECOVERY_CODES_RENEWED,
        actor=user,
        object_type="user",
        object_id=user.pk,
    )
    return codes


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def second_factor_verify(*, user: User, code: str) -> str | None:
    """Check a code typed at sign-in: ``"totp"`` or ``"recovery"`` when it is good, else None.

    A TOTP code is refused if already used (django-otp keeps the last time step); a recovery
    code is spent by a conditional update, so two requests cannot both use it.
    """
    cleaned = _clean_code(code)
    if not cleaned:
        return None
    if cleaned.isdigit():
        device = confirmed_device(user)
        if device is not None and device.verify_token(cleaned):
            return "totp"
        return None
    spent = RecoveryCode.objects.filter(
        user=user, digest=RecoveryCode.digest_of(cleaned), used_at__isnull=True
    ).update(used_at=timezone.now())
    if spent:
        audit_log(
            action=AuditEvent.Action.RECOVERY_CODE_USED,
            actor=user,
            object_type="user",
            object_id=user.pk,
            detail={"left": recovery_codes_left(user)},
        )
        return "recovery"
    return None


@transaction.atomic
def twofactor_disable(*, user: User, disabled_by: User | None) -> None:
    """Remove the user's authenticator and recovery codes (lost phone: an administrator's
    ``kehu user reset-2fa``; or the user, when their role does not require it)."""
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit_log(
        action=AuditEvent.Action.TWO_FACTOR_DISABLED,
        actor=disabled_by,
        object_type="user",
        object_id=user.pk,
        username=disabled_by.get_username() if disabled_by else "kehu user reset-2fa",
        detail={"user": user.get_username()},
    )
