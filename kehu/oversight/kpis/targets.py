"""Targets, attainment and the forecast."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    QuerySet,
)

from kehu.accounts.models import Membership, User
from kehu.core.access import Scope, managed_team_ids, policy_for
from kehu.oversight.kpis.common import ZERO, Span
from kehu.oversight.models import SalesTarget


def _target_rows(span: Span, period: str) -> QuerySet[SalesTarget]:
    if period == "month":
        return SalesTarget.objects.filter(period=SalesTarget.Period.MONTH, starts_on=span.start)
    return SalesTarget.objects.filter(starts_on__gte=span.start, starts_on__lte=span.end)


def _subject_sum(rows: list[SalesTarget]) -> Decimal:
    """One subject's target for a span: its quarter targets when it has any, else its months."""
    quarters = [r.amount for r in rows if r.period == SalesTarget.Period.QUARTER]
    if quarters:
        return sum(quarters, ZERO)
    return sum((r.amount for r in rows if r.period == SalesTarget.Period.MONTH), ZERO)


def targets_for(
    user: User, span: Span, period: str, team_id: int | None
) -> dict[str, Decimal | None]:
    """The target of each measure for what ``user`` looks at: a rep their own; one team its
    team target, else the sum of its members' targets; the whole archive (or a manager's teams)
    the sum of the team targets, else of the reps' targets. None where none was set."""
    rows = list(_target_rows(span, period))
    policy = policy_for(user)
    if team_id is not None:
        teams = [team_id]
    elif policy.view is Scope.ALL:
        teams = None
    else:
        teams = managed_team_ids(user)
    out: dict[str, Decimal | None] = {}
    for metric in SalesTarget.Metric.values:
        mine = [r for r in rows if r.metric == metric]
        if teams is not None and not teams:  # a rep
            own = [r for r in mine if r.owner_id == user.pk]
            out[metric] = _subject_sum(own) if own else None
            continue
        members_of: dict[int, set[int]] = defaultdict(set)
        for t, u in Membership.objects.filter(
            **({"team_id__in": teams} if teams is not None else {})
        ).values_list("team_id", "user_id"):
            members_of[t].add(u)
        team_ids = (
            teams
            if teams is not None
            else sorted({r.team_id for r in mine if r.team_id} | set(members_of))
        )
        total = ZERO
        found = False
        for t in team_ids:
            team_rows = [r for r in mine if r.team_id == t]
            if team_rows:
                total += _subject_sum(team_rows)
                found = True
                continue
            by_owner: dict[int, list[SalesTarget]] = defaultdict(list)
            for r in mine:
                if r.owner_id in members_of.get(t, set()):
                    by_owner[r.owner_id].append(r)
            for owned in by_owner.values():
                total += _subject_sum(owned)
                found = True
        out[metric] = total if found else None
    return out


def attainment(actual: Decimal | int, target: Decimal | None) -> float | None:
    """Actual ÷ target × 100 (None without a target)."""
    if not target:
        return None
    return round(float(actual) * 100 / float(target), 1)
