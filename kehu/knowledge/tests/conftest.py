import pytest
from django.core.cache import cache

from kehu.knowledge import services
from kehu.knowledge.models import Category


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The public FAQ's rate-limit counters live in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def category(db):
    return Category.objects.create(name="服务与投诉处理")


@pytest.fixture
def make_article(agent, archivist):
    def make(
        title="退货政策",
        body="七天无理由退货，质量问题由我方承担运费。",
        *,
        status="published",
        audience="internal",
        owner=None,
        **kwargs,
    ):
        article = services.article_create(
            user=owner or agent, title=title, body=body, audience=audience, **kwargs
        )
        if status in ("in_review", "published", "archived"):
            services.article_submit(user=article.owner, article=article)
        if status in ("published", "archived"):
            services.article_publish(user=archivist, article=article)
        if status == "archived":
            services.article_archive(user=archivist, article=article)
        return article

    return make
