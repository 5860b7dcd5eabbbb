"""The demo knowledge loads through the services: published articles, experts, every state."""

import pytest

from kehu.accounts.models import Role
from kehu.demo.knowledge import (
    PLAYBOOKS,
    POLICY_ARTICLES,
    PRODUCT_ARTICLES,
    demo_knowledge_load,
)
from kehu.demo.sales import PRODUCTS
from kehu.knowledge import selectors
from kehu.knowledge.models import Article, Question, QuestionStatus
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_demo_knowledge(make_user):
    for code, name, *_rest in PRODUCTS:
        ProductFactory.create(code=code, name=name)
    make_user(Role.ARCHIVE_ADMIN, username="boss")
    agent = make_user(Role.SERVICE_AGENT, username="agent")
    make_user(Role.SALES_REP, username="exp")
    made = demo_knowledge_load(manager="boss", asker="agent", experts={"exp": ["家电"]})
    assert made == len(PRODUCT_ARTICLES) + len(POLICY_ARTICLES) + len(PLAYBOOKS) + 1
    assert Article.objects.filter(stage__code="proposal", status="published").count() == 1
    assert Article.objects.filter(status="published").count() == made - 1
    assert set(Question.objects.values_list("status", flat=True)) == set(QuestionStatus.values)
    assert Question.objects.filter(escalated_at__isnull=False).exists()
    hits = selectors.article_search(
        articles=selectors.articles_visible_to(agent), filters=selectors.ArticleFilters(q="退货")
    )
    assert hits[0].article.title == "退货政策"
    assert demo_knowledge_load(manager="boss", asker="agent", experts={}) == 0  # once
