"""The admin's home page (業務メニュー) opens on the branch's work queue: counts of what waits,
each linking to the list of exactly those applications; head office counts every branch."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.selectors import work_queue
from tests.accounts.otp import login_verified_staff
from tests.factories import CertificateFactory, GuaranteeFactory, make_sent_application

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


def with_guarantee(user, branch, works_name, **guarantee):
    """A 審査中 application of `branch` with one guarantee (GuaranteeFactory fields)."""
    application = make_sent_application(user, branch=branch, works_name=works_name)
    Application.objects.filter(pk=application.pk).update(status="reviewing")
    application.guarantees.all().delete()
    if guarantee:
        GuaranteeFactory(application=application, kind="advance", **guarantee)
    return application


@pytest.fixture
def queue(alice, charlie, gunma, tochigi):
    """One application of 群馬支店 in each state, and one of 栃木支店 in each queue."""
    now = timezone.now()
    approved = {"status": "approved", "number": None}
    made = {}
    for branch, user, prefix in [(gunma, alice, "GM"), (tochigi, charlie, "TG")]:
        serials = iter(range(1, 100))

        def number(prefix=prefix, serials=serials):
            return f"{prefix}-2026-{next(serials):06d}"

        made[f"{prefix}-sent"] = make_sent_application(
            user, branch=branch, works_name=f"{prefix}送信済"
        )
        made[f"{prefix}-reviewing"] = with_guarantee(user, branch, f"{prefix}審査中")
        made[f"{prefix}-approved"] = with_guarantee(
            user, branch, f"{prefix}入金待ち", **{**approved, "number": number()}
        )
        paper = with_guarantee(
            user,
            branch,
            f"{prefix}交付待ち",
            **{**approved, "number": number(), "certificate_format": "paper"},
        )
        CertificateFactory(
            guarantee=paper.guarantees.get(),
            certificate_format="paper",
            key=None,
            handed_over_at=None,
        )
        made[f"{prefix}-handover"] = paper
        made[f"{prefix}-failed"] = with_guarantee(
            user,
            branch,
            f"{prefix}発行失敗",
            **{**approved, "number": number(), "certificate_format": "electronic"},
            issue_requested_at=now,
            issue_failed_at=now,
            issue_failure_reason="RuntimeError",
        )
        # Being issued by the worker: in no queue of the branch's.
        with_guarantee(
            user,
            branch,
            f"{prefix}発行処理中",
            **{**approved, "number": number(), "certificate_format": "electronic"},
            issue_requested_at=now,
        )
        made[f"{prefix}-completed"] = with_guarantee(
            user, branch, f"{prefix}完了", status="issued", number=number()
        )
        Application.objects.filter(pk=made[f"{prefix}-completed"].pk).update(status="completed")
    return made


def test_branch_staff_see_their_branchs_queue_and_each_link_lists_it(client, gunma_staff, queue):
    login_verified_staff(client, gunma_staff)
    html = client.get(INDEX).content.decode()
    assert "要対応の手続(群馬支店)" in html
    shown = dict(re.findall(r'data-testid="queue-(\w+)">([\d,]+)件<', html))
    # 審査中: the reviewed one and the five with a guarantee (approved, printed, failed,
    # being issued).
    # 利用申込(審査待ち): none waits in this world.
    assert shown == {
        "sent": "1",
        "reviewing": "5",
        "approved": "1",
        "handover": "1",
        "failed": "1",
        "registrations": "0",
    }
    for key, works in [
        ("sent", ["GM送信済"]),
        ("approved", ["GM入金待ち"]),
        ("handover", ["GM交付待ち"]),
        ("failed", ["GM発行失敗"]),
        ("reviewing", ["GM審査中", "GM入金待ち", "GM交付待ち", "GM発行失敗", "GM発行処理中"]),
    ]:
        link = re.search(
            rf'<a href="([^"]+)">[^<]+</a></th>\s*<td class="nd-count" data-testid="queue-{key}"',
            html,
        )
        listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
        found = sorted(set(re.findall(r'class="field-works_name">([^<]+)<', listed)))
        assert found == sorted(works), key


def test_head_office_counts_every_branch(client, head_office_staff, queue):
    login_verified_staff(client, head_office_staff)
    html = client.get(INDEX).content.decode()
    assert "要対応の手続(すべての営業部・支店)" in html
    shown = dict(re.findall(r'data-testid="queue-(\w+)">([\d,]+)件<', html))
    assert shown == {
        "sent": "2",
        "reviewing": "10",
        "approved": "2",
        "handover": "2",
        "failed": "2",
        "registrations": "0",
    }


def test_staff_without_applications_see_no_queue(client, gunma, queue):
    from tests.factories import UserFactory

    login_verified_staff(client, UserFactory(contractor=None, is_staff=True, branch=gunma))
    html = client.get(INDEX).content.decode()
    assert client.get(INDEX).status_code == 200 and "要対応の手続" not in html


def test_the_queue_is_counted_in_the_same_queries_for_few_and_many(
    alice, gunma, gunma_staff, queue
):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            work_queue(gunma_staff)
        return len(captured)

    work_queue(gunma_staff)  # the staff member's permissions, read once per request anyway
    few = queries()
    for index in range(30):
        with_guarantee(
            alice, gunma, f"追加{index}", status="approved", number=f"GM-2027-{index:06d}"
        )
    assert queries() == few == 2
    assert work_queue(gunma_staff)["approved"] == 31


@pytest.mark.parametrize("value", ["nope", "x\x00", "1" * 1000])
def test_the_queue_filter_ignores_an_unknown_value(client, gunma_staff, queue, value):
    login_verified_staff(client, gunma_staff)
    changelist = reverse("admin:applications_application_changelist")
    response = client.get(changelist, {"guarantee": value})
    assert response.status_code in (200, 302, 400)  # 400: a control character in the query
    if response.status_code == 200:
        assert "GM送信済" in response.content.decode()
