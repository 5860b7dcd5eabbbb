"""``/api/v1/knowledge/``: articles (CRUD with the review workflow), their versions, search,
categories and the knowledge gaps."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from kehu.accounts.models import User
from kehu.core.access import can_read_knowledge, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.knowledge import selectors, services
from kehu.knowledge.api.schemas import (
    WRITE_ERRORS,
    ArticleIn,
    ArticleOut,
    ArticlePatch,
    ArticleSearchIn,
    CategoryIn,
    CategoryOut,
    FilterIn,
    HitOut,
    ReturnIn,
    VersionOut,
    hit_out,
)
from kehu.knowledge.models import (
    Article,
    ArticleVersion,
    Category,
)
from kehu.sales.models import PipelineStage, Product

router = Router(tags=["knowledge base"])


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


def category_given(category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise ValidationError({"category_id": _("No such category.")})
    return category


def products_given(ids: list[int]) -> list[Product]:
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
    return [hit_out(h) for h in hits]


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
        category=category_given(payload.category_id),
        tags=payload.tags,
        products=products_given(payload.product_ids),
        reviewers=_users(payload.reviewer_ids),
        audience=payload.audience,
        valid_until=payload.valid_until,
        stage=stage_given(payload.stage),
    )
    return Status(201, article)


def stage_given(code: str | None) -> PipelineStage | None:
    if not code:
        return None
    stage = PipelineStage.objects.filter(code=code).first()
    if stage is None:
        raise ValidationError({"stage": [_("No such pipeline stage.")]})
    return stage


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
        changes["category"] = category_given(sent["category_id"])
    if "stage" in sent:
        changes["stage"] = stage_given(sent["stage"])
    return services.article_update(
        user=request.user,
        article=article,
        products=products_given(sent["product_ids"])
        if sent.get("product_ids") is not None
        else None,
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
        user=request.user, name=payload.name, parent=category_given(payload.parent_id)
    )
    return Status(201, category)
