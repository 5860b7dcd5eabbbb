"""Tasks (待办): to-dos with a due time, planned calls and visits, for oneself or assigned by a
team manager."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel


class TaskKind(models.TextChoices):
    TODO = "todo", _("To-do")
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")


class TaskPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class Task(TimeStampedModel):
    Kind = TaskKind
    Priority = TaskPriority
    Status = TaskStatus

    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=8, choices=TaskKind.choices, default=TaskKind.TODO
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
        verbose_name=_("customer"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="tasks",
        verbose_name=_("assignee"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    due_at = models.DateTimeField(_("due"))
    remind_minutes_before = models.PositiveIntegerField(_("remind before (minutes)"), default=30)
    # When the reminder before the due time went out; a task is reminded once per due time.
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("done by"),
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"]),
            models.Index(fields=["status", "reminded_at", "due_at"]),
            models.Index(fields=["customer", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=TaskKind.values), name="tasks_task_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=TaskPriority.values),
                name="tasks_task_priority_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=TaskStatus.values), name="tasks_task_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title
