"""Sales knowledge: playbooks per pipeline stage or product shown on the opportunities they
fit, and win/loss notes written from closed opportunities into the same knowledge base."""

from decimal import Decimal

import pytest

from kehu.customers.tests.factories import make_person
from kehu.knowledge import services as knowledge
from kehu.knowledge.models import Article
from kehu.sales import services as sales
from kehu.sales.models import PipelineStage
from kehu.sales.services import LineInput
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def stage(code):
    return PipelineStage.objects.get(code=code)


@pytest.fixture
def tea(db):
    return ProductFactory.create(code="TEA-01", name="龙井礼盒", list_price=Decimal("99.00"))


@pytest.fixture
def deal(rep, tea):
    customer = make_person(rep, "李娜")
    opportunity = sales.opportunity_create(
        user=rep, customer=customer, name="年度茶礼", amount=Decimal("9900")
    )
    sales.opportunity_products_set(
        user=rep, opportunity=opportunity, lines=[LineInput(tea, Decimal(100))]
    )
    sales.opportunity_move(user=rep, opportunity=opportunity, stage=stage("proposal"))
    opportunity.refresh_from_db()
    return opportunity


def test_playbooks_of_the_stage_and_of_the_products_show_on_the_opportunity(
    client, rep, make_article, deal, tea
):
    make_article("报价阶段打法", "先确认预算。", stage=stage("proposal"))
    make_article("龙井礼盒谈判要点", "强调明前茶。", stage=stage("negotiation"), products=[tea])
    make_article("谈判阶段打法", "让步要换条件。", stage=stage("negotiation"))
    make_article("龙井冲泡方法", "80 度水。", products=[tea])  # product knowledge, no playbook
    make_article("报价草稿", "未发布", status="draft", stage=stage("proposal"))
    client.force_login(rep)
    page = client.get(deal.get_absolute_url()).content.decode()
    card = page[page.index('data-testid="sales-knowledge"') :]
    assert "报价阶段打法" in card
    assert "龙井礼盒谈判要点" in card  # a playbook for one of its products
    for absent in ("谈判阶段打法", "龙井冲泡方法", "报价草稿"):
        assert absent not in card
    assert 'data-testid="write-note"' not in card  # still open


def test_a_lost_opportunity_gets_a_win_loss_note(client, rep, other_rep, deal, tea):
    client.force_login(rep)
    url = f"/knowledge/notes/opportunity/{deal.pk}/"
    # an open opportunity has none
    assert client.post(url).status_code == 302
    assert not Article.objects.exists()
    sales.opportunity_move(user=rep, opportunity=deal, stage=stage("lost"), lost_reason="价格高")
    page = client.get(deal.get_absolute_url()).content.decode()
    assert 'data-testid="write-note"' in page
    answer = client.post(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    note = Article.objects.get()
    assert answer["Location"] == f"/knowledge/{note.pk}/edit/"
    assert (note.opportunity_id, note.status, note.owner_id) == (deal.pk, "draft", rep.pk)
    assert list(note.products.all()) == [tea]
    assert "价格高" in note.body
    assert "龙井礼盒" in note.body
    # asking again reopens the same draft; another rep cannot see the opportunity
    assert client.post(url)["Location"] == f"/knowledge/{note.pk}/edit/"
    assert Article.objects.count() == 1
    client.force_login(other_rep)
    assert client.post(url).status_code == 404
    # sent for review, it stays listed on the opportunity for its author
    client.force_login(rep)
    knowledge.article_submit(user=rep, article=note)
    page = client.get(deal.get_absolute_url()).content.decode()
    assert note.title in page[page.index('data-testid="win-loss-notes"') :]


def test_playbooks_through_the_api(client, agent, leader):
    client.force_login(agent)
    body = {"title": "谈判打法", "body": "让步换条件。", "stage": "negotiation"}
    answer = client.post("/api/v1/knowledge/articles/", body, content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert (answer.json()["stage"], answer.json()["opportunity_id"]) == ("negotiation", None)
    article = f"/api/v1/knowledge/articles/{answer.json()['id']}"
    patched = client.patch(article, {"stage": None}, content_type="application/json")
    assert patched.json()["stage"] is None
    wrong = client.patch(article, {"stage": "nonsense"}, content_type="application/json")
    assert wrong.status_code == 422
    client.force_login(leader)  # reads, may not write
    assert (
        client.post(
            "/api/v1/knowledge/articles/", body, content_type="application/json"
        ).status_code
        == 403
    )
