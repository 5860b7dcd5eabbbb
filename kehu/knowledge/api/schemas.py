"""The knowledge API's request and response shapes."""

from datetime import date, datetime

from ninja import Field, Schema

from kehu.accounts.models import User
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.customers.api.schemas import UserRef
from kehu.knowledge import selectors
from kehu.knowledge.models import (
    Article,
    ArticleStatus,
    Audience,
    Expert,
    QuestionChannel,
    QuestionStatus,
    Urgency,
)
from kehu.knowledge.rendering import render_markdown
from kehu.sales.models import Product

WRITE_ERRORS: dict[int, type[Schema]] = {
    404: ErrorBody,
    409: ErrorBody,
    422: ErrorBody,
    **ERROR_RESPONSES,
}


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None


class CategoryIn(Schema):
    name: str = Field(max_length=80)
    parent_id: int | None = None


class ProductRef(Schema):
    id: int
    code: str
    name: str


class ArticleOut(Schema):
    id: int
    title: str
    body: str = Field(description="Markdown as written.")
    body_html: str = Field(description="The body rendered to safe HTML.")
    category: CategoryOut | None
    tags: list[str]
    products: list[ProductRef]
    audience: Audience
    status: ArticleStatus
    owner: UserRef
    reviewers: list[UserRef]
    valid_until: date | None
    stage: str | None = Field(description="A playbook for opportunities in this stage (its code).")
    opportunity_id: int | None = Field(description="A win/loss note written from it.")
    version: int
    published_at: datetime | None
    views: int
    helpful: int
    not_helpful: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_stage(obj: Article) -> str | None:
        return obj.stage.code if obj.stage_id and obj.stage else None

    @staticmethod
    def resolve_body_html(obj: Article) -> str:
        return str(render_markdown(obj.body))

    @staticmethod
    def resolve_products(obj: Article) -> list[Product]:
        return list(obj.products.all())

    @staticmethod
    def resolve_reviewers(obj: Article) -> list[User]:
        return list(obj.reviewers.all())


class ArticleIn(Schema):
    title: str = Field(max_length=200)
    body: str = Field(max_length=50_000, description="Markdown; raw HTML is shown as text.")
    category_id: int | None = None
    tags: list[str] = []
    product_ids: list[int] = []
    reviewer_ids: list[int] = []
    audience: Audience = Audience.INTERNAL
    valid_until: date | None = None
    stage: str | None = Field(None, description="The pipeline stage's code: a playbook for it.")


class ArticlePatch(Schema):
    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=50_000)
    category_id: int | None = None
    tags: list[str] | None = None
    product_ids: list[int] | None = None
    reviewer_ids: list[int] | None = None
    audience: Audience | None = None
    valid_until: date | None = None
    stage: str | None = Field(None, description="The pipeline stage's code; null: no playbook.")
    note: str = Field("", max_length=200, description="Why it changed, kept in the history.")


class ReturnIn(Schema):
    note: str = Field("", max_length=200)


class VersionOut(Schema):
    number: int
    title: str
    body: str
    tags: list[str]
    status: ArticleStatus
    changed_fields: list[str]
    note: str
    changed_by: UserRef | None
    changed_at: datetime


class HitOut(Schema):
    id: int
    title: str
    status: ArticleStatus
    audience: Audience
    category: str | None
    tags: list[str]
    score: int
    snippet: str = Field(description="HTML: escaped text with the query words in <mark>.")


class FilterIn(Schema):
    category_id: int | None = None
    product_id: int | None = None
    status: ArticleStatus | None = None
    audience: Audience | None = None


class ArticleSearchIn(FilterIn):
    q: str = Field(max_length=200, description="Words, Chinese or English, pinyin or initials.")


def hit_out(h: selectors.Hit) -> HitOut:
    return HitOut(
        id=h.article.pk,
        title=h.article.title,
        status=ArticleStatus(h.article.status),
        audience=Audience(h.article.audience),
        category=h.article.category.name if h.article.category else None,
        tags=h.article.tags,
        score=h.score,
        snippet=str(h.snippet),
    )


class GapOut(Schema):
    category: str
    product: str
    questions: int


class QuestionOut(Schema):
    id: int
    text: str
    customer_id: int | None
    asker: UserRef
    category_id: int | None
    product_id: int | None
    channel: QuestionChannel
    urgency: Urgency
    status: QuestionStatus
    due_at: datetime
    expert: UserRef | None
    answer: str
    answered_by: UserRef | None
    answered_at: datetime | None
    answered_from_id: int | None = Field(description="The article that answered it, if any.")
    article_id: int | None = Field(description="The article made from the answer, if any.")
    escalated_at: datetime | None
    created_at: datetime


class QuestionIn(Schema):
    text: str = Field(max_length=5000)
    customer_id: int | None = None
    category_id: int | None = None
    product_id: int | None = None
    urgency: Urgency = Urgency.NORMAL
    channel: QuestionChannel = QuestionChannel.OTHER
    check_knowledge: bool = Field(
        True,
        description="Look for matching articles first: with some, the question waits as "
        "`suggested` for the asker; without, it goes to an expert at once.",
    )


class TextIn(Schema):
    text: str = Field(max_length=5000)


class HandOverIn(Schema):
    to_user_id: int
    note: str = Field("", max_length=5000)


class FromKnowledgeIn(Schema):
    article_id: int


class QuestionFilterIn(Schema):
    status: QuestionStatus | None = None
    mine: str = Field("", description="`asked` or `assigned`, or empty for all you may see.")


class ExpertOut(Schema):
    user: UserRef
    category_ids: list[int]
    product_ids: list[int]
    available: bool

    @staticmethod
    def resolve_category_ids(obj: Expert) -> list[int]:
        return [c.pk for c in obj.categories.all()]

    @staticmethod
    def resolve_product_ids(obj: Expert) -> list[int]:
        return [p.pk for p in obj.products.all()]


class ExpertIn(Schema):
    category_ids: list[int] = []
    product_ids: list[int] = []
    available: bool = True
