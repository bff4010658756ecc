import pytest
from django.contrib.auth.models import Group

from accounts.groups import BRANCH_STAFF, HEAD_OFFICE, ensure_staff_groups
from applications.models import Application
from tests.factories import ApplicationFactory, BranchFactory, GuaranteeFactory, UserFactory


@pytest.fixture
def gunma(db):
    return BranchFactory(code="GM", name="群馬支店")


@pytest.fixture
def tochigi(db):
    return BranchFactory(code="TG", name="栃木支店")


@pytest.fixture
def fee_tables(db):
    from fees.demo import load_demo_fee_tables

    load_demo_fee_tables()


@pytest.fixture
def staff(gunma):
    """Staff of 群馬支店 with the branch staff permissions."""
    from django.contrib.auth.models import Permission

    user = UserFactory(email="staff@example.jp", contractor=None, is_staff=True, branch=gunma)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="applications",
            codename__in=["view_application", "change_application"],
        )
    )
    return user


@pytest.fixture
def head_office(db):
    from django.contrib.auth.models import Permission

    branch = BranchFactory(code="HQ", name="本店営業部")
    user = UserFactory(email="hq@example.jp", contractor=None, is_staff=True, branch=branch)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="applications",
            codename__in=["view_application", "change_application", "view_all_branches"],
        )
    )
    return user


@pytest.fixture
def sent_application(alice, gunma):
    """A sent application to 群馬支店 with both kinds requested."""
    application = ApplicationFactory(
        contractor=alice.contractor,
        created_by=alice,
        branch=gunma,
        status=Application.Status.SENT,
        notify_email="soumu@example.jp",
    )
    GuaranteeFactory(application=application, kind="advance", amount=20_000_000)
    GuaranteeFactory(application=application, kind="contract", amount=5_000_000, deposit_bank="")
    return application


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
    user = UserFactory(email="hq2@example.jp", contractor=None, is_staff=True)
    user.groups.add(Group.objects.get(name=HEAD_OFFICE))
    return user
