"""``/api/v1/cases/``: service cases with their SLA, replies and ratings; the inbound e-mail
webhook that turns a customer's reply into a case message."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from kehu.core.access import require_case_worker
from kehu.core.api import ERROR_RESPONSES, ErrorBody, TokenAuth
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.customers.selectors import channel_given, contact_given, customer_get_for_user
from kehu.service import selectors, services
from kehu.service.api.schemas import (
    READ,
    WRITE,
    CaseAssignIn,
    CaseEmailOut,
    CaseFilterIn,
    CaseIn,
    CaseOut,
    InboundEmailIn,
    PriorityIn,
    RatingIn,
    RatingLinkOut,
    RatingOut,
    ReasonIn,
    ReplyIn,
    TransitionIn,
    product_given,
    user_given,
)
from kehu.service.models import Case, CaseRating

cases_router = Router(tags=["service cases"])
email_router = Router(tags=["integrations"])


def _case(request: AuthenticatedRequest, case_id: int) -> Case:
    return selectors.case_get_for_user(user=request.user, case_id=case_id)


@cases_router.get(
    "/",
    response={200: list[CaseOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="List cases of the customers you may see, newest first",
)
@paginate(KeysetPagination)
def case_list(request: AuthenticatedRequest, filters: Query[CaseFilterIn]) -> object:
    if filters.status and filters.status != "open" and filters.status not in Case.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    return selectors.case_list(
        user=request.user,
        filters=selectors.CaseFilters(
            status=filters.status,
            type=filters.type or "",
            priority=filters.priority or "",
            customer_id=filters.customer_id,
            assigned_to_id=filters.assigned_to_id,
            unassigned=filters.unassigned,
            breached=filters.breached,
            q=filters.q,
        ),
    )


@cases_router.post(
    "/",
    response={201: CaseOut, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Open a case",
    description="Its SLA deadlines are counted in business hours from now, by type and priority.",
)
def case_create(request: AuthenticatedRequest, payload: CaseIn) -> Status[Case]:
    customer = customer_get_for_user(user=request.user, customer_id=payload.customer_id)
    case = services.case_open(
        user=request.user,
        customer=customer,
        type=payload.type,
        priority=payload.priority,
        subject=payload.subject,
        description=payload.description,
        channel=channel_given(payload.channel),
        contact=contact_given(customer, payload.contact_id),
        product=product_given(payload.product_id),
        product_code=payload.product_code,
        product_name=payload.product_name,
        assigned_to=user_given(payload.assigned_to_id, "assigned_to_id"),
    )
    return Status(201, _case(request, case.pk))


@cases_router.get("/{case_id}", response=READ, summary="One case")
def case_detail(request: AuthenticatedRequest, case_id: int) -> Case:
    return _case(request, case_id)


@cases_router.post(
    "/{case_id}/transitions",
    response=WRITE,
    summary="Move a case to another status",
    description=(
        "new → in progress, waiting, resolved; in progress → waiting, resolved; waiting → in "
        "progress, resolved; resolved → closed, in progress (reopen); closed is final. 409 for "
        "other moves. Resolving needs a `resolution`."
    ),
)
def case_transition(request: AuthenticatedRequest, case_id: int, payload: TransitionIn) -> Case:
    case = _case(request, case_id)
    services.case_transition(
        user=request.user,
        case=case,
        to_status=payload.status,
        resolution=payload.resolution,
        note=payload.note,
        customer_summary=payload.customer_summary,
    )
    return _case(request, case_id)


@cases_router.post(
    "/{case_id}/reply",
    response={201: CaseEmailOut, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="E-mail the customer from the case",
    description=(
        "Sent through the configured e-mail backend, with a reply-to address that brings the "
        "customer's answer back to the case; logged on the case and the customer's timeline. "
        "409 if the mail server refuses it (nothing is recorded)."
    ),
)
def case_reply(request: AuthenticatedRequest, case_id: int, payload: ReplyIn) -> Status[Any]:
    email = services.case_reply(
        user=request.user, case=_case(request, case_id), body=payload.body, to=payload.to
    )
    return Status(201, email)


@cases_router.post(
    "/{case_id}/escalate",
    response=WRITE,
    summary="Escalate a case to its supervisors by hand, with a reason",
)
def case_escalate(request: AuthenticatedRequest, case_id: int, payload: ReasonIn) -> Case:
    services.case_escalate_by_hand(
        user=request.user, case=_case(request, case_id), reason=payload.reason
    )
    return _case(request, case_id)


@cases_router.post(
    "/{case_id}/priority",
    response=WRITE,
    summary="Change a case's priority by hand, with a reason",
    description="The SLA deadlines become the new priority's, counted from when it was opened.",
)
def case_priority(request: AuthenticatedRequest, case_id: int, payload: PriorityIn) -> Case:
    services.case_priority_change(
        user=request.user,
        case=_case(request, case_id),
        priority=payload.priority,
        reason=payload.reason,
    )
    return _case(request, case_id)


@email_router.post(
    "/integrations/email",
    auth=TokenAuth(),
    response={201: CaseEmailOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="Receive a customer's e-mail answer (from the mail gateway)",
    description=(
        "For the mail gateway that receives the reply-to address: attaches the text to the case "
        "its signed plus-address names (or, from one of the customer's addresses, the "
        "`[SR-000123]` in the subject). 404 when no case matches. A case waiting on the "
        "customer goes back to in progress. Authenticate with the API token of an integration "
        "account whose role works cases."
    ),
)
def inbound_email(request: AuthenticatedRequest, payload: InboundEmailIn) -> Status[Any]:
    require_case_worker(request.user, _("This token's user may not work service cases."))
    result = services.case_email_receive(
        sender=payload.sender,
        recipients=payload.to,
        subject=payload.subject,
        text=payload.text,
        message_id=payload.message_id,
    )
    if result.email is None:
        raise Http404(_("No case matches this e-mail."))
    return Status(201, result.email)


@cases_router.post("/{case_id}/assign", response=WRITE, summary="Assign a case to an agent")
def case_assign(request: AuthenticatedRequest, case_id: int, payload: CaseAssignIn) -> Case:
    case = _case(request, case_id)
    services.case_assign(
        user=request.user, case=case, assignee=user_given(payload.user_id, "user_id")
    )
    return _case(request, case_id)


@cases_router.get(
    "/{case_id}/rating",
    response={200: RatingOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="The customer's satisfaction with a case (404 until rated)",
)
def case_rating(request: AuthenticatedRequest, case_id: int) -> CaseRating:
    rating = selectors.case_rating_of(_case(request, case_id))
    if rating is None:
        raise Http404
    return rating


@cases_router.post(
    "/{case_id}/rating",
    response={201: RatingOut, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Record the customer's satisfaction, as told to the agent",
    description="Once per case, when it is resolved or closed (409 otherwise).",
)
def case_rate(request: AuthenticatedRequest, case_id: int, payload: RatingIn) -> Status[CaseRating]:
    rating = services.case_rate(
        user=request.user,
        case=_case(request, case_id),
        score=payload.score,
        comment=payload.comment,
    )
    return Status(201, rating)


@cases_router.post(
    "/{case_id}/rating-link",
    response={200: RatingLinkOut, 404: ErrorBody, 409: ErrorBody, **ERROR_RESPONSES},
    summary="The one-time satisfaction link to send to the customer",
    description="For a resolved or closed case without a rating; it works once, for 30 days.",
)
def case_rating_link(request: AuthenticatedRequest, case_id: int) -> dict[str, str]:
    token = services.case_rating_link(user=request.user, case=_case(request, case_id))
    return {"url": request.build_absolute_uri(reverse("public_rating:rate", args=[token]))}
