"""Every write to tasks. The caller fetched the task through ``task_get_for_user`` and the
customer through a scoped customer selector."""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.i18n import in_language_of
from kehu.customers.models import Customer
from kehu.customers.selectors import customers_visible_to
from kehu.interactions.notifications import Topic, notify
from kehu.tasks.models import Task
from kehu.tasks.selectors import assignable_users

EDITABLE_FIELDS = (
    "title",
    "notes",
    "kind",
    "priority",
    "customer",
    "assignee",
    "due_at",
    "remind_minutes_before",
)
MAX_REMIND_MINUTES = 7 * 24 * 60


def _clean(*, user: User, values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    title = (values.get("title") or "").strip()
    if not title:
        errors["title"] = [_("Write what is to be done.")]
    elif len(title) > 200:
        errors["title"] = [_("At most %(n)s characters.") % {"n": 200}]
    if values.get("kind") not in Task.Kind.values:
        errors["kind"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Task.Kind.values)}
        ]
    if values.get("priority") not in Task.Priority.values:
        errors["priority"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Task.Priority.values)}
        ]
    due_at = values.get("due_at")
    if not isinstance(due_at, datetime):
        errors["due_at"] = [_("Enter the date and time it is due.")]
    remind = values.get("remind_minutes_before")
    if not isinstance(remind, int) or not 0 <= remind <= MAX_REMIND_MINUTES:
        errors["remind_minutes_before"] = [_("Enter between 0 minutes and 7 days.")]
    assignee = values.get("assignee")
    if not isinstance(assignee, User) or not assignable_users(user).filter(pk=assignee.pk).exists():
        errors["assignee"] = [_("You may give tasks only to yourself and your team's members.")]
    customer = values.get("customer")
    if (
        isinstance(customer, Customer)
        and isinstance(assignee, User)
        and not customers_visible_to(assignee).filter(pk=customer.pk).exists()
    ):
        errors["customer"] = [_("The assignee cannot see this customer.")]
    return errors


def _notify_assignee(task: Task, by: User) -> None:
    if task.assignee_id == by.pk:
        return
    with in_language_of(task.assignee):
        notify(
            topic=Topic.WORK,
            user=task.assignee,
            text=_("%(by)s gave you a task: %(title)s") % {"by": by, "title": task.title},
            url=reverse("tasks:detail", args=[task.pk]),
        )


@transaction.atomic
def task_create(
    *,
    user: User,
    title: str,
    due_at: datetime,
    assignee: User | None = None,
    customer: Customer | None = None,
    kind: str = Task.Kind.TODO,
    priority: str = Task.Priority.NORMAL,
    notes: str = "",
    remind_minutes_before: int = 30,
) -> Task:
    """A task for ``assignee`` (default: ``user``); someone else's assignee is notified."""
    values: dict[str, Any] = {
        "title": title,
        "notes": notes,
        "kind": kind,
        "priority": priority,
        "customer": customer,
        "assignee": assignee or user,
        "due_at": due_at,
        "remind_minutes_before": remind_minutes_before,
    }
    errors = _clean(user=user, values=values)
    if errors:
        raise ValidationError(errors)
    task = Task.objects.create(
        **values | {"title": title.strip(), "notes": notes.strip()}, created_by=user
    )
    _notify_assignee(task, user)
    return task


@transaction.atomic
def task_update(*, user: User, task: Task, data: dict[str, Any]) -> Task:
    """Change some of ``EDITABLE_FIELDS``; a new due time is reminded again, a new assignee
    notified."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    values = {name: getattr(task, name) for name in EDITABLE_FIELDS} | data
    errors = _clean(user=user, values=values)
    if "assignee" not in data and "assignee" in errors:
        # Someone outside the assignee's team (e.g. its former manager) may still reschedule.
        del errors["assignee"]
    if errors:
        raise ValidationError(errors)
    new_assignee = "assignee" in data and data["assignee"].pk != task.assignee_id
    if "due_at" in data and data["due_at"] != task.due_at:
        task.reminded_at = None
    for name, value in data.items():
        setattr(task, name, value.strip() if isinstance(value, str) else value)
    task.save()
    if new_assignee:
        _notify_assignee(task, user)
    return task


@transaction.atomic
def task_done(*, user: User, task: Task) -> Task:
    """Mark the task done; whoever gave it is told when someone else did it."""
    if task.status == Task.Status.DONE:
        return task
    task.status = Task.Status.DONE
    task.done_at = timezone.now()
    task.done_by = user
    task.save(update_fields=["status", "done_at", "done_by", "updated_at"])
    creator = task.created_by
    if creator is not None and creator.pk != user.pk and creator.is_active:
        with in_language_of(creator):
            notify(
                topic=Topic.WORK,
                user=creator,
                text=_("%(by)s did the task: %(title)s") % {"by": user, "title": task.title},
                url=reverse("tasks:detail", args=[task.pk]),
            )
    return task


@transaction.atomic
def task_reopen(*, user: User, task: Task) -> Task:
    task.status = Task.Status.OPEN
    task.done_at = None
    task.done_by = None
    task.save(update_fields=["status", "done_at", "done_by", "updated_at"])
    return task


def tasks_remind_due(*, now: datetime) -> int:
    """Notify assignees of open tasks whose reminder time (due time minus the lead) has come;
    each task once per due time. Tasks more than a day overdue are not reminded. Returns how
    many were notified. Idempotent, safe when two workers run it."""
    candidates = (
        Task.objects.filter(
            status=Task.Status.OPEN,
            reminded_at__isnull=True,
            due_at__gt=now - timedelta(days=1),
            due_at__lte=now + timedelta(minutes=MAX_REMIND_MINUTES),
        )
        .select_related("assignee", "customer")
        .order_by("due_at")
    )
    sent = 0
    for task in candidates:
        if task.due_at - timedelta(minutes=task.remind_minutes_before) > now:
            continue
        with transaction.atomic():
            # claim it: a second worker finds it reminded already
            claimed = Task.objects.filter(pk=task.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed or not task.assignee.is_active:
                continue
            with in_language_of(task.assignee):
                when = timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M")
                text = _("Due %(when)s: %(title)s") % {"when": when, "title": task.title}
                if task.customer is not None:
                    text = f"{text} · {task.customer.name}"
                notify(
                    topic=Topic.WORK,
                    user=task.assignee,
                    text=text,
                    url=reverse("tasks:detail", args=[task.pk]),
                )
            sent += 1
    return sent


@transaction.atomic
def task_hand_over(*, user: User, task: Task, assignee: User) -> Task:
    """Give an open task to ``assignee`` as part of a handover (the caller checked it may hand
    over); the new assignee is notified as for any new task."""
    if task.assignee_id == assignee.pk:
        return task
    task.assignee = assignee
    task.save(update_fields=["assignee", "updated_at"])
    _notify_assignee(task, user)
    return task
