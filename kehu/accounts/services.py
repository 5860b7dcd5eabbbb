"""Every write to users, teams and API tokens."""

import secrets
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.lockout import lock_filter
from kehu.accounts.models import ApiToken, Membership, Role, Team, User
from kehu.core.audit import audit_log
from kehu.core.models import AuditEvent


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    password: str | None = None,
    team_name: str | None = None,
    is_team_manager: bool = False,
    display_name: str = "",
    email: str = "",
    is_integration: bool = False,
    created_by: User | None = None,
) -> User:
    """Create a user; without a password the account cannot sign in until one is set. An
    integration account (for another system, e.g. the call center) never has a password: it
    works only through its API tokens."""
    username = username.strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = [_("A username is required.")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("A user with this username already exists.")]
    if role not in Role.values:
        errors["role"] = [
            _("Unknown role “%(role)s”; choose one of: %(roles)s.")
            % {"role": role, "roles": ", ".join(Role.values)}
        ]
    user = User(
        username=username,
        role=role,
        display_name=display_name.strip(),
        email=email.strip(),
        is_integration=is_integration,
    )
    if is_integration:
        password = None
        if role == Role.ADMIN:
            errors["role"] = [_("An integration account cannot be an administrator.")]
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    # Admins maintain users and teams in the admin site too.
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.save()
    if team_name:
        team, _created = Team.objects.get_or_create(name=team_name.strip())
        Membership.objects.create(user=user, team=team, is_manager=is_team_manager)
    audit_log(
        action=AuditEvent.Action.USER_CREATED,
        actor=created_by,
        object_type="user",
        object_id=user.pk,
        detail={"username": user.username, "role": role, "integration": is_integration},
    )
    return user


@transaction.atomic
def user_set_active(*, user: User, active: bool, changed_by: User | None = None) -> User:
    """Enable or disable an account. A disabled account's sessions and tokens stop working
    at once: authentication checks ``is_active`` on every request."""
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        audit_log(
            action=AuditEvent.Action.USER_DISABLED,
            actor=changed_by,
            object_type="user",
            object_id=user.pk,
            detail={"username": user.username},
        )
    return user


def user_set_language(*, user: User, language: str) -> User:
    user.language = language
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create an API token; returns the row and the token, which is never stored. A person's
    token without an expiry expires after ``KEHU_TOKEN_DEFAULT_DAYS``; an integration
    account's lasts until revoked."""
    name = name.strip()
    if not name:
        raise ValidationError(
            {"name": [_("Give the token a name, e.g. the integration using it.")]}
        )
    if len(name) > 100:
        raise ValidationError({"name": [_("At most 100 characters.")]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": [_("The expiry must be in the future.")]})
    if expires_at is None and not user.is_integration:
        expires_at = timezone.now() + timedelta(days=settings.KEHU_TOKEN_DEFAULT_DAYS)
    token = ApiToken.PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user,
        name=name,
        hint=token[: len(ApiToken.PREFIX) + 6],
        digest=ApiToken.digest_of(token),
        expires_at=expires_at,
    )
    audit_log(
        action=AuditEvent.Action.TOKEN_CREATED,
        actor=user,
        object_type="api_token",
        object_id=row.pk,
        detail={"name": name},
    )
    return row, token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, revoked_by: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_log(
            action=AuditEvent.Action.TOKEN_REVOKED,
            actor=revoked_by,
            object_type="api_token",
            object_id=token.pk,
            detail={"name": token.name},
        )
    return token


@transaction.atomic
def login_lock_clear(
    *,
    cleared_by: User,
    username: str | None = None,
    ip_address: str | None = None,
    request_ip: str | None = None,
) -> int:
    """Remove the sign-in failures of a username (every address) or of an address (every
    username), which lifts its lock; audited. Returns how many failure records went."""
    if (username is None) == (ip_address is None):
        raise ValueError("Give a username or an address.")
    count, _detail = AccessAttempt.objects.filter(lock_filter(username, ip_address)).delete()
    AuditEvent.objects.create(
        action=AuditEvent.Action.LOCK_CLEARED,
        actor=cleared_by,
        username=username or "",
        ip_address=request_ip,
        detail={"username": username, "ip_address": ip_address, "records": count},
    )
    return int(count)
