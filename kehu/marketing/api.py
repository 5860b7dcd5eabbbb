"""``/api/v1/campaigns``: campaigns (plan, launch, finish, costs, messages, test e-mail), their
members, sends and responses, the results and the channel comparison; the SMS provider's
delivery-report webhook.

Marketers and admins write; leaders read; a rep or agent reads only the members assigned to
them (and records their contacts and responses). Anyone else: 404 for a campaign.
"""

import hmac
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kehu.core.access import can_view_campaigns, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.marketing import selectors, services
from kehu.marketing.models import Campaign, CampaignMember, MessageTemplate, Response, Send

router = Router(tags=["campaigns"])

READ_REFUSED = "Only marketers, leaders and administrators read campaign results."


class CampaignIn(Schema):
    name: str
    starts_on: date
    ends_on: date
    channels: list[str] = Field(..., min_length=1)
    objective: str = ""
    budget: Decimal = Decimal(0)
    control_percent: int = 0
    attribution: str = Campaign.Attribution.LAST_TOUCH
    attribution_days: int = 30
    segment_ids: list[int] = []
    cross_sell_rule_id: int | None = None
    code: str = ""
    track_responses: bool = False


class CampaignPatch(Schema):
    name: str | None = None
    objective: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    budget: Decimal | None = None
    channels: list[str] | None = None
    control_percent: int | None = None
    attribution: str | None = None
    attribution_days: int | None = None
    segment_ids: list[int] | None = None
    cross_sell_rule_id: int | None = None
    status: str | None = None
    track_responses: bool | None = None


class CampaignOut(Schema):
    id: int
    name: str
    code: str
    objective: str
    owner_id: int
    starts_on: date
    ends_on: date
    budget: Decimal
    status: str
    channels: list[str]
    control_percent: int
    attribution: str
    attribution_days: int
    segment_ids: list[int]
    cross_sell_rule_id: int | None
    launched_at: datetime | None
    finished_at: datetime | None
    audience_count: int
    member_count: int
    control_count: int
    exclusions: dict[str, int]
    track_responses: bool
    scheduled_at: datetime | None

    @staticmethod
    def resolve_segment_ids(obj: Campaign) -> list[int]:
        return [s.pk for s in obj.segments.all()]


class CampaignCostIn(Schema):
    item: str
    amount: Decimal
    channel: str = ""
    incurred_on: date | None = None


class CampaignCostOut(Schema):
    id: int
    item: str
    amount: Decimal
    channel: str
    incurred_on: date


class CampaignTemplateIn(Schema):
    channel: str
    language: str
    subject: str = ""
    body: str


class CampaignTemplateOut(Schema):
    id: int
    channel: str
    language: str
    subject: str
    body: str


class CampaignTestSendIn(Schema):
    to: str
    language: str = MessageTemplate.Language.ZH_HANS


class CampaignMessageOut(Schema):
    message: str


class CampaignMemberOut(Schema):
    id: int
    campaign_id: int
    customer_id: int
    customer_name: str = Field(..., alias="customer.name")
    group: str
    excluded_reason: str
    assigned_to_id: int | None


class CampaignMemberFilter(Schema):
    group: str = ""
    mine: bool = False


class CampaignSendOut(Schema):
    id: int
    member_id: int
    channel: str
    status: str
    attempts: int
    error: str
    sent_at: datetime | None
    outcome: str
    interaction_id: int | None


class CampaignResponseIn(Schema):
    kind: str
    channel: str = ""
    note: str = ""
    at: datetime | None = None


class CampaignResponseOut(Schema):
    id: int
    member_id: int
    kind: str
    channel: str
    at: datetime
    note: str


class CampaignContactIn(Schema):
    channel: str
    outcome: str
    note: str = ""
    response: str = ""


class CampaignAssignIn(Schema):
    agent_ids: list[int] = Field(..., min_length=1)


class CampaignAssignOut(Schema):
    assigned: int


class CampaignFiguresOut(Schema):
    label: str
    members: int
    reached: int
    responded: int
    converted: int
    orders: int
    revenue: Decimal
    cost: Decimal
    response_rate: float | None
    conversion_rate: float | None
    cost_per_response: Decimal | None
    roi: Decimal | None


class CampaignProgressOut(Schema):
    total: int
    queued: int
    sent: int
    failed: int
    skipped: int
    percent: int


class CampaignResultsOut(Schema):
    campaign_id: int
    total: CampaignFiguresOut
    channels: dict[str, CampaignFiguresOut]
    responses: dict[str, int]
    target_buy_rate: float | None
    control_buy_rate: float | None
    control_members: int
    lift: float | None
    bounced: int
    web_submissions: int
    web_leads: int
    computed_at: datetime | None = Field(None, description="When these figures were computed")
    stale: bool = Field(
        False,
        description="The campaign changed since, or the figures are over ten minutes "
        "old: newer ones are being computed in the background",
    )
    progress: CampaignProgressOut


class CampaignScheduleIn(Schema):
    at: datetime | None = Field(..., description="When to launch; null takes the schedule back")


class CampaignDeliveryReportIn(Schema):
    id: str = Field(..., description="The provider's message id")
    delivered: bool
    error: str = ""
    permanent: bool = Field(
        False, description="Not delivered for good (no such number): a hard bounce"
    )


class CampaignEmailBounceIn(Schema):
    send_id: int | None = Field(None, description="The X-Kehu-Send header of the e-mail")
    address: str = Field("", description="The recipient, when the send id is not known")
    hard: bool = Field(..., description="A permanent failure (no such mailbox)")
    reason: str = ""


class CampaignDeliveryReportOut(Schema):
    updated: int


def _read(request: AuthenticatedRequest, campaign_id: int) -> Campaign:
    campaign = selectors.campaign_get_for_user(user=request.user, campaign_id=campaign_id)
    require(request.user, can_view_campaigns, READ_REFUSED)
    return campaign


@router.get("/", response={200: list[CampaignOut], **ERROR_RESPONSES}, summary="Campaigns")
@paginate(KeysetPagination)
def campaign_list(request: AuthenticatedRequest, status: str = "") -> Any:
    rows = selectors.campaigns_visible_to(request.user).prefetch_related("segments")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-id")


@router.post(
    "/",
    response={201: CampaignOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Plan a campaign (a draft)",
)
def campaign_create(request: AuthenticatedRequest, payload: CampaignIn) -> Status[Campaign]:
    return Status(201, services.campaign_create(user=request.user, **payload.dict()))


@router.get(
    "/channels",
    response={200: list[CampaignFiguresOut], **ERROR_RESPONSES},
    summary="Channel comparison over every launched campaign",
)
def channel_comparison(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    require(request.user, can_view_campaigns, READ_REFUSED)
    return [f.as_dict() for f in selectors.channel_comparison(user=request.user)]


def _require_bearer(request: HttpRequest, setting: str) -> None:
    """A provider's webhook call carries ``Authorization: Bearer <token>`` with the token of
    ``KEHU_MARKETING[setting]``; 401 otherwise, and always while no token is configured."""
    expected = str(settings.KEHU_MARKETING[setting])
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HttpError(401, "not_authenticated")


@router.post(
    "/sms/reports",
    auth=None,
    response={200: CampaignDeliveryReportOut, 401: ErrorBody, 422: ErrorBody},
    summary="SMS delivery report (the provider's webhook)",
    description="Authenticated by `Authorization: Bearer KEHU_SMS_WEBHOOK_TOKEN`.",
)
def sms_delivery_report(request: HttpRequest, payload: CampaignDeliveryReportIn) -> dict[str, int]:
    _require_bearer(request, "webhook_token")
    updated = services.delivery_report(
        provider_id=payload.id,
        delivered=payload.delivered,
        error=payload.error,
        permanent=payload.permanent,
    )
    return {"updated": updated}


@router.post(
    "/email/reports",
    auth=None,
    response={200: CampaignDeliveryReportOut, 401: ErrorBody, 422: ErrorBody},
    summary="E-mail bounce report (the mail provider's webhook)",
    description="Authenticated by `Authorization: Bearer KEHU_EMAIL_WEBHOOK_TOKEN`.",
)
def email_bounce_report(request: HttpRequest, payload: CampaignEmailBounceIn) -> dict[str, int]:
    _require_bearer(request, "email_webhook_token")
    updated = services.email_bounce(
        send_id=payload.send_id, address=payload.address, hard=payload.hard, reason=payload.reason
    )
    return {"updated": updated}


@router.get(
    "/{campaign_id}",
    response={200: CampaignOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="A campaign",
)
def campaign_get(request: AuthenticatedRequest, campaign_id: int) -> Campaign:
    return _read(request, campaign_id)


@router.patch(
    "/{campaign_id}",
    response={200: CampaignOut, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Change a campaign not launched yet",
)
def campaign_update(
    request: AuthenticatedRequest, campaign_id: int, payload: CampaignPatch
) -> Campaign:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    data = payload.dict(exclude_unset=True)
    return services.campaign_update(user=request.user, campaign=campaign, data=data)


@router.post(
    "/{campaign_id}/launch",
    response={200: CampaignOut, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Launch: snapshot the audience, hold out the control group, queue the messages",
)
def campaign_launch(request: AuthenticatedRequest, campaign_id: int) -> Campaign:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    return services.campaign_launch(user=request.user, campaign=campaign)


@router.post(
    "/{campaign_id}/schedule",
    response={200: CampaignOut, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Schedule the launch at a date and time (null: take the schedule back)",
)
def campaign_schedule(
    request: AuthenticatedRequest, campaign_id: int, payload: CampaignScheduleIn
) -> Campaign:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    return services.campaign_schedule(user=request.user, campaign=campaign, at=payload.at)


@router.post(
    "/{campaign_id}/finish",
    response={200: CampaignOut, 404: ErrorBody, 409: ErrorBody, **ERROR_RESPONSES},
    summary="Finish a running campaign (what is still queued is not sent)",
)
def campaign_finish(request: AuthenticatedRequest, campaign_id: int) -> Campaign:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    return services.campaign_finish(user=request.user, campaign=campaign)


@router.post(
    "/{campaign_id}/costs",
    response={201: CampaignCostOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Add an item of actual cost",
)
def cost_add(
    request: AuthenticatedRequest, campaign_id: int, payload: CampaignCostIn
) -> Status[Any]:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    return Status(
        201, services.campaign_cost_add(user=request.user, campaign=campaign, **payload.dict())
    )


@router.put(
    "/{campaign_id}/templates",
    response={200: CampaignTemplateOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Write the e-mail or SMS in one language (merge fields: {{ name }}…)",
)
def template_save(
    request: AuthenticatedRequest, campaign_id: int, payload: CampaignTemplateIn
) -> Any:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    return services.template_save(user=request.user, campaign=campaign, **payload.dict())


@router.post(
    "/{campaign_id}/test-send",
    response={200: CampaignMessageOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Send the e-mail once to a test address",
)
def test_send(request: AuthenticatedRequest, campaign_id: int, payload: CampaignTestSendIn) -> Any:
    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    services.email_test_send(
        user=request.user, campaign=campaign, language=payload.language, to=payload.to
    )
    return {"message": "sent"}


@router.post(
    "/{campaign_id}/call-list",
    response={
        200: CampaignAssignOut,
        404: ErrorBody,
        409: ErrorBody,
        422: ErrorBody,
        **ERROR_RESPONSES,
    },
    summary="Split the unassigned target members among reps or agents",
)
def call_list(request: AuthenticatedRequest, campaign_id: int, payload: CampaignAssignIn) -> Any:
    from kehu.accounts.models import User

    campaign = selectors.campaign_get_to_manage(user=request.user, campaign_id=campaign_id)
    agents = list(User.objects.filter(pk__in=payload.agent_ids))
    n = services.call_list_assign(user=request.user, campaign=campaign, agents=agents)
    return {"assigned": n}


@router.get(
    "/{campaign_id}/members",
    response={200: list[CampaignMemberOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="Members (a rep or agent: only those assigned to them)",
)
@paginate(KeysetPagination)
def member_list(
    request: AuthenticatedRequest, campaign_id: int, filters: Query[CampaignMemberFilter]
) -> Any:
    campaign = selectors.campaign_get_for_user(user=request.user, campaign_id=campaign_id)
    return selectors.members_for_user(
        user=request.user, campaign=campaign, group=filters.group, assigned_only=filters.mine
    )


@router.get(
    "/{campaign_id}/sends",
    response={200: list[CampaignSendOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="Contacts made (e-mails, SMS, calls…) and their status",
)
@paginate(KeysetPagination)
def send_list(request: AuthenticatedRequest, campaign_id: int, status: str = "") -> Any:
    campaign = _read(request, campaign_id)
    rows = Send.objects.filter(campaign=campaign)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("id")


@router.get(
    "/{campaign_id}/results",
    response={200: CampaignResultsOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Reached, responded, converted, revenue, cost, ROI, lift; by channel",
)
def results(request: AuthenticatedRequest, campaign_id: int) -> dict[str, Any]:
    campaign = _read(request, campaign_id)
    found = selectors.campaign_results(campaign)
    progress = selectors.send_progress(campaign)
    return {
        "campaign_id": campaign.pk,
        "total": found.total.as_dict(),
        "channels": {k: f.as_dict() for k, f in found.channels.items()},
        "responses": found.responses,
        "target_buy_rate": found.target_buy_rate,
        "control_buy_rate": found.control_buy_rate,
        "control_members": found.control_members,
        "lift": found.lift,
        "bounced": found.bounced,
        "web_submissions": found.web_submissions,
        "web_leads": found.web_leads,
        "computed_at": found.computed_at,
        "stale": found.stale,
        "progress": {**progress.__dict__, "percent": progress.percent},
    }


@router.post(
    "/members/{member_id}/responses",
    response={201: CampaignResponseOut, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Record a member's response",
)
def response_add(
    request: AuthenticatedRequest, member_id: int, payload: CampaignResponseIn
) -> Status[Response]:
    member = selectors.member_get_for_user(user=request.user, member_id=member_id)
    return Status(201, services.response_record(user=request.user, member=member, **payload.dict()))


@router.post(
    "/members/{member_id}/contacts",
    response={
        201: CampaignSendOut,
        404: ErrorBody,
        409: ErrorBody,
        422: ErrorBody,
        **ERROR_RESPONSES,
    },
    summary="Log a call, letter, invitation or message to a member (on the timeline)",
)
def contact_add(
    request: AuthenticatedRequest, member_id: int, payload: CampaignContactIn
) -> Status[Send]:
    member: CampaignMember = selectors.member_get_for_user(user=request.user, member_id=member_id)
    return Status(201, services.contact_log(user=request.user, member=member, **payload.dict()))
