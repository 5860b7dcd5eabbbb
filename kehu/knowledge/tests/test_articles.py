"""Articles: the workflow, versions with who changed what, permissions, safe Markdown."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.core.exceptions import Conflict
from kehu.knowledge import services
from kehu.knowledge.models import ArticleStatus
from kehu.knowledge.rendering import render_markdown

pytestmark = pytest.mark.django_db


def test_workflow_draft_review_publish_archive_with_versions(agent, archivist, category):
    # given a draft by an agent
    article = services.article_create(
        user=agent, title="退货政策", body="七天无理由退货。", category=category, tags=["退货"]
    )
    assert article.status == ArticleStatus.DRAFT
    # when it goes through review, publication and archive
    services.article_update(user=agent, article=article, body="七天无理由退货，运费我方承担。")
    services.article_submit(user=agent, article=article)
    services.article_publish(user=archivist, article=article)
    assert article.published_at is not None
    services.article_archive(user=archivist, article=article)
    # then every step is a version saying who changed what
    versions = list(
        article.versions.order_by("number").values_list(
            "number", "status", "changed_fields", "changed_by__username"
        )
    )
    assert versions == [
        (1, "draft", ["created"], "agent1"),
        (2, "draft", ["body"], "agent1"),
        (3, "in_review", ["status"], "agent1"),
        (4, "published", ["status"], "archivist"),
        (5, "archived", ["status"], "archivist"),
    ]
    assert article.versions.get(number=1).body == "七天无理由退货。"


def test_update_without_change_makes_no_version(agent):
    article = services.article_create(user=agent, title="标题", body="正文")
    services.article_update(user=agent, article=article, title="标题", body="正文")
    assert article.versions.count() == 1


def test_owner_cannot_publish_own_draft_and_others_cannot_edit(agent, make_user, rep):
    article = services.article_create(user=agent, title="标题", body="正文")
    with pytest.raises(PermissionDenied):
        services.article_publish(user=agent, article=article)
    with pytest.raises(PermissionDenied):
        services.article_update(user=rep, article=article, title="别人的")
    services.article_submit(user=agent, article=article)
    with pytest.raises(PermissionDenied):  # the owner edits drafts only
        services.article_update(user=agent, article=article, title="改")


def test_named_reviewer_may_publish(agent, rep):
    article = services.article_create(user=agent, title="标题", body="正文", reviewers=[rep])
    services.article_submit(user=agent, article=article)
    services.article_publish(user=rep, article=article)
    assert article.status == ArticleStatus.PUBLISHED


def test_return_to_owner_with_note(agent, archivist):
    article = services.article_create(user=agent, title="标题", body="正文")
    services.article_submit(user=agent, article=article)
    services.article_return(user=archivist, article=article, note="补充运费规则")
    assert article.status == ArticleStatus.DRAFT
    assert article.versions.get(number=3).note == "补充运费规则"


def test_wrong_moves_are_conflicts(agent, archivist):
    article = services.article_create(user=agent, title="标题", body="正文")
    with pytest.raises(Conflict):
        services.article_return(user=archivist, article=article)
    services.article_archive(user=archivist, article=article)
    with pytest.raises(Conflict):
        services.article_archive(user=archivist, article=article)
    with pytest.raises(Conflict):
        services.article_publish(user=archivist, article=article)


@pytest.mark.parametrize("role", ["leader", "marketer"])
def test_read_only_roles_cannot_write(make_user, role):
    user = make_user(role, username=f"u-{role}")
    with pytest.raises(PermissionDenied):
        services.article_create(user=user, title="标题", body="正文")


def test_bad_input_is_refused_and_nothing_saved(agent):
    with pytest.raises(ValidationError) as exc:
        services.article_create(user=agent, title="  ", body="", tags=["x" * 31])
    assert "tags" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.article_create(user=agent, title="  ", body="")
    assert set(exc.value.message_dict) == {"title", "body"}
    assert not agent.knowledge_articles.exists()


@pytest.mark.parametrize(
    ("markdown", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("<img src=x onerror=alert(1)>", "<img"),
        ("[click](javascript:alert(1))", 'href="javascript'),
        ('<a href="http://x" onclick="alert(1)">x</a>', '<a href="http://x"'),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", 'href="data'),
    ],
)
def test_markdown_is_rendered_safely(markdown, forbidden):
    html = render_markdown(f"# 标题\n\n**粗体** {markdown}")
    assert "<h1>标题</h1>" in html
    assert "<strong>粗体</strong>" in html
    assert forbidden not in html


def test_markdown_keeps_safe_links_and_tables():
    html = render_markdown("[官网](https://example.com)\n\n|a|b|\n|-|-|\n|1|2|")
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "<td>1</td>" in html
