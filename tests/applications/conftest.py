import pytest


@pytest.fixture
def signed_in(client, alice):
    """The test client, signed in as alice (a contractor user)."""
    client.force_login(alice)
    return client
