"""Reads of users and API tokens."""

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kehu.accounts.models import ApiToken, Membership, SignedInSession, Team, User

# Writing last_used_at on every request would turn each API read into a write.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def api_token_authenticate(*, token: str) -> User | None:
    """The active user a token belongs to, or None for an unknown, revoked or expired token."""
    if not token.startswith(ApiToken.PREFIX):
        return None
    now = timezone.now()
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(token), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_get_for_user(*, user: User, token_id: int) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, pk=token_id).first()


def users_list() -> QuerySet[User]:
    return User.objects.prefetch_related("memberships__team").order_by("-id")


def primary_team(*, user: User | None) -> Team | None:
    """The team a user's customers belong to: their first membership's, or None."""
    if user is None:
        return None
    membership = Membership.objects.filter(user=user).select_related("team").order_by("id").first()
    return membership.team if membership else None


def signed_in_sessions_of(*, user: User) -> list[SignedInSession]:
    """The sessions ``user`` is signed in with now, newest first; rows of sessions that have
    ended (expired, signed out) are removed on the way."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = list(SignedInSession.objects.filter(user=user))
    live = [row for row in rows if store(session_key=row.session_key).exists(row.session_key)]
    gone = [row.pk for row in rows if row not in live]
    if gone:
        SignedInSession.objects.filter(pk__in=gone).delete()
    return live


def users_filtered(
    *, q: str = "", role: str = "", team_id: int | None = None, active: str = ""
) -> QuerySet[User]:
    """Users for the administrators' list: by name, role, team and whether enabled."""
    users = users_list()
    if q:
        users = users.filter(
            Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q)
        )
    if role:
        users = users.filter(role=role)
    if team_id:
        users = users.filter(memberships__team_id=team_id)
    if active in {"1", "0"}:
        users = users.filter(is_active=active == "1")
    return users.distinct()


def teams_with_counts() -> QuerySet[Team]:
    return Team.objects.annotate(
        member_count=Count("memberships", distinct=True),
        manager_count=Count("memberships", filter=Q(memberships__is_manager=True), distinct=True),
    ).order_by("name")
