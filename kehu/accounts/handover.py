"""Handing a user's work to colleagues in one step (交接): when someone leaves or changes
territory, their customers (all, or those matching a filter), open opportunities, open cases,
open tasks and pending follow-up reminders go to one or several colleagues.

Customers are dealt out in turn; what belongs to a handed customer (its opportunities, cases,
tasks, reminders) follows it to the same colleague, and the rest is dealt out in turn as well.
Every owner change goes through the owning app's service, so it is on the customer's timeline
exactly as a one-by-one reassignment is; the handover as a whole is one audit event.
"""

from dataclasses import dataclass, field
from itertools import cycle
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kehu.accounts.models import Handover, Membership, Role, User
from kehu.core.access import can_manage_accounts, managed_team_ids, require
from kehu.core.audit import audit_log
from kehu.core.exceptions import Conflict
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer
from kehu.customers.services import customer_assign
from kehu.interactions.models import Reminder
from kehu.interactions.services import reminders_hand_over
from kehu.sales.models import Opportunity, PipelineStage
from kehu.sales.services import opportunity_update
from kehu.service.models import Case
from kehu.service.services import case_assign
from kehu.tasks.models import Task
from kehu.tasks.services import task_hand_over

# Above this many customers a handover runs in the background (huey) instead of the request.
BACKGROUND_ABOVE = 200
OWNING_ROLES = (Role.SALES_REP, Role.ARCHIVE_ADMIN, Role.ADMIN)


def can_hand_over(user: User, from_user: User) -> bool:
    """Admins hand over anyone's work; a team manager the work of their teams' members."""
    if can_manage_accounts(user):
        return True
    teams = managed_team_ids(user) if user.is_authenticated and user.is_active else []
    return bool(teams) and Membership.objects.filter(team_id__in=teams, user=from_user).exists()


def handover_sources(*, user: User) -> QuerySet[User]:
    """Whose work ``user`` may hand over."""
    if can_manage_accounts(user):
        return User.objects.filter(is_integration=False).order_by("-is_active", "username")
    members = Membership.objects.filter(team_id__in=managed_team_ids(user)).values("user_id")
    return User.objects.filter(pk__in=members).exclude(pk=user.pk).order_by("username")


def handover_recipients(*, user: User) -> QuerySet[User]:
    """To whom ``user`` may hand work: active people who may own customers (for a team
    manager, the members of their teams and themselves)."""
    people = User.objects.filter(is_active=True, is_integration=False).filter(
        Q(role__in=OWNING_ROLES) | Q(is_superuser=True)
    )
    if not can_manage_accounts(user):
        members = Membership.objects.filter(team_id__in=managed_team_ids(user)).values("user_id")
        people = people.filter(Q(pk__in=members) | Q(pk=user.pk))
    return people.order_by("username")


@dataclass
class HandoverScope:
    """What to hand over: ``from_user``'s customers, narrowed by lifecycle stage and grade."""

    from_user: User
    stage: str = ""
    grade: str = ""

    def customers(self) -> QuerySet[Customer]:
        rows = Customer.objects.live().filter(owner=self.from_user)
        if self.stage:
            rows = rows.filter(lifecycle_stage=self.stage)
        if self.grade:
            rows = rows.filter(grade=self.grade)
        return rows.order_by("id")

    @property
    def everything(self) -> bool:
        return not (self.stage or self.grade)

    def opportunities(self) -> QuerySet[Opportunity]:
        rows = Opportunity.objects.filter(
            owner=self.from_user, stage__outcome=PipelineStage.Outcome.OPEN
        )
        if not self.everything:
            rows = rows.filter(customer__in=self.customers())
        return rows.order_by("id")

    def cases(self) -> QuerySet[Case]:
        rows = Case.objects.filter(assigned_to=self.from_user).exclude(
            status__in=[Case.Status.RESOLVED, Case.Status.CLOSED]
        )
        if not self.everything:
            rows = rows.filter(customer__in=self.customers())
        return rows.order_by("id")

    def tasks(self) -> QuerySet[Task]:
        rows = Task.objects.filter(assignee=self.from_user, status=Task.Status.OPEN)
        if not self.everything:
            rows = rows.filter(customer__in=self.customers())
        return rows.order_by("id")

    def reminders(self) -> QuerySet[Reminder]:
        rows = Reminder.objects.filter(
            user=self.from_user, done_at__isnull=True, kind=Reminder.Kind.FOLLOW_UP
        )
        if not self.everything:
            rows = rows.filter(customer__in=self.customers())
        return rows.order_by("id")


def handover_preview(*, scope: HandoverScope) -> dict[str, int]:
    """How many of each kind would move."""
    return {
        "customers": scope.customers().count(),
        "opportunities": scope.opportunities().count(),
        "cases": scope.cases().count(),
        "tasks": scope.tasks().count(),
        "reminders": scope.reminders().count(),
    }


@dataclass
class HandoverResult:
    moved: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("customers", "opportunities", "cases", "tasks", "reminders"), 0
        )
    )
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, kind: str) -> None:
        self.skipped[kind] = self.skipped.get(kind, 0) + 1


def handover_check(*, user: User, scope: HandoverScope, to_users: list[User]) -> None:
    """Refuse a handover ``user`` may not make (PermissionDenied) or that makes no sense
    (ValidationError)."""
    require(
        user,
        lambda u: can_hand_over(u, scope.from_user),
        _("You may hand over only the work of your teams' members."),
    )
    if not to_users:
        raise ValidationError({"to_users": [_("Choose at least one colleague.")]})
    allowed = set(handover_recipients(user=user).values_list("pk", flat=True))
    if any(u.pk not in allowed or u.pk == scope.from_user.pk for u in to_users):
        raise ValidationError(
            {"to_users": [_("Hand over only to other active colleagues who may own customers.")]}
        )


def handover_run(
    *,
    user: User,
    scope: HandoverScope,
    to_users: list[User],
    progress: Any = None,
) -> HandoverResult:
    """Move the work; each item through its app's service (each in its own transaction, so a
    large book commits as it goes and a rerun picks up what is left). ``progress(done, total)``
    is called now and then. Returns the counts moved and skipped."""
    handover_check(user=user, scope=scope, to_users=to_users)
    result = HandoverResult()
    note = _("Handover from %(name)s") % {"name": scope.from_user}
    deal = cycle(to_users)
    receiver_of: dict[int, User] = {}
    # Read everything first: a filter by customer no longer matches once they have moved.
    customers = list(scope.customers())
    opportunities = list(scope.opportunities().select_related("customer"))
    cases = list(scope.cases())
    tasks = list(scope.tasks())
    reminders = list(scope.reminders())
    total = len(customers)
    for done, customer in enumerate(customers, start=1):
        to = next(deal)
        customer_assign(user=user, customer=customer, owner=to, note=note)
        receiver_of[customer.pk] = to
        result.moved["customers"] += 1
        if progress is not None and (done % 50 == 0 or done == total):
            progress(done, total)

    def to_for(customer_id: int | None) -> User:
        return receiver_of.get(customer_id or 0) or next(deal)

    for opportunity in opportunities:
        try:
            opportunity_update(
                user=user,
                opportunity=opportunity,
                data={"owner": to_for(opportunity.customer_id)},
                reason=note,
            )
        except ValidationError:
            result.skip("opportunities")  # the colleague may not change that customer
        else:
            result.moved["opportunities"] += 1
    for case in cases:
        try:
            case_assign(user=user, case=case, assignee=to_for(case.customer_id))
        except (ValidationError, Conflict):
            result.skip("cases")  # the colleague does not work cases
        else:
            result.moved["cases"] += 1
    for task in tasks:
        task_hand_over(user=user, task=task, assignee=to_for(task.customer_id))
        result.moved["tasks"] += 1
    by_receiver: dict[int, list[int]] = {}
    for reminder in reminders:
        by_receiver.setdefault(to_for(reminder.customer_id).pk, []).append(reminder.pk)
    for receiver_id, ids in by_receiver.items():
        result.moved["reminders"] += reminders_hand_over(
            reminder_ids=ids, to_user=User.objects.get(pk=receiver_id)
        )
    audit_log(
        action=AuditEvent.Action.HANDOVER,
        actor=user,
        object_type="accounts.user",
        object_id=scope.from_user.pk,
        detail={
            "from": scope.from_user.username,
            "to": [u.username for u in to_users],
            "filters": {k: v for k, v in (("stage", scope.stage), ("grade", scope.grade)) if v},
            "moved": result.moved,
            "skipped": result.skipped,
        },
    )
    return result


def handover_start(
    *, user: User, scope: HandoverScope, to_users: list[User]
) -> tuple[Handover, bool]:
    """Record a handover to run (checked, with its counts before); returns it and whether it
    should run in the background (a large book)."""
    handover_check(user=user, scope=scope, to_users=to_users)
    counts = handover_preview(scope=scope)
    row = Handover.objects.create(
        from_user=scope.from_user,
        created_by=user,
        stage=scope.stage,
        grade=scope.grade,
        total=counts["customers"],
        preview=counts,
    )
    row.to_users.set(to_users)
    return row, counts["customers"] > BACKGROUND_ABOVE


def handover_execute(*, handover_id: int) -> Handover:
    """Run a recorded handover (idempotent: a handover already done is left alone, and a
    rerun after a failure moves only what is still with the user)."""
    row = Handover.objects.select_related("from_user", "created_by").get(pk=handover_id)
    if row.status == Handover.Status.DONE or row.created_by is None:
        return row
    Handover.objects.filter(pk=row.pk).update(status=Handover.Status.RUNNING)

    def progress(done: int, total: int) -> None:
        Handover.objects.filter(pk=row.pk).update(done=done, total=total)

    scope = HandoverScope(from_user=row.from_user, stage=row.stage, grade=row.grade)
    try:
        result = handover_run(
            user=row.created_by,
            scope=scope,
            to_users=list(row.to_users.order_by("username")),
            progress=progress,
        )
    except Exception as exc:
        Handover.objects.filter(pk=row.pk).update(
            status=Handover.Status.FAILED, error=str(exc)[:2000]
        )
        raise
    row.status = Handover.Status.DONE
    row.done = result.moved["customers"]
    row.moved, row.skipped = result.moved, result.skipped
    row.save(update_fields=["status", "done", "moved", "skipped", "updated_at"])
    return row
