"""Writes for questions to experts (问题研究中心): ask, route, ask back, hand over, answer,
close, turn an answer into an article, escalate lapsed ones.

Routing: an available expert for the question's product, else for its category (and its
parent category), else a generalist (an expert without topics); round robin among equals (the
one assigned longest ago, or never, first); with no expert, a knowledge manager (archive
administrator or admin) takes it. Each step notifies the person who has to act, through
``kehu.interactions``' notifications.
"""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.core.access import can_ask_questions, can_manage_knowledge
from kehu.core.exceptions import Conflict
from kehu.customers.models import Customer
from kehu.interactions.models import Interaction
from kehu.interactions.notifications import Topic, notify
from kehu.interactions.services import interaction_log
from kehu.knowledge import services
from kehu.knowledge.models import (
    WAITING,
    Article,
    Category,
    Expert,
    Question,
    QuestionChannel,
    QuestionMessage,
    QuestionStatus,
    Urgency,
)
from kehu.sales.models import Product

# SLA: hours from asking to answer, by urgency.
SLA_HOURS = {Urgency.URGENT: 2, Urgency.HIGH: 8, Urgency.NORMAL: 24, Urgency.LOW: 72}


def _require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise PermissionDenied(message or _("You do not have permission to do this."))


def _clean_text(text: str, field: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > 5000:
        raise ValidationError({field: _("At most %(n)s characters.") % {"n": 5000}})
    return text


def managers() -> list[User]:
    """Knowledge managers, the fallback for questions no expert covers."""
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(role__in=[Role.ARCHIVE_ADMIN, Role.ADMIN]) | Q(is_superuser=True))
        .order_by("id")
    )


def expert_for(question: Question, *, exclude: set[int] | frozenset[int] = frozenset()) -> User:
    """The user the question goes to (locks the chosen expert's row for the round robin)."""
    pool = (
        Expert.objects.select_for_update(of=("self",))
        .filter(available=True, user__is_active=True)
        .exclude(user_id__in=exclude)
    )
    tiers = []
    if question.product_id:
        tiers.append(Q(products=question.product_id))
    if question.category_id:
        tiers.append(Q(categories=question.category_id))
        if question.category and question.category.parent_id:
            tiers.append(Q(categories=question.category.parent_id))
    # Generalists: experts without topics take what no specialist covers.
    tiers.append(Q(categories__isnull=True, products__isnull=True))
    for tier in tiers:
        expert = (
            pool.filter(tier)
            .order_by(F("last_assigned_at").asc(nulls_first=True), "id")
            .select_related("user")
            .first()
        )
        if expert is not None:
            expert.last_assigned_at = timezone.now()
            expert.save(update_fields=["last_assigned_at", "updated_at"])
            return expert.user
    fallback = [m for m in managers() if m.pk not in exclude] or managers()
    if not fallback:
        raise Conflict(_("Nobody can take this question: there is no expert and no manager."))
    return fallback[0]


def _assign(question: Question, expert: User, *, by: User | None) -> None:
    question.expert = expert
    question.assigned_at = timezone.now()
    question.status = QuestionStatus.WITH_EXPERT
    question.save()
    notify(
        topic=Topic.KNOWLEDGE,
        user=expert,
        text=_("A question for you: %(text)s") % {"text": question.text[:120]},
        url=question.get_absolute_url(),
    )


@transaction.atomic
def question_ask(
    *,
    user: User,
    text: str,
    customer: Customer | None = None,
    category: Category | None = None,
    product: Product | None = None,
    urgency: str = Urgency.NORMAL,
    channel: str = QuestionChannel.OTHER,
    suggestions: int = 0,
) -> Question:
    """Record a question. With ``suggestions`` (matching articles shown to the asker) it waits
    for the asker to say whether one answers it; else it goes to an expert at once."""
    _require(can_ask_questions(user), _("Your role may not ask questions."))
    if urgency not in Urgency.values:
        raise ValidationError({"urgency": _("Choose an urgency.")})
    if channel not in QuestionChannel.values:
        raise ValidationError({"channel": _("Choose a channel.")})
    now = timezone.now()
    question = Question.objects.create(
        text=_clean_text(text, "text"),
        customer=customer,
        asker=user,
        category=category,
        product=product,
        urgency=urgency,
        channel=channel,
        status=QuestionStatus.SUGGESTED if suggestions else QuestionStatus.OPEN,
        due_at=now + timedelta(hours=SLA_HOURS[Urgency(urgency)]),
    )
    if not suggestions:
        _assign(question, expert_for(question, exclude={user.pk}), by=user)
    return question


def _lock(question: Question) -> Question:
    return (
        Question.objects.select_for_update(of=("self",))
        .select_related("category")
        .get(pk=question.pk)
    )


@transaction.atomic
def question_route(*, user: User, question: Question) -> Question:
    """The asker found no answer among the suggestions: send it to an expert."""
    question = _lock(question)
    _require(question.asker_id == user.pk or can_manage_knowledge(user))
    if question.status not in (QuestionStatus.OPEN, QuestionStatus.SUGGESTED):
        raise Conflict(_("This question is with an expert already."))
    _assign(question, expert_for(question, exclude={question.asker_id}), by=user)
    return question


@transaction.atomic
def question_answered_from_knowledge(
    *, user: User, question: Question, article: Article
) -> Question:
    """An article answers the question: close it, counted as answered from knowledge."""
    question = _lock(question)
    _require(question.asker_id == user.pk or can_manage_knowledge(user))
    if question.status not in WAITING:
        raise Conflict(_("This question is answered already."))
    now = timezone.now()
    question.answered_from = article
    question.answer = article.title
    question.answered_at = question.closed_at = now
    question.status = QuestionStatus.CLOSED
    question.save()
    services.article_rate(article=article, helpful=True)
    return question


def _may_work(user: User, question: Question) -> bool:
    return question.expert_id == user.pk or can_manage_knowledge(user)


@transaction.atomic
def question_ask_back(*, user: User, question: Question, text: str) -> QuestionMessage:
    """The expert needs more: ask the asker."""
    _require(_may_work(user, question), _("Only the question's expert may do this."))
    if question.status != QuestionStatus.WITH_EXPERT:
        raise Conflict(_("This question is not with an expert."))
    message = QuestionMessage.objects.create(
        question=question, author=user, kind=QuestionMessage.Kind.ASK_BACK,
        text=_clean_text(text, "text"),
    )  # fmt: skip
    notify(
        topic=Topic.KNOWLEDGE,
        user=question.asker,
        text=_("%(expert)s asks about your question: %(text)s")
        % {"expert": user, "text": message.text[:120]},
        url=question.get_absolute_url(),
    )
    return message


@transaction.atomic
def question_reply(*, user: User, question: Question, text: str) -> QuestionMessage:
    """The asker answers the expert's question back."""
    _require(question.asker_id == user.pk, _("Only the asker may reply."))
    if question.status != QuestionStatus.WITH_EXPERT or question.expert is None:
        raise Conflict(_("This question is not with an expert."))
    message = QuestionMessage.objects.create(
        question=question, author=user, kind=QuestionMessage.Kind.REPLY,
        text=_clean_text(text, "text"),
    )  # fmt: skip
    notify(
        topic=Topic.KNOWLEDGE,
        user=question.expert,
        text=_("%(asker)s replied: %(text)s") % {"asker": user, "text": message.text[:120]},
        url=question.get_absolute_url(),
    )
    return message


@transaction.atomic
def question_hand_over(*, user: User, question: Question, to: User, note: str = "") -> Question:
    """Pass the question to another expert (or a manager)."""
    question = _lock(question)
    _require(_may_work(user, question), _("Only the question's expert may do this."))
    if question.status != QuestionStatus.WITH_EXPERT:
        raise Conflict(_("This question is not with an expert."))
    if not (Expert.objects.filter(user=to).exists() or can_manage_knowledge(to)):
        raise ValidationError({"to": _("Hand over to an expert or a knowledge manager.")})
    QuestionMessage.objects.create(
        question=question, author=user, kind=QuestionMessage.Kind.HAND_OVER,
        text=note.strip()[:5000] or str(to),
    )  # fmt: skip
    _assign(question, to, by=user)
    return question


@transaction.atomic
def question_answer(*, user: User, question: Question, text: str) -> Question:
    """Answer: the asker is told, and the answer goes on the customer's timeline."""
    question = _lock(question)
    _require(_may_work(user, question), _("Only the question's expert may answer."))
    if question.status not in WAITING:
        raise Conflict(_("This question is answered already."))
    question.answer = _clean_text(text, "answer")
    question.answered_by = user
    question.answered_at = timezone.now()
    question.status = QuestionStatus.ANSWERED
    question.save()
    if question.customer is not None:
        interaction_log(
            user=None,
            customer=question.customer,
            type=Interaction.Type.OTHER,
            direction=Interaction.Direction.OUTBOUND,
            summary=_("Question answered by %(expert)s — Q: %(q)s — A: %(a)s")
            % {"expert": user, "q": question.text[:500], "a": question.answer[:2000]},
            source=Interaction.Source.SYSTEM,
            external_id=f"knowledge-question-{question.pk}",
        )
    notify(
        topic=Topic.KNOWLEDGE,
        user=question.asker,
        text=_("Your question has an answer: %(text)s") % {"text": question.text[:120]},
        url=question.get_absolute_url(),
    )
    return question


@transaction.atomic
def question_close(*, user: User, question: Question) -> Question:
    question = _lock(question)
    _require(question.asker_id == user.pk or can_manage_knowledge(user))
    if question.status == QuestionStatus.CLOSED:
        raise Conflict(_("This question is closed already."))
    question.status = QuestionStatus.CLOSED
    question.closed_at = timezone.now()
    question.save()
    return question


@transaction.atomic
def question_to_article(*, user: User, question: Question) -> Article:
    """A draft article pre-filled from the question and its answer, linked to the question."""
    question = _lock(question)
    _require(_may_work(user, question) or question.answered_by_id == user.pk)
    if not question.answer or question.answered_from_id:
        raise Conflict(_("Only an expert's answer can become an article."))
    if question.article_id:
        raise Conflict(_("An article was made from this answer already."))
    first_line = question.text.strip().splitlines()[0]
    article = services.article_create(
        user=user,
        title=first_line[:200],
        body=f"**{_('Question')}**\n\n{question.text}\n\n**{_('Answer')}**\n\n{question.answer}",
        category=question.category,
        products=[question.product] if question.product else [],
    )
    question.article = article
    question.save(update_fields=["article", "updated_at"])
    return article


def questions_escalate(*, now: datetime | None = None) -> int:
    """Escalate questions past their due time to the knowledge managers, once; idempotent."""
    now = now or timezone.now()
    count = 0
    lapsed = Question.objects.filter(status__in=WAITING, due_at__lt=now, escalated_at__isnull=True)
    for question_id in lapsed.values_list("id", flat=True):
        with transaction.atomic():
            question = Question.objects.select_for_update().get(pk=question_id)
            if question.escalated_at is not None or question.status not in WAITING:
                continue
            question.escalated_at = now
            question.save(update_fields=["escalated_at", "updated_at"])
            QuestionMessage.objects.create(question=question, kind=QuestionMessage.Kind.ESCALATED)
            for manager in managers():
                notify(
                    topic=Topic.KNOWLEDGE,
                    user=manager,
                    text=_("A question is past its due time: %(text)s")
                    % {"text": question.text[:120]},
                    url=question.get_absolute_url(),
                )
            count += 1
    return count


@transaction.atomic
def expert_set(
    *,
    user: User,
    expert_user: User,
    categories: list[Category],
    products: list[Product],
    available: bool = True,
) -> Expert:
    """Put a user in the expert directory, or change their topics and availability."""
    _require(can_manage_knowledge(user), _("Only knowledge managers edit the expert directory."))
    expert, _created = Expert.objects.get_or_create(user=expert_user)
    expert.available = available
    expert.save()
    expert.categories.set(categories)
    expert.products.set(products)
    return expert


@transaction.atomic
def expert_availability(*, user: User, available: bool) -> Expert:
    """An expert marks themselves (un)available (on leave, busy)."""
    expert = Expert.objects.filter(user=user).first()
    if expert is None:
        raise PermissionDenied(_("You are not in the expert directory."))
    expert.available = available
    expert.save(update_fields=["available", "updated_at"])
    return expert
