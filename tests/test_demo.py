import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from accounts.models import Branch, User
from applications.models import Application
from guarantees.models import Certificate
from obligees.models import Obligee

pytestmark = pytest.mark.django_db

DEMO_EMAILS = [
    "contractor@example.jp",
    "contractor2@example.jp",
    "shibukawa@example.jp",
    "takasaki@example.jp",
    "staff-gunma@example.jp",
    "headoffice@example.jp",
    "applicant@example.jp",
    "viewer@example.jp",
    "shibukawa-clerk@example.jp",
]
# The demo accounts of organisations are their 管理者; one more person of each other role.
DEMO_ROLES = {
    "contractor@example.jp": "admin",
    "contractor2@example.jp": "admin",
    "shibukawa@example.jp": "admin",
    "takasaki@example.jp": "admin",
    "applicant@example.jp": "applicant",
    "viewer@example.jp": "viewer",
    "shibukawa-clerk@example.jp": "clerk",
    "staff-gunma@example.jp": "",
    "headoffice@example.jp": "",
}


def test_demo_data_loads_twice_without_changing_anything(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo", stdout=out)
    for email in DEMO_EMAILS:
        assert email in out.getvalue()
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=email, password="netdesk-demo") is not None
    assert dict(User.objects.values_list("email", "role")) == DEMO_ROLES
    assert set(Branch.objects.values_list("name", flat=True)) >= {"群馬支店", "栃木支店"}
    shibukawa = Obligee.objects.get(name="渋川市")
    assert shibukawa.e_advance_since.isoformat() == "2022-05-09"
    assert Obligee.objects.get(name="群馬県").e_contract_since.isoformat() == "2022-05-09"
    assert Obligee.objects.get(name="高崎市").e_advance_since is None
    assert Obligee.objects.filter(code__isnull=False).count() == 1788
    before = list(Application.objects.values_list("id", "status", "updated_at"))
    # A sent application for the branch to process, a draft, one taken almost to the end (its
    # advance payment issued electronically, its contract guarantee printed, awaiting handover)
    # and one issued, received by 渋川市 and amended.
    statuses = sorted(status for _id, status, _at in before)
    assert statuses == ["completed", "draft", "reviewing", "sent"]
    electronic = Certificate.objects.get(
        guarantee__application__works_name="市道2-100号線舗装補修工事",
        certificate_format="electronic",
    )
    assert electronic.key_digest and electronic.guarantee.status == "issued"
    paper = Certificate.objects.get(certificate_format="paper")
    assert paper.handed_over_at is None
    first, second = Certificate.objects.filter(
        guarantee__application__works_name="市道3-7号線側溝改修工事"
    ).order_by("version")
    assert first.superseded_at and first.receipts.get().obligee == shibukawa
    assert second.snapshot["amount"] == 14_000_000 and second.guarantee.status == "amended"

    again = io.StringIO()
    call_command("demo", stdout=again)
    assert "0 created, 0 updated, 1798 unchanged" in again.getvalue()
    assert list(Application.objects.values_list("id", "status", "updated_at")) == before


def test_demo_data_is_refused_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo")
    assert not Obligee.objects.exists()
