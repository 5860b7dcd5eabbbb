"""The service API's request and response shapes, and the reading of the ids they hold."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema

from kehu.accounts.models import User
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.schemas import ContactRef, CustomerRef
from kehu.customers.api.schemas import UserRef
from kehu.sales.models import Product
from kehu.service import selectors, services
from kehu.service.models import Case, CaseRating, CaseType, Feedback, Priority


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


def user_given(user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationError({field: [_("No such user.")]})
    return user


def product_given(product_id: int | None) -> Product | None:
    if product_id is None:
        return None
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise ValidationError({"product_id": [_("No such product.")]})
    return product
