# Over 500 lines: waits for issue #16's schema changes (branch refa); then an api/ package
# (articles, questions, the public FAQ).
"""``/api/v1/knowledge/``: articles (CRUD with the review workflow), their versions, search and
categories.

Scope: an article outside the reader's view (someone else's draft) answers 404; a write the
user's role does not allow answers 403; a move the status does not allow answers 409.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kehu.accounts.models import User
from kehu.core.access import can_manage_knowledge, can_read_knowledge, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.customers.api.schemas import UserRef
from kehu.customers.selectors import customer_get_for_user
from kehu.knowledge import questions, selectors, services
from kehu.knowledge.models import (
    Article,
    ArticleStatus,
    ArticleVersion,
    Audience,
    Category,
    Expert,
    Question,
    QuestionChannel,
    QuestionStatus,
    Urgency,
)
from kehu.knowledge.rendering import render_markdown
from kehu.sales.models import Product

router = Router(tags=["knowledge base"])

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
    version: int
    published_at: datetime | None
    views: int
    helpful: int
    not_helpful: int
    created_at: datetime
    updated_at: datetime

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


class ArticlePatch(Schema):
    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, max_length=50_000)
    category_id: int | None = None
    tags: list[str] | None = None
    product_ids: list[int] | None = None
    reviewer_ids: list[int] | None = None
    audience: Audience | None = None
    valid_until: date | None = None
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


def _hit(h: selectors.Hit) -> HitOut:
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


def _filters(filters: FilterIn, q: str = "") -> selectors.ArticleFilters:
    return selectors.ArticleFilters(
        q=q,
        category_id=filters.category_id,
        product_id=filters.product_id,
        status=filters.status or "",
        audience=filters.audience or "",
    )


def _article(request: AuthenticatedRequest, article_id: int) -> Article:
    return selectors.article_get_for_user(user=request.user, article_id=article_id)


def _category(category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise ValidationError({"category_id": _("No such category.")})
    return category


def _products(ids: list[int]) -> list[Product]:
    products = list(Product.objects.filter(pk__in=ids))
    if len(products) != len(set(ids)):
        raise ValidationError({"product_ids": _("No such product.")})
    return products


def _users(ids: list[int]) -> list[User]:
    users = list(User.objects.filter(pk__in=ids, is_active=True))
    if len(users) != len(set(ids)):
        raise ValidationError({"reviewer_ids": _("No such user.")})
    return users


@router.get(
    "/articles/",
    response={200: list[ArticleOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="Articles you may read, last changed first",
)
@paginate(KeysetPagination)
def article_list(request: AuthenticatedRequest, filters: Query[FilterIn]) -> object:
    return selectors.article_list(user=request.user, filters=_filters(filters)).prefetch_related(
        "products", "reviewers"
    )


@router.get(
    "/search",
    response={200: list[HitOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="Search the articles you may read",
    description="Every word must match: in the title, a tag or the body; pinyin and initials "
    "match title and tag words. Best first: title over tags over body, then usefulness.",
)
def article_search(request: AuthenticatedRequest, filters: Query[ArticleSearchIn]) -> list[HitOut]:
    hits = selectors.article_search(
        articles=selectors.articles_visible_to(request.user),
        filters=_filters(filters, filters.q),
    )
    return [_hit(h) for h in hits]


@router.post(
    "/articles/",
    response={201: ArticleOut, **WRITE_ERRORS},
    summary="Write a new article (a draft you own)",
)
def article_create(request: AuthenticatedRequest, payload: ArticleIn) -> Status[Article]:
    article = services.article_create(
        user=request.user,
        title=payload.title,
        body=payload.body,
        category=_category(payload.category_id),
        tags=payload.tags,
        products=_products(payload.product_ids),
        reviewers=_users(payload.reviewer_ids),
        audience=payload.audience,
        valid_until=payload.valid_until,
    )
    return Status(201, article)


@router.get("/articles/{article_id}", response={200: ArticleOut, 404: ErrorBody, **ERROR_RESPONSES})
def article_get(request: AuthenticatedRequest, article_id: int) -> Article:
    return _article(request, article_id)


@router.patch(
    "/articles/{article_id}",
    response={200: ArticleOut, **WRITE_ERRORS},
    summary="Change an article; a change is a new version",
)
def article_update(
    request: AuthenticatedRequest, article_id: int, payload: ArticlePatch
) -> Article:
    article = _article(request, article_id)
    sent = payload.model_dump(exclude_unset=True)
    changes = {
        k: sent[k] for k in ("title", "body", "tags", "audience", "valid_until") if k in sent
    }
    if "category_id" in sent:
        changes["category"] = _category(sent["category_id"])
    return services.article_update(
        user=request.user,
        article=article,
        products=_products(sent["product_ids"]) if sent.get("product_ids") is not None else None,
        reviewers=_users(sent["reviewer_ids"]) if sent.get("reviewer_ids") is not None else None,
        note=payload.note,
        **changes,
    )


@router.post("/articles/{article_id}/submit", response={200: ArticleOut, **WRITE_ERRORS})
def article_submit(request: AuthenticatedRequest, article_id: int) -> Article:
    return services.article_submit(user=request.user, article=_article(request, article_id))


@router.post("/articles/{article_id}/publish", response={200: ArticleOut, **WRITE_ERRORS})
def article_publish(request: AuthenticatedRequest, article_id: int) -> Article:
    return services.article_publish(user=request.user, article=_article(request, article_id))


@router.post("/articles/{article_id}/return", response={200: ArticleOut, **WRITE_ERRORS})
def article_return(request: AuthenticatedRequest, article_id: int, payload: ReturnIn) -> Article:
    return services.article_return(
        user=request.user, article=_article(request, article_id), note=payload.note
    )


@router.post("/articles/{article_id}/archive", response={200: ArticleOut, **WRITE_ERRORS})
def article_archive(request: AuthenticatedRequest, article_id: int) -> Article:
    return services.article_archive(user=request.user, article=_article(request, article_id))


@router.get(
    "/articles/{article_id}/versions",
    response={200: list[VersionOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="The article's versions, newest first",
)
def article_versions(request: AuthenticatedRequest, article_id: int) -> list[ArticleVersion]:
    article = _article(request, article_id)
    return list(article.versions.select_related("changed_by"))


@router.get("/categories/", response={200: list[CategoryOut], **ERROR_RESPONSES})
def category_list(request: AuthenticatedRequest) -> list[Category]:
    require(request.user, can_read_knowledge)
    return list(selectors.categories())


@router.post("/categories/", response={201: CategoryOut, **WRITE_ERRORS})
def category_create(request: AuthenticatedRequest, payload: CategoryIn) -> Status[Category]:
    category = services.category_create(
        user=request.user, name=payload.name, parent=_category(payload.parent_id)
    )
    return Status(201, category)


# --- questions and experts --------------------------------------------------------------------


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


def _question(request: AuthenticatedRequest, question_id: int) -> Question:
    return selectors.question_get_for_user(user=request.user, question_id=question_id)


@router.get(
    "/questions/",
    response={200: list[QuestionOut], 422: ErrorBody, **ERROR_RESPONSES},
    summary="Questions you asked or hold as expert (managers: all), newest first",
)
@paginate(KeysetPagination)
def question_list(request: AuthenticatedRequest, filters: Query[QuestionFilterIn]) -> object:
    return selectors.question_list(
        user=request.user, status=filters.status or "", mine=filters.mine
    ).select_related("answered_by")


@router.post("/questions/", response={201: QuestionOut, **WRITE_ERRORS}, summary="Ask a question")
def question_create(request: AuthenticatedRequest, payload: QuestionIn) -> Status[Question]:
    customer = (
        customer_get_for_user(user=request.user, customer_id=payload.customer_id)
        if payload.customer_id
        else None
    )
    product = None
    if payload.product_id is not None:
        product = Product.objects.filter(pk=payload.product_id).first()
        if product is None:
            raise ValidationError({"product_id": _("No such product.")})
    suggestions = (
        selectors.question_suggestions(user=request.user, text=payload.text)
        if payload.check_knowledge
        else []
    )
    question = questions.question_ask(
        user=request.user,
        text=payload.text,
        customer=customer,
        category=_category(payload.category_id),
        product=product,
        urgency=payload.urgency,
        channel=payload.channel,
        suggestions=len(suggestions),
    )
    return Status(201, question)


@router.get(
    "/questions/{question_id}", response={200: QuestionOut, 404: ErrorBody, **ERROR_RESPONSES}
)
def question_get(request: AuthenticatedRequest, question_id: int) -> Question:
    return _question(request, question_id)


@router.get(
    "/questions/{question_id}/suggestions",
    response={200: list[HitOut], 404: ErrorBody, **ERROR_RESPONSES},
    summary="Published articles that may answer the question",
)
def question_suggestions(request: AuthenticatedRequest, question_id: int) -> list[HitOut]:
    question = _question(request, question_id)
    return [_hit(h) for h in selectors.question_suggestions(user=request.user, text=question.text)]


@router.post("/questions/{question_id}/route", response={200: QuestionOut, **WRITE_ERRORS})
def question_route(request: AuthenticatedRequest, question_id: int) -> Question:
    return questions.question_route(user=request.user, question=_question(request, question_id))


@router.post(
    "/questions/{question_id}/answered-from-knowledge",
    response={200: QuestionOut, **WRITE_ERRORS},
    summary="An article answers it: close the question (counted)",
)
def question_from_knowledge(
    request: AuthenticatedRequest, question_id: int, payload: FromKnowledgeIn
) -> Question:
    article = selectors.article_get_for_user(user=request.user, article_id=payload.article_id)
    return questions.question_answered_from_knowledge(
        user=request.user, question=_question(request, question_id), article=article
    )


@router.post("/questions/{question_id}/ask-back", response={200: QuestionOut, **WRITE_ERRORS})
def question_ask_back(request: AuthenticatedRequest, question_id: int, payload: TextIn) -> Question:
    question = _question(request, question_id)
    questions.question_ask_back(user=request.user, question=question, text=payload.text)
    return question


@router.post("/questions/{question_id}/reply", response={200: QuestionOut, **WRITE_ERRORS})
def question_reply(request: AuthenticatedRequest, question_id: int, payload: TextIn) -> Question:
    question = _question(request, question_id)
    questions.question_reply(user=request.user, question=question, text=payload.text)
    return question


@router.post("/questions/{question_id}/hand-over", response={200: QuestionOut, **WRITE_ERRORS})
def question_hand_over(
    request: AuthenticatedRequest, question_id: int, payload: HandOverIn
) -> Question:
    to = User.objects.filter(pk=payload.to_user_id, is_active=True).first()
    if to is None:
        raise ValidationError({"to_user_id": _("No such user.")})
    return questions.question_hand_over(
        user=request.user, question=_question(request, question_id), to=to, note=payload.note
    )


@router.post("/questions/{question_id}/answer", response={200: QuestionOut, **WRITE_ERRORS})
def question_answer(request: AuthenticatedRequest, question_id: int, payload: TextIn) -> Question:
    return questions.question_answer(
        user=request.user, question=_question(request, question_id), text=payload.text
    )


@router.post("/questions/{question_id}/close", response={200: QuestionOut, **WRITE_ERRORS})
def question_close(request: AuthenticatedRequest, question_id: int) -> Question:
    return questions.question_close(user=request.user, question=_question(request, question_id))


@router.post(
    "/questions/{question_id}/article",
    response={201: ArticleOut, **WRITE_ERRORS},
    summary="Turn the expert's answer into a draft article, linked to the question",
)
def question_article(request: AuthenticatedRequest, question_id: int) -> Status[Article]:
    article = questions.question_to_article(
        user=request.user, question=_question(request, question_id)
    )
    return Status(201, article)


@router.get("/experts", response={200: list[ExpertOut], **ERROR_RESPONSES})
def expert_list(request: AuthenticatedRequest) -> list[Expert]:
    require(request.user, can_read_knowledge)
    return list(selectors.experts())


@router.put(
    "/experts/{user_id}",
    response={200: ExpertOut, **WRITE_ERRORS},
    summary="Put a user in the expert directory with topics and availability (managers)",
)
def expert_put(request: AuthenticatedRequest, user_id: int, payload: ExpertIn) -> Expert:
    expert_user = User.objects.filter(pk=user_id, is_active=True).first()
    if expert_user is None:
        raise Http404
    cats = list(Category.objects.filter(pk__in=payload.category_ids))
    if len(cats) != len(set(payload.category_ids)):
        raise ValidationError({"category_ids": _("No such category.")})
    return questions.expert_set(
        user=request.user,
        expert_user=expert_user,
        categories=cats,
        products=_products(payload.product_ids),
        available=payload.available,
    )


@router.get("/gaps", response={200: list[GapOut], **ERROR_RESPONSES})
def knowledge_gaps(request: AuthenticatedRequest) -> list[selectors.Gap]:
    """Topics with repeated questions no article answered (managers)."""
    require(request.user, can_manage_knowledge)
    return selectors.knowledge_gaps()
