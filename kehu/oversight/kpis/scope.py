"""Whose figures a viewer sees: the company, a team, a rep."""

from django.db.models import (
    Q,
)

from kehu.accounts.models import Membership, User
from kehu.core.access import Scope, policy_for, record_scope_q


def work_q(user: User, team_id: int | None = None, prefix: str = "") -> Q:
    """Records (orders, payments, opportunities, summaries, customers) ``user`` counts:
    owner and team, no sharing; narrowed to one team when asked."""
    q = record_scope_q(
        user, owner_field=f"{prefix}owner", shared_field=None, team_field=f"{prefix}team"
    )
    if team_id is not None:
        members = Membership.objects.filter(team_id=team_id).values("user_id")
        q &= Q(**{f"{prefix}team_id": team_id}) | Q(
            **{f"{prefix}team__isnull": True, f"{prefix}owner_id__in": members}
        )
    return q


def whole_archive(user: User) -> bool:
    return policy_for(user).view is Scope.ALL


def customers_q(user: User, team_id: int | None) -> Q:
    return work_q(user, team_id)
