"""``/api/v1/tasks``: tasks of the signed-in user, those they gave, and (for a team manager) the
team's. Another user's task is a 404; a customer the user cannot see is a 404 too."""

from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.accounts.models import User
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.customers.api.schemas import UserRef
from kehu.customers.selectors import customer_get_for_user
from kehu.tasks import selectors, services
from kehu.tasks.models import Task, TaskKind, TaskPriority, TaskStatus

router = Router(tags=["tasks"])


class TaskCustomerRef(Schema):
    id: int
    name: str


class TaskOut(Schema):
    id: int
    title: str
    notes: str
    kind: TaskKind
    priority: TaskPriority
    status: TaskStatus
    customer: TaskCustomerRef | None
    assignee: UserRef
    created_by: UserRef | None
    due_at: datetime
    remind_minutes_before: int
    done_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TaskIn(Schema):
    title: str = Field(max_length=200)
    due_at: datetime
    kind: TaskKind = Task.Kind.TODO
    priority: TaskPriority = Task.Priority.NORMAL
    customer_id: int | None = None
    assignee_id: int | None = Field(
        None, description="Default: you. A team manager may give tasks to the team's members."
    )
    notes: str = ""
    remind_minutes_before: int = Field(30, ge=0, le=7 * 24 * 60)


class TaskPatch(Schema):
    title: str | None = Field(None, max_length=200)
    notes: str | None = None
    kind: TaskKind | None = None
    priority: TaskPriority | None = None
    assignee_id: int | None = None
    due_at: datetime | None = None
    due_on: date | None = Field(
        None, description="Move the task to this day at the same time of day (the calendar)."
    )
    remind_minutes_before: int | None = Field(None, ge=0, le=7 * 24 * 60)


class TaskFilterIn(Schema):
    status: TaskStatus | None = None
    assignee_id: int | None = None
    customer_id: int | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None


def _assignee(assignee_id: int | None, default: User) -> User:
    if assignee_id is None:
        return default
    assignee = User.objects.filter(pk=assignee_id).first()
    if assignee is None:
        raise ValidationError({"assignee_id": [_("No such user.")]})
    return assignee


ONE = {200: TaskOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES}


@router.get(
    "/",
    response={200: list[TaskOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="List tasks you may see, by due time",
)
@paginate(KeysetPagination)
def task_list(request: AuthenticatedRequest, filters: Query[TaskFilterIn]) -> object:
    return selectors.task_list(
        user=request.user,
        assignee_id=filters.assignee_id,
        status=filters.status or "",
        customer_id=filters.customer_id,
        due_after=filters.due_after,
        due_before=filters.due_before,
    )


@router.post(
    "/",
    response={201: TaskOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Add a task",
    description="Someone else's assignee is notified.",
)
def task_create(request: AuthenticatedRequest, payload: TaskIn) -> Status[Task]:
    customer = (
        customer_get_for_user(user=request.user, customer_id=payload.customer_id)
        if payload.customer_id is not None
        else None
    )
    task = services.task_create(
        user=request.user,
        title=payload.title,
        due_at=payload.due_at,
        assignee=_assignee(payload.assignee_id, request.user),
        customer=customer,
        kind=payload.kind,
        priority=payload.priority,
        notes=payload.notes,
        remind_minutes_before=payload.remind_minutes_before,
    )
    return Status(201, selectors.task_get_for_user(user=request.user, task_id=task.pk))


@router.get("/{task_id}", response={200: TaskOut, 404: ErrorBody, **ERROR_RESPONSES})
def task_detail(request: AuthenticatedRequest, task_id: int) -> Task:
    return selectors.task_get_for_user(user=request.user, task_id=task_id)


@router.patch("/{task_id}", response=ONE, summary="Change or reschedule a task")
def task_update(request: AuthenticatedRequest, task_id: int, payload: TaskPatch) -> Task:
    task = selectors.task_get_for_user(user=request.user, task_id=task_id)
    data: dict[str, Any] = {}
    for name, value in payload.model_dump(exclude_unset=True).items():
        if value is None and name not in {"notes"}:
            raise ValidationError({name: [_("This field is required.")]})
        if name == "assignee_id":
            data["assignee"] = _assignee(value, request.user)
        elif name == "due_on":
            at = timezone.localtime(task.due_at).time()
            data["due_at"] = timezone.make_aware(datetime.combine(value, time(at.hour, at.minute)))
        else:
            data[name] = (value or "") if name == "notes" else value
    services.task_update(user=request.user, task=task, data=data)
    return selectors.task_get_for_user(user=request.user, task_id=task_id)


@router.post("/{task_id}/done", response={200: TaskOut, 404: ErrorBody, **ERROR_RESPONSES})
def task_done(request: AuthenticatedRequest, task_id: int) -> Task:
    task = selectors.task_get_for_user(user=request.user, task_id=task_id)
    return services.task_done(user=request.user, task=task)


@router.post("/{task_id}/reopen", response={200: TaskOut, 404: ErrorBody, **ERROR_RESPONSES})
def task_reopen(request: AuthenticatedRequest, task_id: int) -> Task:
    task = selectors.task_get_for_user(user=request.user, task_id=task_id)
    return services.task_reopen(user=request.user, task=task)
