"""Reads of users and API tokens."""

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from kehu.accounts.models import ApiToken, Membership, Team, User

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
