import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from accounts.models import Branch
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
]


def test_demo_data_loads_twice_without_changing_anything(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo", stdout=out)
    for email in DEMO_EMAILS:
        assert email in out.getvalue()
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=email, password="netdesk-demo") is not None
    assert set(Branch.objects.values_list("name", flat=True)) >= {"群馬支店", "栃木支店"}
    shibukawa = Obligee.objects.get(name="渋川市")
    assert shibukawa.e_advance_since.isoformat() == "2022-05-09"
    assert Obligee.objects.get(name="群馬県").e_contract_since.isoformat() == "2022-05-09"
    assert Obligee.objects.get(name="高崎市").e_advance_since is None
    assert Obligee.objects.filter(code__isnull=False).count() == 1788
    before = list(Application.objects.values_list("id", "status", "updated_at"))
    # A sent application for the branch to process, a draft, and one taken to the end: its
    # advance payment issued electronically, its contract guarantee printed, awaiting handover.
    assert sorted(status for _id, status, _at in before) == ["draft", "reviewing", "sent"]
    electronic, paper = Certificate.objects.order_by("certificate_format")
    assert electronic.is_electronic and electronic.key_digest
    assert electronic.guarantee.status == "issued"
    assert not paper.is_electronic and paper.handed_over_at is None

    again = io.StringIO()
    call_command("demo", stdout=again)
    assert "0 created, 0 updated, 1798 unchanged" in again.getvalue()
    assert list(Application.objects.values_list("id", "status", "updated_at")) == before


def test_demo_data_is_refused_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo")
    assert not Obligee.objects.exists()
