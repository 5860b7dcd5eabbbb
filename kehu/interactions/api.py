"""``/api/v1/interactions/`` and ``/api/v1/reminders/``: the contact history and my reminders.

Interactions are read through ``interactions_visible_to`` (another rep's customer's interaction
is a 404); only the author changes or deletes one (403 for others), deletion within 24 hours.
"""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.core.schemas import ContactRef, CustomerRef, RecordId
from kehu.customers.api.schemas import UserRef
from kehu.customers.selectors import (
    channel_given,
    contact_given,
    customer_get_for_user,
)
from kehu.interactions import selectors, services
from kehu.interactions.models import Interaction, Reminder

router = Router(tags=["interactions"])
reminders_router = Router(tags=["reminders"])


# --- schemas ----------------------------------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str

    @staticmethod
    def resolve_url(obj: Any) -> str:
        from django.urls import reverse

        return reverse("interactions:attachment", args=[obj.pk])


class InteractionOut(Schema):
    id: int
    customer: CustomerRef
    contact: ContactRef | None
    type: Interaction.Type
    direction: Interaction.Direction
    channel: str | None = Field(description="The code of the channel.")
    occurred_at: datetime
    duration_seconds: int | None
    user: UserRef | None = Field(description="Who logged it; null for an integration.")
    summary: str
    outcome: str
    next_follow_up_on: date | None
    next_follow_up_note: str
    follow_up_done_at: datetime | None
    source: Interaction.Source
    attachments: list[AttachmentOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_channel(obj: Interaction) -> str | None:
        return obj.channel.code if obj.channel else None

    @staticmethod
    def resolve_attachments(obj: Interaction) -> list[Any]:
        return list(obj.attachments.all())


class InteractionFilterIn(Schema):
    customer_id: RecordId | None = None
    user_id: RecordId | None = Field(None, description="Who logged it.")
    type: Interaction.Type | None = None
    since: date | None = Field(None, description="On or after this day.")
    until: date | None = Field(None, description="On or before this day.")


class InteractionIn(Schema):
    customer_id: int
    type: Interaction.Type
    summary: str = Field(max_length=10000)
    direction: Interaction.Direction = Interaction.Direction.OUTBOUND
    channel: str = Field("", description="A channel code; facts are recorded with it.")
    contact_id: int | None = None
    occurred_at: datetime | None = Field(None, description="Default: now.")
    duration_seconds: int | None = None
    outcome: str = ""
    next_follow_up_on: date | None = None
    next_follow_up_note: str = Field("", max_length=200)
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="Archive fields learned in this contact, by field code (as in "
        '`PATCH /customers/{id}`), e.g. `{"phones": ["13800138000"]}`.',
    )


class InteractionPatch(Schema):
    type: Interaction.Type | None = None
    direction: Interaction.Direction | None = None
    channel: str | None = None
    contact_id: int | None = None
    occurred_at: datetime | None = None
    duration_seconds: int | None = None
    summary: str | None = Field(None, max_length=10000)
    outcome: str | None = None
    next_follow_up_on: date | None = None
    next_follow_up_note: str | None = Field(None, max_length=200)


class ReminderOut(Schema):
    id: int
    kind: Reminder.Kind
    customer: CustomerRef
    contact: ContactRef | None
    interaction_id: int | None
    due_on: date
    text: str
    done_at: datetime | None


class ReminderFilterIn(Schema):
    kind: Reminder.Kind | None = None
    days_ahead: int = Field(
        0, ge=0, le=31, description="Also those due within this many days after today."
    )


# --- helpers ----------------------------------------------------------------------------------


READ = {200: InteractionOut, 404: ErrorBody, **ERROR_RESPONSES}
WRITE = {200: InteractionOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES}


# --- interactions -----------------------------------------------------------------------------


@router.get(
    "/",
    response={200: list[InteractionOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="List interactions with the customers you may see, newest first",
)
@paginate(KeysetPagination)
def interaction_list(request: AuthenticatedRequest, filters: Query[InteractionFilterIn]) -> object:
    return selectors.interaction_list(
        user=request.user,
        customer_id=filters.customer_id,
        by_user_id=filters.user_id,
        type=filters.type or "",
        since=filters.since,
        until=filters.until,
    ).prefetch_related("attachments")


@router.post(
    "/",
    response={201: InteractionOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Log an interaction",
    description=(
        "With `facts`, the archive fields learned in this contact change in the same step, "
        "recorded with `channel`; a bad fact refuses the whole interaction (422). A "
        "`next_follow_up_on` puts a reminder on your day."
    ),
)
def interaction_create(
    request: AuthenticatedRequest, payload: InteractionIn
) -> Status[Interaction]:
    customer = customer_get_for_user(user=request.user, customer_id=payload.customer_id)
    interaction, _created = services.interaction_log(
        user=request.user,
        customer=customer,
        type=payload.type,
        summary=payload.summary,
        direction=payload.direction,
        channel=channel_given(payload.channel),
        contact=contact_given(customer, payload.contact_id),
        occurred_at=payload.occurred_at,
        duration_seconds=payload.duration_seconds,
        outcome=payload.outcome,
        next_follow_up_on=payload.next_follow_up_on,
        next_follow_up_note=payload.next_follow_up_note,
        facts=payload.facts or None,
    )
    return Status(
        201, selectors.interaction_get_for_user(user=request.user, interaction_id=interaction.pk)
    )


@router.get("/{interaction_id}", response=READ, summary="One interaction")
def interaction_detail(request: AuthenticatedRequest, interaction_id: int) -> Interaction:
    return selectors.interaction_get_for_user(user=request.user, interaction_id=interaction_id)


@router.patch(
    "/{interaction_id}",
    response=WRITE,
    summary="Change an interaction you logged",
    description="Only the given fields change. Only the author may change an interaction (403).",
)
def interaction_update(
    request: AuthenticatedRequest, interaction_id: int, payload: InteractionPatch
) -> Interaction:
    interaction = selectors.interaction_get_for_user(
        user=request.user, interaction_id=interaction_id
    )
    given = payload.model_dump(exclude_unset=True)
    data: dict[str, Any] = {}
    for name, value in given.items():
        if name == "channel":
            data["channel"] = channel_given(value)
        elif name == "contact_id":
            data["contact"] = contact_given(interaction.customer, value)
        elif name in {"summary", "outcome", "next_follow_up_note"}:
            data[name] = value or ""
        elif name in {"type", "direction"} and value is None:
            raise ValidationError({name: [_("This field is required.")]})
        else:
            data[name] = value
    services.interaction_update(user=request.user, interaction=interaction, data=data)
    return selectors.interaction_get_for_user(user=request.user, interaction_id=interaction_id)


@router.delete(
    "/{interaction_id}",
    response={204: None, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Delete an interaction you logged, within 24 hours",
)
def interaction_delete(request: AuthenticatedRequest, interaction_id: int) -> Status[None]:
    interaction = selectors.interaction_get_for_user(
        user=request.user, interaction_id=interaction_id
    )
    services.interaction_delete(user=request.user, interaction=interaction)
    return Status(204, None)


# --- reminders --------------------------------------------------------------------------------


@reminders_router.get(
    "/",
    response={200: list[ReminderOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="Your open reminders: due today and overdue (and ahead with `days_ahead`)",
)
@paginate(KeysetPagination)
def reminder_list(request: AuthenticatedRequest, filters: Query[ReminderFilterIn]) -> object:
    today = timezone.localdate()
    services.reminders_ensure(user=request.user, today=today)
    return selectors.reminders_mine(
        user=request.user, today=today, days_ahead=filters.days_ahead, kind=filters.kind or ""
    )


@reminders_router.post(
    "/{reminder_id}/done",
    response={200: ReminderOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Mark one of your reminders done",
    description="A follow-up's interaction is marked done with it. Others' reminders are 404.",
)
def reminder_done(request: AuthenticatedRequest, reminder_id: int) -> Reminder:
    reminder = selectors.reminder_get_for_user(user=request.user, reminder_id=reminder_id)
    return services.reminder_done(user=request.user, reminder=reminder)
