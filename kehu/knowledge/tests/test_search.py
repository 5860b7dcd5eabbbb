"""Search: Chinese words, English, pinyin and initials; ranking; scope; filters; snippets."""

import pytest

from kehu.knowledge import selectors
from kehu.knowledge.models import Article
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def search(user, q, **filters):
    hits = selectors.article_search(
        articles=selectors.articles_visible_to(user),
        filters=selectors.ArticleFilters(q=q, **filters),
    )
    return [h.article.title for h in hits]


@pytest.fixture
def base(make_article):
    make_article("退货政策", "七天无理由退货，质量问题由我方承担运费。", tags=["售后"])
    make_article("投诉处理流程", "客户投诉先安抚情绪，24小时内回复。涉及退货的按退货政策办理。")
    make_article("Warranty terms", "The warranty covers two years of normal use.", tags=["保修"])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("退货", ["退货政策", "投诉处理流程"]),  # title before body
        ("运费", ["退货政策"]),
        ("投诉 回复", ["投诉处理流程"]),  # every word must match
        ("warranty", ["Warranty terms"]),
        ("WARR", ["Warranty terms"]),  # English prefix, any case
        ("tuihuo", ["退货政策"]),  # pinyin of a title word
        ("thzc", ["退货政策"]),  # initials of the title
        ("tousuchuli", ["投诉处理流程"]),
        ("保修", ["Warranty terms"]),  # a tag
        ("冰箱", []),
    ],
)
def test_search_finds(agent, base, q, expected):
    assert search(agent, q) == expected


def test_title_outranks_tag_outranks_body(agent, make_article):
    make_article("空调安装须知", "安装前确认电源。", tags=["售后"])
    make_article("维修网点", "全国维修网点列表。", tags=["安装"])
    make_article("安装", "上门安装预约。")
    assert search(agent, "安装") == ["安装", "空调安装须知", "维修网点"]


def test_usefulness_breaks_ties(agent, make_article):
    first = make_article("会员积分规则", "积分一年有效。")
    second = make_article("会员积分兑换", "积分可兑换礼品。")
    Article.objects.filter(pk=second.pk).update(helpful=5)
    Article.objects.filter(pk=first.pk).update(helpful=1)
    assert search(agent, "积分") == ["会员积分兑换", "会员积分规则"]


def test_scope_drafts_of_others_hidden_and_public_never_internal(agent, rep, make_article):
    make_article("内部价格表", "渠道价格八折。", audience="internal")
    make_article("公开价格说明", "价格以官网为准。", audience="public")
    make_article("价格草稿", "价格待定。", status="draft", owner=rep)
    assert search(agent, "价格") == ["公开价格说明", "内部价格表"]
    assert search(rep, "价格") == ["价格草稿", "公开价格说明", "内部价格表"]
    public = selectors.article_search(
        articles=selectors.public_articles(), filters=selectors.ArticleFilters(q="价格")
    )
    assert [h.article.title for h in public] == ["公开价格说明"]


def test_filters_by_product_category_status(agent, archivist, make_article, category):
    product = ProductFactory.create(code="AC-01", name="变频空调")
    make_article("空调清洗", "每年清洗一次。", products=[product], category=category)
    make_article("冰箱清洗", "每半年清洗一次。")
    make_article("洗衣机清洗", "每月清洗一次。", status="archived")
    assert search(agent, "清洗", product_id=product.pk) == ["空调清洗"]
    assert search(agent, "清洗", category_id=category.pk) == ["空调清洗"]
    assert search(archivist, "清洗", status="archived") == ["洗衣机清洗"]


def test_snippet_highlights_words_and_escapes(agent, make_article):
    make_article("安全提示", "不要<script>x</script>自行拆机，拆机后不再保修。")
    hit = selectors.article_search(
        articles=selectors.articles_visible_to(agent),
        filters=selectors.ArticleFilters(q="拆机"),
    )[0]
    assert "<mark>拆机</mark>" in hit.snippet
    assert "<script>" not in hit.snippet


def test_edit_reindexes(agent, archivist, make_article):
    from kehu.knowledge import services

    article = make_article("旧标题", "旧内容。")
    services.article_update(user=archivist, article=article, title="以旧换新", body="新内容。")
    assert search(agent, "旧标题") == []
    assert search(agent, "yijiuhuanxin") == ["以旧换新"]


def test_a_common_word_loses_no_match(agent, make_article):
    # given many articles with 保修, the rare one created last
    for n in range(6):
        make_article(f"保修说明{n}", "整机保修一年。")
    make_article("投影仪保修", "投影仪整机保修一年，灯泡保修半年。")

    # then a search with a rarer word still finds it, and the common word alone finds all
    assert search(agent, "保修 投影仪") == ["投影仪保修"]
    assert search(agent, "投影仪 保修") == ["投影仪保修"]
    assert len(search(agent, "保修")) == 7


def test_a_vote_reorders_the_index_not_only_the_page(agent, make_article):
    # given two articles with a word in the title, the older one voted helpful
    from kehu.knowledge import services

    older = make_article("会员积分规则", "积分一年有效。")
    make_article("会员积分兑换", "积分可兑换礼品。")
    services.article_rate(article=older, helpful=True)
    services.article_rate(article=older, helpful=True)

    # when a page holds one hit, then it is the useful one (the index ranks by the vote)
    hits = selectors.article_search(
        articles=selectors.articles_visible_to(agent),
        filters=selectors.ArticleFilters(q="积分"),
        limit=1,
    )
    assert [h.article.title for h in hits] == ["会员积分规则"]


@pytest.mark.parametrize("max_terms", [0, 32])
def test_a_prefix_with_many_terms_finds_the_same(agent, base, make_article, monkeypatch, max_terms):
    # A prefix naming more index terms than MAX_TERMS reads all its rows instead: same answer.
    monkeypatch.setattr(selectors, "MAX_TERMS", max_terms)
    make_article("退款时效", "退款三个工作日到账。", tags=["售后"])
    assert search(agent, "tui") == ["退款时效", "退货政策"]
    assert search(agent, "WARR") == ["Warranty terms"]
    assert search(agent, "tuihuo") == ["退货政策"]


@pytest.mark.parametrize("drive_max", [0, 8_000])
def test_several_words_rank_the_same_led_or_grouped(agent, make_article, monkeypatch, drive_max):
    # Several words: one rare word leads and the others are looked up for its articles, or
    # (DRIVE_MAX 0) every word's rows are grouped. Same answer, best sum of fields first.
    monkeypatch.setattr(selectors, "DRIVE_MAX", drive_max)
    make_article("投影仪保修", "投影仪整机保修一年。")
    make_article("投影仪清洁", "镜头用软布擦拭。", tags=["保修"])
    make_article("整机保修说明", "投影仪灯泡保修半年。")
    make_article("空调保修", "整机保修六年。")
    assert search(agent, "投影仪 保修") == ["投影仪保修", "投影仪清洁", "整机保修说明"]
    assert search(agent, "touying 保修") == ["投影仪保修", "投影仪清洁"]
    assert search(agent, "投影仪 冰箱") == []
