import pytest
from django.core.cache import cache

from kehu.accounts import services as account_services
from kehu.accounts.models import Role
from kehu.customers import services as customer_services
from kehu.customers.models import Channel


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache; every test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agent(make_user):
    """The call center's integration account: a service agent."""
    return make_user(Role.SERVICE_AGENT, username="callcenter", is_integration=True)


def token_for(user):
    _row, token = account_services.api_token_create(user=user, name="call center")
    return token


@pytest.fixture
def agent_token(agent):
    return token_for(agent)


@pytest.fixture
def person(rep):
    """张伟, owned by rep1, with the mobile 138 0013 8000."""
    return customer_services.customer_create(
        user=rep,
        kind="person",
        data={"name": "张伟", "phones": "138 0013 8000", "emails": "zhangwei@example.com"},
        channel=Channel.objects.get(code="exhibition"),
    )


@pytest.fixture
def company(other_rep):
    """An organization owned by rep2, with a landline and a contact with a mobile."""
    customer = customer_services.customer_create(
        user=other_rep,
        kind="organization",
        data={"name": "杭州宏达机械有限公司", "phones": "010-12345678"},
    )
    customer_services.contact_save(
        user=other_rep,
        customer=customer,
        data={"name": "李娜", "role": "purchaser", "phones": "139 0013 9000"},
    )
    return customer
