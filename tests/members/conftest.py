import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate limits count in the cache, which outlives each test's transaction (Redis on CI):
    every test here opens invitation links from the same address."""
    cache.clear()
    yield
    cache.clear()
