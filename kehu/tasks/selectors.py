"""Reads of tasks, scoped: a user sees the tasks assigned to them or by them, a team manager
those of the team's members; a task about a customer the user no longer sees is hidden."""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from kehu.accounts.models import Membership, User
from kehu.core.access import managed_team_ids
from kehu.customers.selectors import customers_visible_q
from kehu.tasks.models import Task


def team_member_ids(user: User) -> QuerySet[Membership, int]:
    """Ids of the members of the teams ``user`` manages (empty for everyone else)."""
    return Membership.objects.filter(team_id__in=managed_team_ids(user)).values_list(
        "user_id", flat=True
    )


def tasks_visible_to(user: User) -> QuerySet[Task]:
    people = Q(assignee=user) | Q(created_by=user) | Q(assignee__in=team_member_ids(user))
    seen = customers_visible_q(user, prefix="customer__")  # through each task's customer
    customer_seen = (Q(customer__isnull=True) | seen) if seen else Q()
    return Task.objects.filter(people & customer_seen)


def task_get_for_user(*, user: User, task_id: int) -> Task:
    """A task ``user`` may see (and so change); else 404."""
    task = (
        tasks_visible_to(user)
        .select_related("customer", "assignee", "created_by", "done_by")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise Http404
    return task


def assignable_users(user: User) -> QuerySet[User]:
    """Whom ``user`` may give a task: themself, and a team manager the team's members."""
    return (
        User.objects.filter(Q(pk=user.pk) | Q(pk__in=team_member_ids(user)), is_active=True)
        .distinct()
        .order_by("username")
    )


def task_list(
    *,
    user: User,
    assignee_id: int | None = None,
    status: str = "",
    customer_id: int | None = None,
    due_after: datetime | None = None,
    due_before: datetime | None = None,
) -> QuerySet[Task]:
    queryset = tasks_visible_to(user)
    if assignee_id is not None:
        queryset = queryset.filter(assignee_id=assignee_id)
    if status:
        queryset = queryset.filter(status=status)
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    if due_after is not None:
        queryset = queryset.filter(due_at__gte=due_after)
    if due_before is not None:
        queryset = queryset.filter(due_at__lt=due_before)
    return queryset.select_related("customer", "assignee", "created_by").order_by("due_at", "id")
