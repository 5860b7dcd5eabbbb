"""Intake's HTTP API.

- ``POST /integrations/calls``: the call center's webhook. Only the API token of an integration
  account (``kehu user create --integration``) whose role may log contacts; a person's token
  and the browser session are refused. Ids of customers outside that account's scope are not
  returned, and every event (and every refused attempt) is audited.
- ``GET/POST /forms``, ``GET/PATCH /forms/{id}``: web form definitions (administrators).
- ``POST /forms/{slug}/submit``: public, no token, no CSRF, rate-limited per client address;
  accepts only the form's own fields.
"""

from datetime import datetime
from typing import Any, Literal

import pydantic
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kehu.core.access import (
    Scope,
    can_log_contact,
    policy_for,
    require_account_admin,
)
from kehu.core.api import ERROR_RESPONSES, ErrorBody, TokenAuth
from kehu.core.audit import audit_log
from kehu.core.http import AuthenticatedRequest, client_ip
from kehu.core.models import AuditEvent
from kehu.customers.selectors import customers_visible_to
from kehu.intake import selectors, services
from kehu.intake.models import CallEvent, WebForm
from kehu.intake.ratelimit import rate_limit_hit

FORMS_REFUSED = gettext_lazy("Only administrators may manage web forms.")

calls_router = Router(tags=["integrations"])
forms_router = Router(tags=["web forms"])

# Public submissions: at most this many per client address per window, and this many bytes.
SUBMIT_LIMIT = getattr(settings, "KEHU_FORM_SUBMIT_LIMIT", 10)
SUBMIT_WINDOW = getattr(settings, "KEHU_FORM_SUBMIT_WINDOW", 600)
SUBMIT_MAX_BYTES = 16 * 1024


# --- the call-center webhook ------------------------------------------------------------------


class CallEventIn(Schema):
    call_id: str = Field(..., min_length=1, max_length=100, description="The call center's id")
    caller: str = Field(..., min_length=1, max_length=40, description="Calling number")
    callee: str = Field(..., min_length=1, max_length=40, description="Called number")
    direction: Literal["inbound", "outbound"]
    started_at: datetime
    ended_at: datetime | None = None
    agent: str = Field("", max_length=150, description="Kehu username or the agent's id")
    recording_url: str = Field("", max_length=500)
    ivr_path: str = Field("", max_length=200, description="e.g. 1>3>2")
    notes: str = Field("", max_length=2000)
    product: str = Field(
        "",
        max_length=40,
        description="Code of the product the caller chose in the IVR; lead routing rules by "
        "product read it",
    )


class CallEventOut(Schema):
    call_id: str
    duplicate: bool = Field(description="True when this call id was received before")
    match: str = Field(description="customer, contact or new_lead")
    customer_id: int | None
    interaction_id: int | None
    number: str = Field(description="The customer's number, E.164")


def _call_out(event: CallEvent, *, duplicate: bool, visible: bool) -> CallEventOut:
    return CallEventOut(
        call_id=event.call_id,
        duplicate=duplicate,
        match=event.match,
        customer_id=event.customer_id if visible else None,
        interaction_id=event.interaction_id if visible else None,
        number=event.number,
    )


@calls_router.post(
    "/integrations/calls",
    auth=TokenAuth(),
    response={201: CallEventOut, 200: CallEventOut, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Receive a call event from the call center",
    description=(
        "Matches the customer's number (the caller of an inbound call, the callee of an outbound "
        "one) to a customer or contact phone and logs the call on that customer's timeline, "
        "notifying the owner; an unknown number becomes a lead with channel “call center”, "
        "owned by the lead assignment rules' next user (by the number's region or `product`). "
        "Idempotent on `call_id`: a repeated "
        "delivery answers 200 with the first result and `duplicate: true`. Only the API token of "
        "an integration account (`kehu user create NAME --role service_agent --integration`) "
        "is accepted; `customer_id` and `interaction_id` are null for a customer outside that "
        "account's scope."
    ),
)
def call_event(request: AuthenticatedRequest, payload: CallEventIn) -> Status[CallEventOut]:
    user = request.user
    if not (user.is_integration and can_log_contact(user)):
        audit_log(
            action=AuditEvent.Action.DENIED,
            actor=user,
            request=request,
            object_type="call",
            object_id=payload.call_id[:64],
        )
        raise PermissionDenied(
            _("Only the token of an integration account that may log contacts is accepted.")
        )
    result = services.call_event_receive(**payload.model_dump())
    event = result.event
    visible = event.customer_id is not None and (
        policy_for(user).view is Scope.ALL
        or customers_visible_to(user).filter(pk=event.customer_id).exists()
    )
    audit_log(
        action=AuditEvent.Action.CALL_EVENT,
        actor=user,
        request=request,
        object_type="customer" if event.customer_id else "call",
        object_id=event.customer_id or "",
        detail={"call_id": event.call_id, "match": event.match, "repeat": not result.created},
    )
    return Status(
        201 if result.created else 200,
        _call_out(event, duplicate=not result.created, visible=visible),
    )


# --- web form definitions ---------------------------------------------------------------------


class FormFieldIn(Schema):
    code: str = Field(..., max_length=60, description="Archive field code, or `message`")
    required: bool = False


class FormFieldOut(FormFieldIn):
    label: str


class WebFormIn(Schema):
    slug: str = Field(..., max_length=60)
    title: str = Field(..., max_length=120)
    kind: Literal["person", "organization"] = "person"
    intro: str = ""
    fields: list[FormFieldIn]
    consent_text: str = ""
    consent_purposes: list[str] = []
    thank_you_message: str = ""
    is_active: bool = True
    owner_id: int | None = None
    embed_origins: list[str] = []


class WebFormPatch(Schema):
    slug: str | None = Field(None, max_length=60)
    title: str | None = Field(None, max_length=120)
    kind: Literal["person", "organization"] | None = None
    intro: str | None = None
    fields: list[FormFieldIn] | None = None
    consent_text: str | None = None
    consent_purposes: list[str] | None = None
    thank_you_message: str | None = None
    is_active: bool | None = None
    owner_id: int | None = None
    embed_origins: list[str] | None = None


class WebFormOut(Schema):
    id: int
    slug: str
    title: str
    kind: str
    intro: str
    fields: list[FormFieldOut]
    consent_text: str
    consent_purposes: list[str]
    consent_version: int
    thank_you_message: str
    is_active: bool
    owner_id: int | None
    embed_origins: list[str]
    public_url: str
    submit_url: str


def _form_out(request: HttpRequest, form: WebForm) -> WebFormOut:
    labels = {f.code: str(f.label) for f in selectors.web_form_fields(form)}
    return WebFormOut(
        id=form.pk,
        slug=form.slug,
        title=form.title,
        kind=form.kind,
        intro=form.intro,
        fields=[
            FormFieldOut(code=f["code"], required=f["required"], label=labels.get(f["code"], ""))
            for f in form.fields
        ],
        consent_text=form.consent_text,
        consent_purposes=form.consent_purposes,
        consent_version=form.consent_version,
        thank_you_message=form.thank_you_message,
        is_active=form.is_active,
        owner_id=form.owner_id,
        embed_origins=form.embed_origins,
        public_url=request.build_absolute_uri(form.get_absolute_url()),
        submit_url=request.build_absolute_uri(f"/api/v1/forms/{form.slug}/submit"),
    )


FORM_ERRORS = {404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES}


@forms_router.get(
    "/forms/",
    response={200: list[WebFormOut], **ERROR_RESPONSES},
    summary="Web forms (administrators; not paginated)",
)
def form_list(request: AuthenticatedRequest) -> list[WebFormOut]:
    require_account_admin(request.user, FORMS_REFUSED)
    return [_form_out(request, form) for form in selectors.web_forms_all()]


@forms_router.post(
    "/forms/",
    response={201: WebFormOut, **FORM_ERRORS},
    summary="Define a web form (administrators)",
)
def form_create(request: AuthenticatedRequest, payload: WebFormIn) -> Status[WebFormOut]:
    require_account_admin(request.user, FORMS_REFUSED)
    form = services.web_form_save(user=request.user, **payload.model_dump())
    return Status(201, _form_out(request, form))


@forms_router.get(
    "/forms/{form_id}", response={200: WebFormOut, **FORM_ERRORS}, summary="One web form"
)
def form_detail(request: AuthenticatedRequest, form_id: int) -> WebFormOut:
    require_account_admin(request.user, FORMS_REFUSED)
    return _form_out(request, selectors.web_form_get(form_id=form_id))


@forms_router.patch(
    "/forms/{form_id}",
    response={200: WebFormOut, **FORM_ERRORS},
    summary="Change a web form (administrators)",
    description="A changed consent text becomes a new consent version.",
)
def form_update(request: AuthenticatedRequest, form_id: int, payload: WebFormPatch) -> WebFormOut:
    require_account_admin(request.user, FORMS_REFUSED)
    form = selectors.web_form_get(form_id=form_id)
    current: dict[str, Any] = {
        "slug": form.slug,
        "title": form.title,
        "kind": form.kind,
        "intro": form.intro,
        "fields": form.fields,
        "consent_text": form.consent_text,
        "consent_purposes": form.consent_purposes,
        "thank_you_message": form.thank_you_message,
        "is_active": form.is_active,
        "owner_id": form.owner_id,
        "embed_origins": form.embed_origins,
    }
    changes = payload.model_dump(exclude_unset=True)
    nulls = [name for name, value in changes.items() if value is None and name != "owner_id"]
    if nulls:
        raise ValidationError({name: [_("This field cannot be null.")] for name in nulls})
    form = services.web_form_save(user=request.user, form=form, **{**current, **changes})
    return _form_out(request, form)


# --- the public submission --------------------------------------------------------------------


class SubmitIn(Schema):
    model_config = pydantic.ConfigDict(extra="forbid")

    fields: dict[str, str | list[str]] = Field(
        ..., description='The form\'s fields by code, e.g. {"name": "…", "phones": "…"}'
    )
    consent: bool = Field(False, description="The visitor agreed to the form's consent text")
    campaign: str = Field("", description="The code of the marketing campaign that brought them")


class SubmitOut(Schema):
    message: str


SUBMIT_BODY = {
    "requestBody": {
        "content": {"application/json": {"schema": SubmitIn.model_json_schema()}},
        "required": True,
    }
}


@forms_router.post(
    "/forms/{slug}/submit",
    auth=None,
    response={201: SubmitOut, 404: ErrorBody, 413: ErrorBody, 422: ErrorBody, 429: ErrorBody},
    summary="Submit a web form (public, no token)",
    description=(
        "For a site's own back end or page script. No authentication and no CSRF token; limited "
        "per client address. Only the form's fields are accepted."
    ),
    openapi_extra=SUBMIT_BODY,
)
def form_submit(request: HttpRequest, slug: str) -> Status[SubmitOut]:
    ip = client_ip(request)
    if not rate_limit_hit(scope="form-api", key=ip, limit=SUBMIT_LIMIT, window=SUBMIT_WINDOW):
        raise HttpError(429, "rate limited")
    if int(request.META.get("CONTENT_LENGTH") or 0) > SUBMIT_MAX_BYTES:
        raise HttpError(413, _("The submission is too large."))
    form = selectors.web_form_public_get(slug=slug)
    try:
        payload = SubmitIn.model_validate_json(request.body or b"{}")
    except pydantic.ValidationError as exc:
        raise NinjaValidationError(
            [{**e, "loc": ("body", "payload", *e["loc"])} for e in exc.errors()]
        ) from None
    services.web_form_submit(
        form=form,
        values=payload.fields,
        consent=payload.consent,
        ip_address=ip,
        user_agent=request.headers.get("User-Agent", ""),
        via_api=True,
        campaign_code=payload.campaign,
    )
    return Status(201, SubmitOut(message=form.thank_you_message or _("Thank you!")))
