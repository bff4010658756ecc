"""Personas for the sign-in tests: branch staff with two factors, head office, outsiders.

django-axes keeps its failure counts in the database (AccessAttempt), which each test's
transaction rolls back, so no lockout leaks from one test to the next.
"""

import pytest
from django.core.cache import cache

from tests.accounts.otp import authenticator_for, backup_codes_for
from tests.factories import BranchFactory, ObligeeFactory, UserFactory

BACKUP_CODES = ["k7q2m4xz", "p3v6n8rt"]


@pytest.fixture
def gunma(db):
    return BranchFactory(code="GM", name="群馬支店")


@pytest.fixture
def staff(gunma):
    """Branch staff with an authenticator app and two backup codes."""
    user = UserFactory(email="staff-gunma@example.jp", contractor=None, is_staff=True, branch=gunma)
    authenticator_for(user)
    backup_codes_for(user, BACKUP_CODES)
    return user


@pytest.fixture
def authenticator(staff):
    return authenticator_for(staff)


@pytest.fixture
def staff_without_device(gunma):
    return UserFactory(email="new-staff@example.jp", contractor=None, is_staff=True, branch=gunma)


@pytest.fixture
def head_office(db):
    """Head-office staff (a superuser) with an authenticator app."""
    user = UserFactory(
        email="headoffice@example.jp",
        contractor=None,
        is_staff=True,
        is_superuser=True,
        branch=BranchFactory(code="HQ", name="東京本店営業部"),
    )
    authenticator_for(user)
    return user


@pytest.fixture
def obligee_user(db):
    return UserFactory(
        email="shibukawa@example.jp", contractor=None, obligee=ObligeeFactory(name="渋川市")
    )


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The rate limits count in the cache, which outlives a test's transaction (and, on Redis,
    the test run): each test starts with none."""
    cache.clear()
