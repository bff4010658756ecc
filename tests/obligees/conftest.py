import pytest
from django.core.cache import cache

from guarantees import keys
from guarantees.issuance import verify_url
from guarantees.rendering import render_key_notice
from tests.factories import CertificateFactory, UserFactory


@pytest.fixture
def _fresh_rate_limits():
    """The rate limits count in the cache, which outlives a test's transaction (and, on Redis,
    the test run): a test of receiving starts with none."""
    cache.clear()


@pytest.fixture
def issue_for(db):
    """issue_for(user, **fields): an issued electronic certificate of `user`'s company."""

    def make(user, **fields):
        return CertificateFactory(
            guarantee__application__contractor=user.contractor,
            guarantee__application__created_by=user,
            **fields,
        )

    return make


def notice_of(certificate, key: str) -> bytes:
    """The handover notice PDF, as the contractor downloads and e-mails it."""
    return render_key_notice(
        certificate.snapshot,
        key=keys.display_key(key),
        verify_url=verify_url(certificate.verify_token),
    )


@pytest.fixture
def key():
    return keys.new_key()


@pytest.fixture
def certificate(alice, issue_for, key):
    return issue_for(alice, key=key)


@pytest.fixture
def obligee_user(certificate):
    """A user of the obligee the certificate is addressed to."""
    return UserFactory(
        email="keiyaku@example.lg.jp",
        contractor=None,
        obligee=certificate.guarantee.application.obligee,
    )
