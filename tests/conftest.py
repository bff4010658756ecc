import pytest

from tests.factories import ContractorFactory, UserFactory


@pytest.fixture
def alice(db):
    """A contractor user: the owner of the records in most tests."""
    return UserFactory(
        email="alice@example.jp", contractor=ContractorFactory(name="〇〇建設 株式会社")
    )


@pytest.fixture
def bob(alice):
    """A colleague of alice in the same company."""
    return UserFactory(email="bob@example.jp", contractor=alice.contractor)


@pytest.fixture
def charlie(db):
    """A user of another contractor company: must never see alice's records."""
    return UserFactory(
        email="charlie@example.jp", contractor=ContractorFactory(name="△△工業 株式会社")
    )
