import pytest
from django.core.cache import cache

from tests.factories import CertificateFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The rate limits count in the cache, which outlives a test's transaction (and, on Redis,
    the test run): each test starts with none."""
    cache.clear()


@pytest.fixture
def issue_for(db):
    """issue_for(user, **fields): a certificate version of a guarantee of `user`'s company
    (CertificateFactory fields, e.g. guarantee__certificate_format="paper", key=...)."""

    def make(user, **fields):
        return CertificateFactory(
            guarantee__application__contractor=user.contractor,
            guarantee__application__created_by=user,
            **fields,
        )

    return make


@pytest.fixture
def certificate(alice, issue_for):
    """An electronic certificate (第1版) of alice's company's advance-payment guarantee."""
    return issue_for(alice)
