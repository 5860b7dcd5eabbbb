import pytest
from django.core.cache import cache

from kehu.accounts.models import Role
from kehu.customers import services as customer_services


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The public rating page's rate-limit counters live in the cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def marketer(make_user):
    return make_user(Role.MARKETER, username="mkt")


@pytest.fixture
def customer(rep):
    """张伟, owned by rep1."""
    return customer_services.customer_create(user=rep, kind="person", data={"name": "张伟"})


@pytest.fixture
def other_customer(other_rep):
    """An organization owned by rep2: rep1 may not see it."""
    return customer_services.customer_create(
        user=other_rep, kind="organization", data={"name": "杭州宏达机械有限公司"}
    )
