"""Every write to users, teams and API tokens."""

import secrets
from datetime import datetime, timedelta
from importlib import import_module

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.lockout import lock_filter
from kehu.accounts.models import (
    ApiToken,
    Membership,
    NotificationTopic,
    Role,
    SignedInSession,
    Team,
    User,
)
from kehu.core.access import forget_managed_team_ids
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
    language: str = "",
    superuser: bool | None = None,
    created_by: User | None = None,
) -> User:
    """Create a user; without a password the account cannot sign in until one is set. An
    integration account (for another system, e.g. the call center) never has a password: it
    works only through its API tokens. ``superuser`` (default: for administrators) opens
    Django's admin site; the administrators made in Kehu's own pages do not need it."""
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
        language=language if language in dict(settings.LANGUAGES) else "",
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
    # The first administrators (made on the command line) may open Django's admin site too.
    user.is_staff = user.is_superuser = role == Role.ADMIN if superuser is None else superuser
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
    if changed_by is not None and changed_by.pk == user.pk and not active:
        raise ValidationError(_("You cannot disable your own account."))
    if user.is_active == active:
        return user
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
        signed_in_sessions_end(user=user)
    else:
        _access_changed(user, ["is_active"], changed_by)
    return user


def user_set_language(*, user: User, language: str) -> User:
    user.language = language
    user.save(update_fields=["language"])
    return user


def user_notifications_set(
    *, user: User, shown: list[str], emailed: list[str], weekly_digest: bool
) -> User:
    """Set ``user``'s own notification preferences: the topics shown in the bell (the others
    are turned off; security notices stay on), those also e-mailed, the weekly digest."""
    topics = set(NotificationTopic.values)
    if not set(shown) <= topics or not set(emailed) <= topics:
        raise ValidationError(_("Unknown notification topic."))
    user.notifications_muted = sorted(topics - set(shown) - {NotificationTopic.SECURITY})
    user.notifications_emailed = sorted(set(emailed))
    user.weekly_digest = weekly_digest
    user.save(update_fields=["notifications_muted", "notifications_emailed", "weekly_digest"])
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


# --- administering users and teams in Kehu's own pages -------------------------------------
# Every change is in the audit log with the same events as Django's admin site writes:
# ``role_changed`` (with the names of the fields that changed, never their values) for what
# decides what a user may do, ``user_created`` and ``user_disabled``.

USER_FIELDS = ("role", "display_name", "email", "language")
# Enough to be safe and short enough to read out over the phone: 12 characters, no look-alikes.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105
PASSWORD_LENGTH = 12


def _access_changed(
    user: User, changed: list[str], changed_by: User | None, ip_address: str | None = None
) -> None:
    audit_log(
        action=AuditEvent.Action.ROLE_CHANGED,
        actor=changed_by,
        ip_address=ip_address,
        object_type="accounts.user",
        object_id=user.pk,
        detail={"changed": sorted(changed), "username": user.username},
    )


@transaction.atomic
def user_update(
    *,
    user: User,
    changed_by: User,
    data: dict[str, str],
    ip_address: str | None = None,
) -> User:
    """Change a user's role, display name, e-mail or language (``USER_FIELDS``). An
    administrator who is demoted loses Django's admin site with the role."""
    unknown = set(data) - set(USER_FIELDS)
    if unknown:
        raise TypeError(", ".join(sorted(unknown)))
    errors: dict[str, list[str]] = {}
    role = data.get("role", user.role)
    if role not in Role.values:
        errors["role"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Role.values)}]
    elif user.is_integration and role == Role.ADMIN:
        errors["role"] = [_("An integration account cannot be an administrator.")]
    elif user.pk == changed_by.pk and role != user.role:
        errors["role"] = [_("You cannot change your own role.")]
    if data.get("language", "") not in {"", *dict(settings.LANGUAGES)}:
        errors["language"] = [_("Unknown language.")]
    if errors:
        raise ValidationError(errors)
    changed = []
    for name, value in data.items():
        value = value.strip()
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if "role" in changed and role != Role.ADMIN and (user.is_superuser or user.is_staff):
        user.is_superuser = user.is_staff = False
        changed += ["is_staff", "is_superuser"]
    if not changed:
        return user
    user.full_clean(exclude=["password", "username"])
    user.save()
    _access_changed(user, changed, changed_by, ip_address)
    return user


@transaction.atomic
def user_memberships_set(
    *,
    user: User,
    teams: list[Team],
    managed: list[Team],
    changed_by: User,
    ip_address: str | None = None,
) -> User:
    """Put ``user`` in exactly ``teams``, as manager of those in ``managed`` (a subset)."""
    wanted = {team.pk: any(t.pk == team.pk for t in managed) for team in teams}
    current = {m.team_id: m for m in Membership.objects.filter(user=user)}
    changed = False
    for team_id, membership in current.items():
        if team_id not in wanted:
            membership.delete()
            changed = True
        elif membership.is_manager != wanted[team_id]:
            membership.is_manager = wanted[team_id]
            membership.save(update_fields=["is_manager", "updated_at"])
            changed = True
    for team_id, is_manager in wanted.items():
        if team_id not in current:
            Membership.objects.create(user=user, team_id=team_id, is_manager=is_manager)
            changed = True
    if changed:
        forget_managed_team_ids(user)
        _access_changed(user, ["teams"], changed_by, ip_address)
    return user


def password_generate() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(PASSWORD_LENGTH))


@transaction.atomic
def user_password_reset(*, user: User, reset_by: User, ip_address: str | None = None) -> str:
    """Give ``user`` a new generated password and return it (to be shown once, never stored
    in clear). Their sessions end: a session is bound to the password it signed in with."""
    if user.is_integration:
        raise ValidationError(_("An integration account has no password: it uses API tokens."))
    password = password_generate()
    user.set_password(password)
    user.save(update_fields=["password"])
    signed_in_sessions_end(user=user)
    _access_changed(user, ["password"], reset_by, ip_address)
    return password


@transaction.atomic
def password_change(*, user: User, new_password: str, ip_address: str | None = None) -> User:
    """Change one's own password (the caller has checked the current one), after Django's
    password validators."""
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": list(exc.messages)}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_log(
        action=AuditEvent.Action.SETTINGS_CHANGED,
        actor=user,
        ip_address=ip_address,
        object_type="accounts.user",
        object_id=user.pk,
        detail={"changed": ["password"]},
    )
    return user


def _team_errors(name: str, team: Team | None) -> dict[str, list[str]]:
    if not name:
        return {"name": [_("A name is required.")]}
    if len(name) > 100:
        return {"name": [_("At most %(n)s characters.") % {"n": 100}]}
    clash = Team.objects.filter(name__iexact=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        return {"name": [_("A team with this name already exists.")]}
    return {}


@transaction.atomic
def team_save(*, team: Team | None, name: str, description: str, changed_by: User) -> Team:
    """Create a team (``team`` None) or rename / describe one; audited as a setting."""
    from kehu.core.audit import setting_changed

    name = name.strip()
    errors = _team_errors(name, team)
    if errors:
        raise ValidationError(errors)
    created = team is None
    team = team or Team()
    changed = [
        field
        for field, value in (("name", name), ("description", description.strip()))
        if getattr(team, field) != value
    ]
    team.name, team.description = name, description.strip()
    team.save()
    if created or changed:
        setting_changed(actor=changed_by, what=team, changed=changed or ["created"])
    return team


@transaction.atomic
def team_members_set(
    *,
    team: Team,
    members: list[User],
    managers: list[User],
    changed_by: User,
    ip_address: str | None = None,
) -> Team:
    """Make ``members`` exactly the team's members, ``managers`` (among them) its managers;
    each user whose membership changed gets a ``role_changed`` event."""
    wanted = {user.pk: any(m.pk == user.pk for m in managers) for user in members}
    current = {m.user_id: m for m in Membership.objects.filter(team=team).select_related("user")}
    touched: set[int] = set()
    for user_id, membership in current.items():
        if user_id not in wanted:
            membership.delete()
            touched.add(user_id)
        elif membership.is_manager != wanted[user_id]:
            membership.is_manager = wanted[user_id]
            membership.save(update_fields=["is_manager", "updated_at"])
            touched.add(user_id)
    for user_id, is_manager in wanted.items():
        if user_id not in current:
            Membership.objects.create(user_id=user_id, team=team, is_manager=is_manager)
            touched.add(user_id)
    for member in members:
        forget_managed_team_ids(member)
    for user in User.objects.filter(pk__in=touched):
        _access_changed(user, ["teams"], changed_by, ip_address)
    return team


# --- signed-in sessions ---------------------------------------------------------------------


def signed_in_session_record(
    *, user: User, session_key: str, ip_address: str | None, user_agent: str
) -> None:
    """Remember a new sign-in's session (called at sign-in)."""
    SignedInSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, "ip_address": ip_address, "user_agent": user_agent[:300]},
    )


def signed_in_sessions_end(*, user: User, keep: str | None = None) -> int:
    """Sign ``user`` out of every session but ``keep`` (the current one); returns how many
    sessions ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = SignedInSession.objects.filter(user=user)
    if keep:
        rows = rows.exclude(session_key=keep)
    ended = 0
    for key in list(rows.values_list("session_key", flat=True)):
        session = store(session_key=key)
        if session.exists(key):
            session.delete(key)
            ended += 1
    rows.delete()
    return ended


def signed_in_session_rekey(*, old: str | None, new: str | None) -> None:
    """Follow a session whose key changed (Django gives a new key when the password does)."""
    if old and new and old != new:
        SignedInSession.objects.filter(session_key=old).update(session_key=new)
