"""The knowledge card on the service case page, the screen-pop and the 360° page: published
articles for the products at hand and the case's words, the customer's waiting questions, and
"Ask an expert" with the customer, channel, product and text filled in."""

import html as html_lib
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from kehu.customers.tests.factories import make_person
from kehu.knowledge import questions
from kehu.sales import services as sales
from kehu.sales.services import LineInput
from kehu.sales.tests.factories import ProductFactory
from kehu.service.services import case_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def kettle(db):
    return ProductFactory.create(code="KT-01", name="电热水壶")


@pytest.fixture
def articles(make_article, kettle):
    return {
        "kettle": make_article("电热水壶除垢方法", "用柠檬酸除垢。", products=[kettle]),
        "returns": make_article("退货政策", "七天无理由退货。"),
        "draft": make_article("电热水壶保修草稿", "未发布", status="draft", products=[kettle]),
    }


def card(page: str) -> str:
    found = re.search(r'<section class="card knowledge-card".*?</section>', page, re.S)
    assert found, "no knowledge card"
    return found.group(0)


def links(html: str, testid: str) -> list[tuple[str, str]]:
    """(href, text) of the links in the list marked ``testid``."""
    found = re.search(rf'data-testid="{testid}">(.*?)</ul>', html, re.S)
    if not found:
        return []
    return [
        (html_lib.unescape(href), text)
        for href, text in re.findall(r'<a href="([^"]*)">([^<]*)</a>', found.group(1))
    ]


def ask_url(html: str) -> str:
    href = re.search(r'<a class="btn[^"]*" href="([^"]*)" data-testid="ask-expert"', html)
    assert href
    return html_lib.unescape(href.group(1))


def test_the_case_page_offers_the_products_articles_and_an_expert(client, agent, articles, kettle):
    customer = make_person(agent, "王芳")
    case = case_open(
        user=agent,
        customer=customer,
        type="complaint",
        subject="要求退货",
        description="水壶漏水",
        product=kettle,
    )
    client.force_login(agent)
    found = card(client.get(case.get_absolute_url()).content.decode())
    titles = [text for _href, text in links(found, "knowledge-articles")]
    # the product's published article first, then the one the subject's words find; no draft
    assert titles == ["电热水壶除垢方法", "退货政策"]
    ask = urlparse(ask_url(found))
    assert parse_qs(ask.query) == {
        "customer": [str(customer.pk)],
        "channel": ["service_case"],
        "product": [str(kettle.pk)],
        "text": ["要求退货"],
    }
    # the question form opens filled in
    form = client.get(f"{ask.path}?{ask.query}").content.decode()
    assert re.search(r"<textarea[^>]*name=\"text\"[^>]*>\s*要求退货</textarea>", form)
    assert '<option value="service_case" selected>' in form
    assert f'<option value="{kettle.pk}" selected>' in form


def test_the_screen_pop_offers_what_the_caller_bought_and_their_questions(
    client, rep, articles, kettle
):
    customer = make_person(rep, "李娜", phones=["13800138000"])
    sales.order_create(user=rep, customer=customer, lines=[LineInput(kettle, Decimal(1))])
    question = questions.question_ask(user=rep, text="水壶能用几年？", customer=customer)
    client.force_login(rep)
    found = card(client.get("/calls/lookup", {"number": "13800138000"}).content.decode())
    assert [text for _href, text in links(found, "knowledge-articles")] == ["电热水壶除垢方法"]
    waiting = links(found, "knowledge-questions")
    assert [href for href, _text in waiting] == [question.get_absolute_url()]


def test_the_360_page_card_is_scoped(client, rep, other_rep, articles):
    customer = make_person(rep, "李娜")
    mine = questions.question_ask(user=rep, text="能开专票吗？", customer=customer)
    client.force_login(rep)
    found = card(client.get(customer.get_absolute_url()).content.decode())
    assert [href for href, _text in links(found, "knowledge-questions")] == [
        mine.get_absolute_url()
    ]
    assert "channel=customer_page" in ask_url(found)
    # another rep does not see the customer at all
    client.force_login(other_rep)
    assert client.get(customer.get_absolute_url()).status_code == 404
