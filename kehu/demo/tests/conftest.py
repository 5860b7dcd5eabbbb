import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Pages the demo tests open count rate limits in the cache.
    cache.clear()
    yield
    cache.clear()
