import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from accounts.groups import BRANCH_STAFF, HEAD_OFFICE, ensure_staff_groups
from tests.factories import BranchFactory, UserFactory

# The National Tax Agency's own corporate number, and the example of its published rule.
VALID_NUMBER = "7000012050002"
OTHER_VALID_NUMBER = "8700110005901"


@pytest.fixture(autouse=True)
def _fresh_limits():
    # The rate limits count in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def gunma(db):
    return BranchFactory(code="GM", name="群馬支店", phone="027-000-0000")


@pytest.fixture
def tochigi(db):
    return BranchFactory(code="TG", name="栃木支店")


@pytest.fixture
def groups(db):
    return ensure_staff_groups()


@pytest.fixture
def gunma_staff(gunma, groups):
    user = UserFactory(email="gm@example.jp", contractor=None, is_staff=True, branch=gunma)
    user.groups.add(Group.objects.get(name=BRANCH_STAFF))
    return user


@pytest.fixture
def tochigi_staff(tochigi, groups):
    user = UserFactory(email="tg@example.jp", contractor=None, is_staff=True, branch=tochigi)
    user.groups.add(Group.objects.get(name=BRANCH_STAFF))
    return user


@pytest.fixture
def head_office_staff(groups):
    user = UserFactory(email="hq@example.jp", contractor=None, is_staff=True)
    user.groups.add(Group.objects.get(name=HEAD_OFFICE))
    return user


@pytest.fixture
def registration_data(gunma):
    """The POST of a complete, valid 利用申込; override what a test is about."""

    def build(**overrides):
        data = {
            "company_name": "◇◇土木 株式会社",
            "company_kana": "ヒシヒシドボク",
            "corporate_number": VALID_NUMBER,
            "permit_authority": "governor",
            "permit_prefecture": "10",
            "permit_kind": "general",
            "permit_number": "12345",
            "address": "群馬県渋川市石原80",
            "representative": "代表取締役 菱田 一郎",
            "branch": str(gunma.pk),
            "applicant_name": "菱田 次郎",
            "applicant_department": "総務部",
            "applicant_phone": "0279-22-2111",
            "applicant_email": "jiro@hishi-doboku.example.jp",
        }
        data.update(overrides)
        return data

    return build
