"""Knowledge pages and the public FAQ: they work, and refuse the wrong user."""

import pytest
from django.core.cache import cache

from kehu.knowledge.models import Article
from kehu.knowledge.views import FAQ_LIMIT
from kehu.sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_list_search_detail_history(client, agent, make_article):
    article = make_article("退货政策", "七天**无理由**退货。<script>x</script>")
    client.force_login(agent)
    page = client.get("/knowledge/").content.decode()
    assert "退货政策" in page
    page = client.get("/knowledge/?q=thzc").content.decode()
    assert 'data-testid="article-hit"' in page
    page = client.get(f"/knowledge/{article.pk}/").content.decode()
    assert "<strong>无理由</strong>" in page
    assert "<script>x</script>" not in page
    assert Article.objects.get(pk=article.pk).views == 1
    page = client.get(f"/knowledge/{article.pk}/history/").content.decode()
    assert page.count('data-testid="version-row"') == 3


def test_create_and_edit_pages(client, agent):
    client.force_login(agent)
    response = client.post(
        "/knowledge/new/",
        {"title": "新文章", "body": "内容", "audience": "internal", "tags": "a，b"},
    )
    article = Article.objects.get(title="新文章")
    assert response.status_code == 302
    assert article.tags == ["a", "b"]
    response = client.post(
        f"/knowledge/{article.pk}/edit/",
        {"title": "新文章", "body": "新内容", "audience": "internal", "note": "改"},
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.body, article.version) == ("新内容", 2)
    response = client.post("/knowledge/new/", {"title": "", "body": "", "audience": "internal"})
    assert response.status_code == 400


def test_workflow_buttons(client, agent, archivist, make_article):
    article = make_article(status="draft")
    client.force_login(agent)
    client.post(f"/knowledge/{article.pk}/submit/")
    client.post(f"/knowledge/{article.pk}/publish/")  # refused: not a reviewer
    article.refresh_from_db()
    assert article.status == "in_review"
    client.force_login(archivist)
    client.post(f"/knowledge/{article.pk}/publish/")
    article.refresh_from_db()
    assert article.status == "published"
    assert client.post(f"/knowledge/{article.pk}/nonsense/").status_code == 404


def test_wrong_users_are_refused(client, leader, rep, make_article):
    article = make_article()
    draft = make_article("草稿", status="draft")
    client.force_login(leader)
    assert client.get("/knowledge/new/").status_code == 403
    assert client.get(f"/knowledge/{article.pk}/edit/").status_code == 403
    assert client.post(f"/knowledge/{article.pk}/archive/").status_code == 403
    client.force_login(rep)
    assert client.get(f"/knowledge/{draft.pk}/").status_code == 404
    client.logout()
    assert client.get("/knowledge/").status_code == 302


def test_stale_list(client, archivist, make_article):
    import datetime

    make_article("旧价格表", valid_until=datetime.date(2020, 1, 1))
    make_article("新价格表", valid_until=datetime.date(2099, 1, 1))
    client.force_login(archivist)
    page = client.get("/knowledge/stale/").content.decode()
    assert "旧价格表" in page
    assert "新价格表" not in page


def test_public_faq_shows_public_articles_only(client, make_article):
    product = ProductFactory.create(code="AC-01", name="变频空调")
    public = make_article(
        "空调清洗方法", "每年清洗一次滤网。", audience="public", products=[product]
    )
    internal = make_article("空调渠道价格", "清洗服务渠道价八折。", products=[product])
    make_article("空调清洗草稿", "清洗", audience="public", status="draft")
    # no sign-in needed
    page = client.get("/faq/").content.decode()
    assert "变频空调" in page
    page = client.get("/faq/?q=清洗").content.decode()
    assert "空调清洗方法" in page
    assert "空调渠道价格" not in page
    assert "空调清洗草稿" not in page
    page = client.get("/faq/p/AC-01/").content.decode()
    assert "空调清洗方法" in page
    assert "空调渠道价格" not in page
    assert client.get(f"/faq/a/{public.pk}/").status_code == 200
    assert client.get(f"/faq/a/{internal.pk}/").status_code == 404
    # owner names are personal data: not on the public page
    assert "客服小李" not in client.get(f"/faq/a/{public.pk}/").content.decode()
    response = client.post(f"/faq/a/{public.pk}/helpful/", {"helpful": "yes"})
    assert response.status_code == 302
    assert Article.objects.get(pk=public.pk).helpful == 1
    assert client.post(f"/faq/a/{internal.pk}/helpful/", {"helpful": "yes"}).status_code == 404


def test_public_faq_is_rate_limited(client, one_rate_window):
    cache.clear()
    for _ in range(FAQ_LIMIT):
        assert client.get("/faq/").status_code == 200
    assert client.get("/faq/").status_code == 429


def test_managers_edit_the_expert_directory_in_the_browser(client, archivist, rep, agent, category):
    from kehu.knowledge.models import Expert

    product = ProductFactory.create(code="KT-01", name="电热水壶")
    client.force_login(archivist)
    assert 'data-testid="add-expert"' in client.get("/knowledge/experts/").content.decode()
    # a new entry must name its user
    assert client.post("/knowledge/experts/new/", {"available": "on"}).status_code == 400
    answer = client.post(
        "/knowledge/experts/new/",
        {
            "user": agent.pk,
            "categories": [category.pk],
            "products": [product.pk],
            "available": "on",
        },
    )
    assert answer.status_code == 302
    expert = Expert.objects.get(user=agent)
    assert (list(expert.categories.all()), list(expert.products.all()), expert.available) == (
        [category],
        [product],
        True,
    )
    # editing keeps the user whatever is posted, and can take them off the questions
    page = client.get(f"/knowledge/experts/{agent.pk}/edit/").content.decode()
    assert "checked" in page
    client.post(f"/knowledge/experts/{agent.pk}/edit/", {"user": rep.pk, "categories": []})
    expert.refresh_from_db()
    assert (expert.user_id, expert.available, expert.categories.count()) == (agent.pk, False, 0)
    assert not Expert.objects.filter(user=rep).exists()
    # someone who does not manage the knowledge base is refused
    client.force_login(rep)
    assert client.get("/knowledge/experts/new/").status_code == 403
    assert (
        client.post(f"/knowledge/experts/{agent.pk}/edit/", {"available": "on"}).status_code == 403
    )
    assert 'data-testid="add-expert"' not in client.get("/knowledge/experts/").content.decode()


def test_article_attachments(client, agent, rep, archivist, make_article):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kehu.knowledge.models import ArticleAttachment

    draft = make_article("空调安装手册", status="draft")
    client.force_login(agent)  # the draft's owner edits it
    pdf = SimpleUploadedFile("手册.pdf", b"%PDF-1.4 manual", content_type="application/pdf")
    exe = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/x-msdownload")
    client.post(f"/knowledge/{draft.pk}/attach/", {"files": [exe]})
    assert not ArticleAttachment.objects.exists()  # refused, with the reason shown
    answer = client.post(f"/knowledge/{draft.pk}/attach/", {"files": [pdf]}, follow=True)
    assert "手册.pdf" in answer.content.decode()
    attachment = ArticleAttachment.objects.get()
    assert b"".join(client.get(f"/knowledge/files/{attachment.pk}/").streaming_content) == (
        b"%PDF-1.4 manual"
    )
    assert ["attachments"] in [v.changed_fields for v in draft.versions.all()]
    # someone else's draft, and its files, are not there for a rep; nor may they remove it
    client.force_login(rep)
    assert client.get(f"/knowledge/files/{attachment.pk}/").status_code == 404
    assert client.post(f"/knowledge/files/{attachment.pk}/remove/").status_code == 404
    # published, readers download it but only editors remove it
    from kehu.knowledge import services

    draft.refresh_from_db()
    services.article_submit(user=agent, article=draft)
    services.article_publish(user=archivist, article=draft)
    assert client.get(f"/knowledge/files/{attachment.pk}/").status_code == 200
    assert client.post(f"/knowledge/files/{attachment.pk}/remove/").status_code == 403
    client.force_login(archivist)
    client.post(f"/knowledge/files/{attachment.pk}/remove/")
    assert not ArticleAttachment.objects.exists()
