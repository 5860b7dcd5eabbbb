"""Questions to experts: routing by topic and availability, SLA escalation with frozen time,
ask back / hand over / answer, answer on the timeline, answer → article, knowledge gaps."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from kehu.accounts.models import Role
from kehu.core.exceptions import Conflict
from kehu.customers import services as customer_services
from kehu.interactions.models import Interaction, Notification
from kehu.knowledge import questions, selectors
from kehu.knowledge.models import Category, Expert, QuestionMessage, QuestionStatus
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def product(db):
    return ProductFactory.create(code="AC-01", name="变频空调")


@pytest.fixture
def topic(db):
    root = Category.objects.create(name="产品知识")
    return Category.objects.create(name="空调", parent=root)


@pytest.fixture
def experts(make_user, archivist, product, topic):
    made = []
    for name in ("exp1", "exp2"):
        user = make_user(Role.SERVICE_AGENT, username=name)
        made.append(questions.expert_set(
            user=archivist, expert_user=user, categories=[topic], products=[product]
        ).user)  # fmt: skip
    return made


@pytest.fixture
def customer(rep):
    return customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})


def ask(user, **kwargs):
    kwargs.setdefault("text", "空调外机漏水怎么处理？")
    return questions.question_ask(user=user, **kwargs)


def test_round_robin_among_experts_of_the_product(agent, experts, product):
    assigned = [ask(agent, product=product).expert.username for _ in range(4)]
    assert assigned == ["exp1", "exp2", "exp1", "exp2"]
    assert Notification.objects.filter(user=experts[0]).count() == 2


def test_unavailable_expert_skipped_and_parent_category_matches(agent, experts, make_user, topic):
    questions.expert_availability(user=experts[0], available=False)
    assert ask(agent, category=topic).expert == experts[1]
    child = Category.objects.create(name="中央空调", parent=topic.parent)
    # no expert for the sibling category, but the parent's expert? none set: manager fallback
    assert ask(agent, category=child).expert.role == Role.ARCHIVE_ADMIN


def test_no_expert_goes_to_a_manager(agent, archivist):
    question = ask(agent)
    assert question.expert == archivist
    assert question.status == QuestionStatus.WITH_EXPERT


def test_with_suggestions_waits_for_the_asker(agent, experts, product, make_article):
    article = make_article("空调漏水处理", "检查排水管。")
    question = ask(agent, product=product, suggestions=1)
    assert question.status == QuestionStatus.SUGGESTED
    assert question.expert is None
    question = questions.question_answered_from_knowledge(
        user=agent, question=question, article=article
    )
    assert question.status == QuestionStatus.CLOSED
    assert question.answered_from == article
    other = ask(agent, product=product, suggestions=1)
    questions.question_route(user=agent, question=other)
    other.refresh_from_db()
    assert other.status == QuestionStatus.WITH_EXPERT


def test_ask_back_reply_hand_over_answer(agent, experts, product, customer, rep):
    question = ask(agent, product=product, customer=customer, urgency="high")
    first, second = experts
    assert question.expert == first
    with pytest.raises(PermissionDenied):
        questions.question_answer(user=second, question=question, text="答")
    questions.question_ask_back(user=first, question=question, text="哪个型号？")
    questions.question_reply(user=agent, question=question, text="KFR-35")
    questions.question_hand_over(user=first, question=question, to=second, note="他更熟")
    question.refresh_from_db()
    assert question.expert == second
    questions.question_answer(user=second, question=question, text="检查排水管是否堵塞。")
    question.refresh_from_db()
    assert question.status == QuestionStatus.ANSWERED
    kinds = list(question.messages.values_list("kind", flat=True))
    assert kinds == ["ask_back", "reply", "hand_over"]
    logged = Interaction.objects.get(customer=customer)
    assert "检查排水管是否堵塞" in logged.summary
    assert Notification.objects.filter(user=agent, text__contains="answer").exists()
    with pytest.raises(Conflict):
        questions.question_answer(user=second, question=question, text="再答")


def test_answer_becomes_a_draft_article_once(agent, experts, product, topic):
    question = ask(agent, product=product, category=topic)
    questions.question_answer(user=experts[0], question=question, text="检查排水管。")
    article = questions.question_to_article(user=experts[0], question=question)
    assert article.status == "draft"
    assert article.owner == experts[0]
    assert "检查排水管" in article.body
    assert "漏水" in article.body
    assert list(article.products.all()) == [product]
    assert article.category == topic
    with pytest.raises(Conflict):
        questions.question_to_article(user=experts[0], question=question)


def test_sla_escalation_with_frozen_time(agent, experts, product, archivist):
    with time_machine.travel(NOON, tick=False):
        urgent = ask(agent, product=product, urgency="urgent")
        normal = ask(agent, product=product, urgency="normal")
    assert urgent.due_at == NOON + dt.timedelta(hours=2)
    with time_machine.travel(NOON + dt.timedelta(hours=3), tick=False):
        assert questions.questions_escalate() == 1
        assert questions.questions_escalate() == 0  # once
    urgent.refresh_from_db()
    assert urgent.escalated_at == NOON + dt.timedelta(hours=3)
    assert QuestionMessage.objects.filter(question=urgent, kind="escalated").count() == 1
    assert Notification.objects.filter(user=archivist, text__contains="past its due").count() == 1
    with time_machine.travel(NOON + dt.timedelta(hours=25), tick=False):
        questions.question_answer(user=experts[1], question=normal, text="答")
        assert questions.questions_escalate() == 0  # answered in time for the check


def test_repeated_questions_on_a_topic_are_gaps(agent, experts, product, topic):
    for _ in range(3):
        ask(agent, product=product, category=topic)
    ask(agent)
    gaps = selectors.knowledge_gaps()
    assert [(g.category, g.product, g.questions) for g in gaps] == [("空调", "变频空调", 3)]


def test_only_managers_edit_the_directory_and_leaders_cannot_ask(leader, agent):
    with pytest.raises(PermissionDenied):
        questions.expert_set(user=agent, expert_user=agent, categories=[], products=[])
    with pytest.raises(PermissionDenied):
        ask(leader)
    assert not Expert.objects.exists()
