"""The applications admin as branch staff, head office, contractors and obligees see it."""

import re
import uuid

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.groups import BRANCH_STAFF, HEAD_OFFICE, ensure_staff_groups
from applications.models import Application
from core.models import AuditEntry
from guarantees.models import Guarantee
from tests.accounts.otp import login_verified_staff
from tests.factories import (
    ApplicationFactory,
    GuaranteeFactory,
    ObligeeFactory,
    UserFactory,
    make_sent_application,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:applications_application_changelist")


def change_url(application):
    return reverse("admin:applications_application_change", args=[application.pk])


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


@pytest.fixture
def two_branches(alice, charlie, gunma, tochigi):
    return {
        "gunma": make_sent_application(alice, branch=gunma, works_name="群馬の工事"),
        "tochigi": make_sent_application(charlie, branch=tochigi, works_name="栃木の工事"),
        "draft": ApplicationFactory(
            contractor=alice.contractor, created_by=alice, branch=gunma, works_name="下書きの工事"
        ),
    }


def test_branch_staff_see_their_branch_only(client, gunma_staff, two_branches):
    login_verified_staff(client, gunma_staff)
    html = client.get(CHANGELIST).content.decode()
    assert "column-branch" not in html  # one branch: no branch column
    assert "群馬の工事" in html
    assert "栃木の工事" not in html
    assert "下書きの工事" not in html  # drafts are the contractor's business
    assert "20,000,000円" in html and "50,000,000円" in html
    assert client.get(change_url(two_branches["gunma"])).status_code == 200
    # Another branch's application: not found, by id, by search, in the export.
    foreign = two_branches["tochigi"]
    assert client.get(change_url(foreign)).status_code == 302  # admin: "doesn't exist" → index
    assert "栃木の工事" not in client.get(CHANGELIST, {"q": "栃木"}).content.decode()
    accept = reverse("admin:applications_application_accept", args=[foreign.pk])
    assert client.post(accept).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Application.Status.SENT
    export = client.post(
        CHANGELIST,
        {"action": "export_csv", "_selected_action": [a.pk for a in two_branches.values()]},
    )
    body = export.content.decode("utf-8-sig")
    assert "群馬の工事" in body and "栃木の工事" not in body


def test_head_office_sees_every_branch(client, head_office_staff, two_branches):
    login_verified_staff(client, head_office_staff)
    html = client.get(CHANGELIST).content.decode()
    assert "column-branch" in html
    assert "群馬の工事" in html and "栃木の工事" in html and "下書きの工事" not in html
    html = client.get(CHANGELIST, {"branch": two_branches["tochigi"].branch_id}).content.decode()
    assert "栃木の工事" in html and "群馬の工事" not in html


def test_contractors_and_obligees_never_enter_the_admin(client, alice, two_branches):
    client.force_login(alice)
    response = client.get(change_url(two_branches["gunma"]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    obligee_user = UserFactory(contractor=None, obligee=ObligeeFactory())
    client.force_login(obligee_user)
    assert "/admin/login/" in client.get(CHANGELIST)["Location"]


def test_staff_without_a_second_factor_are_sent_to_sign_in(client, gunma_staff, two_branches):
    client.force_login(gunma_staff)  # password only
    assert "/admin/login/" in client.get(CHANGELIST)["Location"]


def test_filters_and_search(client, gunma_staff, alice, gunma):
    login_verified_staff(client, gunma_staff)
    reviewing = make_sent_application(
        alice, branch=gunma, works_name="審査中の工事", obligee=ObligeeFactory(name="前橋市")
    )
    Application.objects.filter(pk=reviewing.pk).update(status="reviewing")
    make_sent_application(alice, branch=gunma, works_name="送信済の工事")
    GuaranteeFactory(
        application=reviewing, kind="contract", status="approved", number="GM-2026-000042"
    )
    html = client.get(CHANGELIST, {"status__exact": "reviewing"}).content.decode()
    assert "審査中の工事" in html and "送信済の工事" not in html
    html = client.get(CHANGELIST, {"obligee": "前橋"}).content.decode()
    assert "審査中の工事" in html and "送信済の工事" not in html
    for query in ["GM-2026-000042", reviewing.number, "審査中の", alice.contractor.name[:4]]:
        html = client.get(CHANGELIST, {"q": query}).content.decode()
        assert "審査中の工事" in html, query


def test_accept_return_and_approve_through_the_admin(
    client, gunma_staff, sent_application, fee_tables
):
    login_verified_staff(client, gunma_staff)
    page = client.get(change_url(sent_application)).content.decode()
    assert "受付する" in page and "差し戻す" in page

    response = client.post(
        reverse("admin:applications_application_accept", args=[sent_application.pk]), follow=True
    )
    assert "を受け付けました(審査中)。" in response.content.decode()
    sent_application.refresh_from_db()
    assert sent_application.status == "reviewing"

    # Accepting twice: refused with a clear message, nothing changes.
    response = client.post(
        reverse("admin:applications_application_accept", args=[sent_application.pk]), follow=True
    )
    assert "審査中の申込は受付できません" in response.content.decode()
    assert AuditEntry.objects.filter(action="application.accepted").count() == 1

    advance = sent_application.guarantees.get(kind="advance")
    page = client.get(change_url(sent_application)).content.decode()
    approve_url = reverse(
        "admin:applications_application_approve", args=[sent_application.pk, advance.pk]
    )
    assert approve_url in page and "前払金保証を承諾する" in page
    response = client.post(approve_url, follow=True)
    assert "前払金保証を承諾しました。" in response.content.decode()
    advance.refresh_from_db()
    assert advance.status == Guarantee.Status.APPROVED and advance.number.startswith("GM-")
    assert AuditEntry.objects.get(action="guarantee.approved").user == gunma_staff


def test_return_with_a_message_through_the_admin(client, gunma_staff, sent_application):
    login_verified_staff(client, gunma_staff)
    url = reverse("admin:applications_application_return", args=[sent_application.pk])
    assert "差戻しの理由" in client.get(url).content.decode()
    empty = client.post(url, {"message": ""})
    assert empty.status_code == 200 and "このフィールドは必須です" in empty.content.decode()
    client.post(url, {"message": "契約書の写しを添付してください。"})
    sent_application.refresh_from_db()
    assert sent_application.status == Application.Status.RETURNED
    assert sent_application.company_messages.get().author == gunma_staff


def test_internal_notes_stay_internal(client, alice, gunma_staff, sent_application):
    login_verified_staff(client, gunma_staff)
    url = reverse("admin:applications_application_message", args=[sent_application.pk])
    form_page = client.get(url).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', form_page).group(1)
    client.post(url, {"message": "与信枠を確認済み", "internal": "on", "token": str(uuid.uuid4())})
    # A double click on お知らせ: the same form twice, one message.
    for _ in range(2):
        client.post(url, {"message": "受付まで少々お待ちください。", "token": token})
    assert sent_application.company_messages.count() == 1
    page = client.get(change_url(sent_application)).content.decode()
    assert "与信枠を確認済み" in page  # staff see the note in the timeline
    client.force_login(alice)
    detail = client.get(reverse("applications:detail", args=[sent_application.pk])).content.decode()
    assert "受付まで少々お待ちください。" in detail
    assert "与信枠を確認済み" not in detail


def test_viewing_staff_cannot_act(client, gunma, sent_application, groups):
    viewer = UserFactory(contractor=None, is_staff=True, branch=gunma)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_application"))
    login_verified_staff(client, viewer)
    assert "受付する" not in client.get(change_url(sent_application)).content.decode()
    url = reverse("admin:applications_application_accept", args=[sent_application.pk])
    assert client.post(url).status_code == 403
    sent_application.refresh_from_db()
    assert sent_application.status == Application.Status.SENT


def _fill(branch, contractor_user, count):
    applications = Application.objects.bulk_create(
        ApplicationFactory.build(
            contractor=contractor_user.contractor,
            created_by=contractor_user,
            branch=branch,
            obligee=None,
            status="sent",
        )
        for _ in range(count)
    )
    Guarantee.objects.bulk_create(GuaranteeFactory.build(application=a) for a in applications)


def test_the_list_runs_the_same_queries_with_10_and_1000_rows(
    client, alice, gunma, tochigi, gunma_staff, tochigi_staff
):
    _fill(gunma, alice, 10)
    _fill(tochigi, alice, 1000)
    counts = []
    for staff in (gunma_staff, tochigi_staff):
        login_verified_staff(client, staff)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CHANGELIST)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
