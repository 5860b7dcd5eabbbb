"""``/api/v1/knowledge/questions/`` and ``/experts``: customer questions routed to experts, their
answers, and the expert register."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from kehu.accounts.models import User
from kehu.core.access import can_manage_knowledge, can_read_knowledge, require
from kehu.core.api import ERROR_RESPONSES, ErrorBody
from kehu.core.http import AuthenticatedRequest
from kehu.core.pagination import KeysetPagination
from kehu.customers.selectors import customer_get_for_user
from kehu.knowledge import questions, selectors
from kehu.knowledge.api.articles import category_given, products_given
from kehu.knowledge.api.schemas import (
    WRITE_ERRORS,
    ArticleOut,
    ExpertIn,
    ExpertOut,
    FromKnowledgeIn,
    GapOut,
    HandOverIn,
    HitOut,
    QuestionFilterIn,
    QuestionIn,
    QuestionOut,
    TextIn,
    hit_out,
)
from kehu.knowledge.models import (
    Article,
    Category,
    Expert,
    Question,
)
from kehu.sales.models import Product

router = Router(tags=["knowledge base"])


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
        category=category_given(payload.category_id),
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
    return [
        hit_out(h) for h in selectors.question_suggestions(user=request.user, text=question.text)
    ]


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
        products=products_given(payload.product_ids),
        available=payload.available,
    )


@router.get("/gaps", response={200: list[GapOut], **ERROR_RESPONSES})
def knowledge_gaps(request: AuthenticatedRequest) -> list[selectors.Gap]:
    """Topics with repeated questions no article answered (managers)."""
    require(request.user, can_manage_knowledge)
    return selectors.knowledge_gaps()
