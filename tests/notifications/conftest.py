import pytest

from accounts.groups import BRANCH_STAFF, HEAD_OFFICE, ensure_staff_groups
from tests.factories import BranchFactory, UserFactory


def _staff_member(email: str, group: str, branch_code: str):
    user = UserFactory(
        email=email, contractor=None, is_staff=True, branch=BranchFactory(code=branch_code)
    )
    user.groups.add(ensure_staff_groups()[group])
    return user


@pytest.fixture
def staff_user(db):
    """Head-office staff: the outbox is theirs (every branch's customers)."""
    return _staff_member("hq@example.jp", HEAD_OFFICE, "HQ")


@pytest.fixture
def branch_staff(db):
    return _staff_member("gm@example.jp", BRANCH_STAFF, "GM")
