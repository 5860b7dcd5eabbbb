# Over 500 lines: waits for issue #16's schema and access changes (branch refa); then an api/
# package like kehu/sales/api (cases, ratings, feedback, settings).
"""``/api/v1/cases/`` and ``/api/v1/feedback/``: service cases with their SLA and satisfaction,
and customer feedback (客户知识).

Scope: a case or a piece of feedback is visible exactly when its customer is (404 otherwise, as
for customers). Leaders and marketers read; working cases needs a case-working role (403).
A move the case's status does not allow is 409; so is rating a case twice.
"""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.accounts.models import User
from kehu.core.access import require_case_worker
from kehu.core.api import ERROR_RESPONSES, ErrorBody, TokenAuth
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.core.schemas import ContactRef, CustomerRef
from kehu.customers.api.schemas import UserRef
from kehu.customers.selectors import (
    channel_given,
    contact_given,
    customer_get_for_user,
)
from kehu.sales.models import Product
from kehu.service import selectors, services
from kehu.service.models import Case, CaseRating, CaseType, Feedback, Priority

cases_router = Router(tags=["service cases"])
feedback_router = Router(tags=["customer feedback"])
email_router = Router(tags=["integrations"])


# --- schemas ----------------------------------------------------------------------------------


class CaseOut(Schema):
    id: int
    number: str = Field(description="SR- and the id, for people.")
    customer: CustomerRef
    contact: ContactRef | None
    type: CaseType
    priority: Priority
    channel: str | None = Field(description="The code of the channel it came through.")
    subject: str
    description: str
    product_id: int | None = Field(description="The catalogue's product, if it is listed.")
    product_code: str
    product_name: str
    status: Case.Status
    allowed_transitions: list[Case.Status] = Field(description="Statuses it may move to now.")
    assigned_to: UserRef | None
    opened_by: UserRef | None
    resolution: str
    customer_summary: str
    response_due_at: datetime = Field(description="SLA: first response due (business hours).")
    resolution_due_at: datetime = Field(
        description="SLA: resolution due; moves on by the business time spent waiting."
    )
    first_response_at: datetime | None
    response_breached: bool
    resolution_breached: bool
    waiting_since: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    escalated_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_channel(obj: Case) -> str | None:
        return obj.channel.code if obj.channel else None

    @staticmethod
    def resolve_allowed_transitions(obj: Case) -> list[str]:
        return list(services.TRANSITIONS[obj.status])

    @staticmethod
    def resolve_response_breached(obj: Case) -> bool:
        return selectors.sla_breaches(obj, now=timezone.now())[0]

    @staticmethod
    def resolve_resolution_breached(obj: Case) -> bool:
        return selectors.sla_breaches(obj, now=timezone.now())[1]


class CaseFilterIn(Schema):
    status: str = Field(
        "", description="A status, or `open` for new, in progress and waiting on customer."
    )
    type: CaseType | None = None
    priority: Priority | None = None
    customer_id: int | None = None
    assigned_to_id: int | None = None
    unassigned: bool = False
    breached: bool | None = Field(None, description="Open cases past a running SLA deadline.")
    q: str = Field("", description="Part of the subject, description or customer name.")


class CaseIn(Schema):
    customer_id: int
    type: CaseType
    priority: Priority = Priority.NORMAL
    subject: str = Field(max_length=200)
    description: str = Field(max_length=10000)
    channel: str = Field("", description="A channel code.")
    contact_id: int | None = None
    product_id: int | None = Field(None, description="A catalogue product; sets code and name.")
    product_code: str = Field("", max_length=60)
    product_name: str = Field("", max_length=200)
    assigned_to_id: int | None = Field(None, description="Default: nobody (the shared queue).")


class TransitionIn(Schema):
    status: Case.Status
    resolution: str = Field("", max_length=10000, description="Needed to resolve; internal.")
    note: str = Field("", max_length=10000)
    customer_summary: str | None = Field(
        None, max_length=10000, description="What the customer reads; never the internal notes."
    )


class ReplyIn(Schema):
    body: str = Field(min_length=1, max_length=10000)
    to: str = Field("", description="One of the customer's addresses; default: the first.")


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=500)


class PriorityIn(Schema):
    priority: Priority
    reason: str = Field(min_length=1, max_length=500)


class CaseEmailOut(Schema):
    id: int
    case_id: int
    direction: str
    from_address: str
    to_address: str
    subject: str
    body: str
    at: datetime


class InboundEmailIn(Schema):
    sender: str = Field(alias="from", max_length=500)
    to: list[str] = Field(min_length=1, max_length=50)
    subject: str = Field("", max_length=1000)
    text: str = Field("", max_length=100000)
    message_id: str = Field("", max_length=300)


class CaseAssignIn(Schema):
    user_id: int | None = Field(description="null: back to the unassigned queue.")


class RatingIn(Schema):
    score: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)


class RatingOut(Schema):
    case_id: int
    score: int
    comment: str
    source: CaseRating.Source
    rated_by: UserRef | None
    created_at: datetime


class RatingLinkOut(Schema):
    url: str = Field(description="One-time link for the customer, valid 30 days.")


class FeedbackOut(Schema):
    id: int
    customer: CustomerRef
    kind: Feedback.Kind
    case_id: int | None
    product_id: int | None
    product_code: str
    product_name: str
    satisfaction: int | None
    lifecycle_opinion: str
    understands_product: bool | None
    preferences: str
    market_type: str
    question_type: str
    content: str
    solution: str
    recorded_by: UserRef | None
    created_at: datetime


class FeedbackFilterIn(Schema):
    kind: Feedback.Kind | None = None
    question_type: Feedback.QuestionType | None = None
    product: str = Field("", description="A product code, or part of a product's name.")
    customer_id: int | None = None
    q: str = Field("", description="Searches content, solution, preferences, market, product.")


class FeedbackIn(Schema):
    customer_id: int
    kind: Feedback.Kind
    content: str = Field(max_length=10000)
    product_id: int | None = Field(None, description="A catalogue product; sets code and name.")
    product_code: str = Field("", max_length=60)
    product_name: str = Field("", max_length=200)
    satisfaction: int | None = Field(None, ge=1, le=5)
    lifecycle_opinion: Feedback.LifecycleOpinion | None = None
    understands_product: bool | None = None
    preferences: str = Field("", max_length=10000)
    market_type: str = Field("", max_length=60)
    question_type: Feedback.QuestionType | None = None
    solution: str = Field("", max_length=10000)
    case_id: int | None = None


class ProductReportOut(Schema):
    product_code: str
    product_name: str
    comments: int
    average_satisfaction: float | None
    scores: dict[int, int]
    understands: int
    understands_known: int
    lifecycle: dict[str, int]
    cases: int
    open_cases: int
    complaints: int
    average_case_rating: float | None


class ProductReportFilterIn(Schema):
    since: date | None = Field(None, description="Only feedback and cases from this day on.")


READ = {200: CaseOut, 404: ErrorBody, **ERROR_RESPONSES}
WRITE = {200: CaseOut, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES}


# --- helpers ----------------------------------------------------------------------------------


def _user(user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationError({field: [_("No such user.")]})
    return user


def _product(product_id: int | None) -> Product | None:
    if product_id is None:
        return None
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise ValidationError({"product_id": [_("No such product.")]})
    return product


def _case(request: AuthenticatedRequest, case_id: int) -> Case:
    return selectors.case_get_for_user(user=request.user, case_id=case_id)


# --- cases ------------------------------------------------------------------------------------


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
        product=_product(payload.product_id),
        product_code=payload.product_code,
        product_name=payload.product_name,
        assigned_to=_user(payload.assigned_to_id, "assigned_to_id"),
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
    services.case_assign(user=request.user, case=case, assignee=_user(payload.user_id, "user_id"))
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


# --- feedback ---------------------------------------------------------------------------------


@feedback_router.get(
    "/",
    response={200: list[FeedbackOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="Search feedback on the customers you may see, newest first",
)
@paginate(KeysetPagination)
def feedback_list(request: AuthenticatedRequest, filters: Query[FeedbackFilterIn]) -> object:
    return selectors.feedback_list(
        user=request.user,
        filters=selectors.FeedbackFilters(
            kind=filters.kind or "",
            question_type=filters.question_type or "",
            product=filters.product,
            customer_id=filters.customer_id,
            q=filters.q,
        ),
    )


@feedback_router.post(
    "/",
    response={201: FeedbackOut, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody, **ERROR_RESPONSES},
    summary="Record customer feedback",
    description=(
        "A product comment names a product and may give satisfaction 1–5, a life-cycle "
        "opinion, whether the customer understands how it works and preferences; a market "
        "comment names the market type; a question has a type and may have a solution."
    ),
)
def feedback_create(request: AuthenticatedRequest, payload: FeedbackIn) -> Status[Feedback]:
    customer = customer_get_for_user(user=request.user, customer_id=payload.customer_id)
    case = None
    if payload.case_id is not None:
        case = selectors.cases_visible_to(request.user).filter(pk=payload.case_id).first()
        if case is None:
            raise ValidationError({"case_id": [_("No such case.")]})
    row = services.feedback_record(
        user=request.user,
        customer=customer,
        kind=payload.kind,
        content=payload.content,
        product=_product(payload.product_id),
        product_code=payload.product_code,
        product_name=payload.product_name,
        satisfaction=payload.satisfaction,
        lifecycle_opinion=payload.lifecycle_opinion or "",
        understands_product=payload.understands_product,
        preferences=payload.preferences,
        market_type=payload.market_type,
        question_type=payload.question_type or "",
        solution=payload.solution,
        case=case,
    )
    return Status(201, selectors.feedback_get_for_user(user=request.user, feedback_id=row.pk))


@feedback_router.get(
    "/products",
    response={200: list[ProductReportOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="Feedback and cases per product",
)
def feedback_products(
    request: AuthenticatedRequest, filters: Query[ProductReportFilterIn]
) -> list[Any]:
    return selectors.product_report(user=request.user, since=filters.since)


@feedback_router.get(
    "/{feedback_id}",
    response={200: FeedbackOut, 404: ErrorBody, **ERROR_RESPONSES},
    summary="One piece of feedback",
)
def feedback_detail(request: AuthenticatedRequest, feedback_id: int) -> Feedback:
    return selectors.feedback_get_for_user(user=request.user, feedback_id=feedback_id)
