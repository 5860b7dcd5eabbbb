"""``/api/v1/channels/`` and ``/api/v1/custom-fields/``: what the archive's forms offer.

Everyone signed in reads them (to know the codes); only administrators change them. Both are
short configuration lists and come whole, not paginated.
"""

from ninja import Router, Status

from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.customers import selectors, services
from kehu.customers.api.schemas import (
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    CustomFieldIn,
    CustomFieldOut,
    CustomFieldPatch,
)
from kehu.customers.models import Channel, CustomField

router = Router(tags=["archive settings"])

ERRORS = {404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES}


@router.get(
    "/channels/",
    response={200: list[ChannelOut], **ERROR_RESPONSES},
    summary="Information channels (not paginated)",
)
def channel_list(request: AuthenticatedRequest) -> list[Channel]:
    return list(selectors.channels_all())


@router.post(
    "/channels/",
    response={201: ChannelOut, **ERRORS},
    summary="Add a channel (administrators)",
)
def channel_create(request: AuthenticatedRequest, payload: ChannelIn) -> Status[Channel]:
    channel = services.channel_save(user=request.user, **payload.model_dump())
    return Status(201, channel)


@router.patch(
    "/channels/{channel_id}",
    response={200: ChannelOut, **ERRORS},
    summary="Change a channel (administrators)",
)
def channel_update(
    request: AuthenticatedRequest, channel_id: int, payload: ChannelPatch
) -> Channel:
    channel = selectors.channel_get(channel_id=channel_id)
    current = ChannelIn.model_validate(channel).model_dump()
    data = {**current, **payload.model_dump(exclude_unset=True, exclude_none=True)}
    return services.channel_save(user=request.user, channel=channel, **data)


@router.get(
    "/custom-fields/",
    response={200: list[CustomFieldOut], **ERROR_RESPONSES},
    summary="Custom fields (not paginated)",
)
def custom_field_list(request: AuthenticatedRequest) -> list[CustomField]:
    return list(selectors.custom_fields_all())


@router.post(
    "/custom-fields/",
    response={201: CustomFieldOut, **ERRORS},
    summary="Define a custom field (administrators)",
)
def custom_field_create(
    request: AuthenticatedRequest, payload: CustomFieldIn
) -> Status[CustomField]:
    custom_field = services.custom_field_save(user=request.user, **payload.model_dump())
    return Status(201, custom_field)


@router.patch(
    "/custom-fields/{custom_field_id}",
    response={200: CustomFieldOut, **ERRORS},
    summary="Change a custom field (administrators)",
    description="Its code, type and sensitivity are fixed once it exists.",
)
def custom_field_update(
    request: AuthenticatedRequest, custom_field_id: int, payload: CustomFieldPatch
) -> CustomField:
    custom_field = selectors.custom_field_get(custom_field_id=custom_field_id)
    current = CustomFieldIn.model_validate(custom_field).model_dump()
    data = {**current, **payload.model_dump(exclude_unset=True, exclude_none=True)}
    return services.custom_field_save(user=request.user, custom_field=custom_field, **data)
