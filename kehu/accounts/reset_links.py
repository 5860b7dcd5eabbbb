"""One-time password-reset links (一次性密码重置链接): an administrator makes one for a user and
sees it once (it is e-mailed too when the user has an address); the user sets a new password
through it.

The token is Django's ``PasswordResetTokenGenerator``: signed with the secret key over the
user's password hash and last sign-in, so a link stops working once a password is set with it
(single use), when the password changes otherwise or the user signs in meanwhile, and
``PASSWORD_RESET_TIMEOUT`` seconds after it was made. Nothing is stored but the audit events.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.accounts.services import signed_in_sessions_end
from kehu.core.access import require_account_admin
from kehu.core.audit import audit_log
from kehu.core.i18n import in_language_of
from kehu.core.models import AuditEvent

logger = logging.getLogger(__name__)


class ResetTokens(PasswordResetTokenGenerator):
    """Django's reset tokens, able to say why one is refused."""

    def refusal(self, token: str) -> str:
        """Why a token ``check_token`` refused is no good: "expired" (older than
        ``PASSWORD_RESET_TIMEOUT``), else "used" (the password or the last sign-in changed
        since it was made, or it was altered)."""
        try:
            made = base36_to_int(token.split("-", 1)[0])
        except ValueError:
            return "used"
        age = self._num_seconds(self._now()) - made
        return "expired" if age > settings.PASSWORD_RESET_TIMEOUT else "used"


reset_tokens = ResetTokens()


@dataclass(frozen=True)
class ResetLink:
    url: str
    expires_at: datetime
    emailed_to: str  # empty when not e-mailed
    mail_failed: bool = False


def reset_link_user(uidb64: str) -> User | None:
    """The active, password-using user a link's first part names, or None."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=pk, is_active=True, is_integration=False).first()


def _mail(user: User, url: str, expires_at: datetime) -> bool:
    """E-mail the link to the user, in their language; whether it went out."""
    with in_language_of(user):
        subject = _("Set a new password for Kehu")
        body = "\n".join(
            [
                _("Hello %(name)s,") % {"name": user},
                "",
                _("An administrator made a link for you to set a new password for Kehu:"),
                url,
                "",
                _(
                    "The link works once, until %(time)s. If you did not expect it, tell your "
                    "administrator."
                )
                % {"time": timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M")},
            ]
        )
    try:
        send_mail(subject, body, None, [user.email])
    except (OSError, smtplib.SMTPException):
        logger.warning("The reset link for user %s could not be e-mailed", user.pk, exc_info=True)
        return False
    return True


@transaction.atomic
def password_reset_link_create(
    *, user: User, made_by: User, base_url: str, ip_address: str | None = None
) -> ResetLink:
    """Make a one-time link for ``user`` to set a new password (``base_url`` is the site's
    address, ``https://crm.example.com``) and e-mail it when the user has an address. The
    current password keeps working until a new one is set. Administrators only."""
    require_account_admin(made_by)
    if user.is_integration:
        raise ValidationError(_("An integration account has no password: it uses API tokens."))
    if not user.is_active:
        raise ValidationError(
            _("The account is disabled: enable it before resetting its password.")
        )
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("accounts:password_reset", args=[uid, reset_tokens.make_token(user)])
    url = base_url.rstrip("/") + path
    expires_at = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    emailed = bool(user.email) and _mail(user, url, expires_at)
    audit_log(
        action=AuditEvent.Action.RESET_LINK_MADE,
        actor=made_by,
        ip_address=ip_address,
        object_type="accounts.user",
        object_id=user.pk,
        detail={
            "username": user.username,
            "emailed": emailed,
            "expires": timezone.localtime(expires_at).strftime("%Y-%m-%d %H:%M"),
        },
    )
    return ResetLink(
        url=url,
        expires_at=expires_at,
        emailed_to=user.email if emailed else "",
        mail_failed=bool(user.email) and not emailed,
    )


@transaction.atomic
def password_reset_with_link(
    *, user: User, token: str, new_password: str, ip_address: str | None = None
) -> User:
    """Set ``user``'s password with a reset link's token, which then stops working; every
    session of theirs ends. Raises ``ValidationError`` for a token no longer good (the
    caller has checked it; a second request with the same token lands here) or a password
    Django's validators refuse."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not reset_tokens.check_token(user, token):
        raise ValidationError(refusal_message(reset_tokens.refusal(token)))
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": list(exc.messages)}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    signed_in_sessions_end(user=user)
    audit_log(
        action=AuditEvent.Action.PASSWORD_RESET,
        actor=user,
        ip_address=ip_address,
        object_type="accounts.user",
        object_id=user.pk,
        detail={"username": user.username},
    )
    return user


def refusal_message(reason: str) -> str:
    """Why a reset link does not open, in the user's words."""
    if reason == "expired":
        return _("This link has expired. Ask your administrator for a new one.")
    if reason == "used":
        return _(
            "This link has been used already, or the account changed since it was made (a new "
            "password or a sign-in). Ask your administrator for a new one if you still need it."
        )
    return _("This link is not valid. Check that you copied all of it, or ask your administrator.")
