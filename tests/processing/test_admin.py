"""The applications admin as branch staff, head office, contractors and obligees see it."""

import re
import uuid

import pytest
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.views.main import ChangeList
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Contractor
from applications.models import Application
from applications.selectors import companies_named
from core.models import AuditEntry, Sequence
from core.sequences import fiscal_year
from guarantees.models import Guarantee
from obligees.models import Obligee
from tests.accounts.otp import login_verified_staff
from tests.factories import (
    ApplicationFactory,
    ContractorFactory,
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
    html = client.get(CHANGELIST, {"status": "reviewing"}).content.decode()
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
    advance.refresh_from_db()
    assert advance.status == Guarantee.Status.APPROVED and advance.number.startswith("GM-")
    assert (
        f"前払金保証を承諾しました(保証契約番号 {advance.number}、保証料 {advance.fee:,}円)。"
        in response.content.decode()
    )
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


def _token(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def test_a_message_and_an_internal_note_are_two_separate_actions(
    client, alice, gunma_staff, sent_application
):
    login_verified_staff(client, gunma_staff)
    detail = client.get(change_url(sent_application)).content.decode()
    message_url = reverse("admin:applications_application_message", args=[sent_application.pk])
    note_url = reverse("admin:applications_application_note", args=[sent_application.pk])
    assert f'href="{message_url}">お客様へお知らせを送る<' in detail
    assert f'href="{note_url}">社内メモを書く<' in detail

    # The message page has no "internal" switch to forget: it writes to the customer, only.
    message_page = client.get(message_url).content.decode()
    assert "お客様へお知らせを送る" in message_page and 'name="internal"' not in message_page
    note_page = client.get(note_url).content.decode()
    assert "お客様には表示されません" in note_page and 'name="message"' not in note_page

    response = client.post(
        note_url, {"note": "与信枠を確認済み", "token": _token(note_page)}, follow=True
    )
    assert "社内メモを記録しました(お客様には表示されません)。" in response.content.decode()
    # A double click on each: the same form twice records once.
    token = _token(message_page)
    for _ in range(2):
        client.post(message_url, {"message": "受付まで少々お待ちください。", "token": token})
    client.post(note_url, {"note": "与信枠を確認済み", "token": _token(note_page)})
    assert sent_application.company_messages.get().body == "受付まで少々お待ちください。"
    assert AuditEntry.objects.filter(action="application.note").count() == 1
    page = client.get(change_url(sent_application)).content.decode()
    assert "与信枠を確認済み" in page  # staff see the note in the timeline
    client.force_login(alice)
    detail = client.get(reverse("applications:detail", args=[sent_application.pk])).content.decode()
    assert "受付まで少々お待ちください。" in detail
    assert "与信枠を確認済み" not in detail


@pytest.mark.parametrize(
    ("action", "field"), [("message", "message"), ("note", "note"), ("return", "message")]
)
@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("あ" * 2001, "この値は 2000 文字以下でなければなりません"),
        ("工期\u202eの確認", "表示の向きを変える制御文字"),
    ],
)
def test_staff_texts_have_a_length_limit_and_no_bidi_controls(
    client, gunma_staff, sent_application, action, field, text, error
):
    login_verified_staff(client, gunma_staff)
    url = reverse(f"admin:applications_application_{action}", args=[sent_application.pk])
    response = client.post(url, {field: text, "token": str(uuid.uuid4())})
    html = response.content.decode()
    assert response.status_code == 200 and error in html
    assert text[:50] in html  # what was typed is still there
    sent_application.refresh_from_db()
    assert sent_application.status == Application.Status.SENT
    assert not sent_application.company_messages.exists()
    assert not AuditEntry.objects.filter(action="application.note").exists()


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


@pytest.mark.parametrize(
    "changelist",
    [CHANGELIST, reverse("admin:notifications_outboxmessage_changelist")],
)
def test_the_lists_are_djangos_own_changelist(client, head_office_staff, two_branches, changelist):
    """Django renders the lists (its ChangeList, its change_list.html, its action form): the
    speed comes from the queries, so a Django upgrade changes nothing here unnoticed."""
    login_verified_staff(client, head_office_staff)
    response = client.get(changelist)
    assert response.status_code == 200
    assert type(response.context["cl"]) is ChangeList
    assert type(response.context["action_form"]) is ActionForm
    templates = [template.name for template in response.templates]
    assert "admin/change_list.html" in templates
    assert not any("fast" in name for name in templates)


def approve_url(application, guarantee):
    return reverse("admin:applications_application_approve", args=[application.pk, guarantee.pk])


def test_approval_asks_first_showing_the_number_and_fee_it_will_assign(
    client, gunma_staff, sent_application, fee_tables
):
    login_verified_staff(client, gunma_staff)
    client.post(reverse("admin:applications_application_accept", args=[sent_application.pk]))
    advance = sent_application.guarantees.get(kind="advance")
    # The branch already approved two guarantees this fiscal year: the next one is 000003.
    year = fiscal_year(timezone.localdate())
    key = f"guarantee:GM:{year}"
    Sequence.objects.create(name=key, last_value=2)
    expected = f"GM-{year}-000003"

    for _ in range(2):  # looking twice consumes nothing
        page = client.get(approve_url(sent_application, advance)).content.decode()
        assert "この前払金保証を承諾しますか" in page
        assert f'data-testid="number-preview">{expected}<' in page
        assert "保証契約番号(予定)" in page and "次の番号になることがあります" in page
        assert "保証料の計算内訳" in page and "基本保証料(年額)" in page
        fee = int(
            re.search(r'data-testid="fee-preview">([\d,]+)円', page).group(1).replace(",", "")
        )
        assert 'value="承諾する"' in page
    advance.refresh_from_db()
    assert advance.status == Guarantee.Status.REVIEWING and advance.number is None
    assert Sequence.objects.get(name=key).last_value == 2

    client.post(approve_url(sent_application, advance))
    advance.refresh_from_db()
    assert advance.number == expected and advance.fee == fee


def test_the_approval_page_says_why_it_cannot_approve(
    client, gunma_staff, sent_application, fee_tables
):
    from fees.models import FeeTable

    login_verified_staff(client, gunma_staff)
    advance = sent_application.guarantees.get(kind="advance")
    page = client.get(approve_url(sent_application, advance)).content.decode()
    assert "送信済の申込の保証は承諾できません" in page and 'value="承諾する"' not in page

    client.post(reverse("admin:applications_application_accept", args=[sent_application.pk]))
    FeeTable.objects.filter(kind="advance").delete()
    page = client.get(approve_url(sent_application, advance)).content.decode()
    assert "保証料を計算できないため承諾できません" in page and 'value="承諾する"' not in page


def test_the_detail_offers_only_what_the_services_allow(
    client, gunma_staff, sent_application, fee_tables
):
    login_verified_staff(client, gunma_staff)
    return_url = reverse("admin:applications_application_return", args=[sent_application.pk])
    page = client.get(change_url(sent_application)).content.decode()
    assert "受付する" in page and return_url in page and "を承諾する" not in page

    client.post(reverse("admin:applications_application_accept", args=[sent_application.pk]))
    page = client.get(change_url(sent_application)).content.decode()
    assert "受付する" not in page and return_url in page
    assert "前払金保証を承諾する" in page and "契約保証を承諾する" in page

    advance = sent_application.guarantees.get(kind="advance")
    client.post(approve_url(sent_application, advance))
    page = client.get(change_url(sent_application)).content.decode()
    # An approved guarantee: the service refuses a return, so the page offers none.
    assert return_url not in page and "差し戻す" not in page
    assert "前払金保証を承諾する" not in page and "契約保証を承諾する" in page


def test_the_detail_shows_every_field_the_contractor_sent(client, gunma_staff, alice, gunma):
    login_verified_staff(client, gunma_staff)
    application = ApplicationFactory(
        contractor=alice.contractor,
        created_by=alice,
        sent_by=alice,
        branch=gunma,
        status="sent",
        this_year_amount=30_000_000,
        this_year_basis="payment_limit",
        notify_issuance=True,
        notify_email="soumu@example.jp",
        contact_department="工事部",
        contact_title="課長",
        message_to_company="よろしくお願いします。",
    )
    GuaranteeFactory(
        application=application,
        kind="advance",
        amount=12_000_000,
        deposit_bank="〇〇銀行　渋川支店",
        redeposit="used",
        fee_billing_address="本店経理部",
        fee_statement_paper=True,
    )
    GuaranteeFactory(
        application=application, kind="contract", amount=5_000_000, fee_statement_paper=False
    )
    page = client.get(change_url(application)).content.decode()
    for shown in [
        "保証料支払方法",
        "一括納付",
        "保証料計算書(紙)",
        "保証料請求先",
        "本店経理部",
        "請負者(指定なし)",  # the contract guarantee's billing address was left empty
        "今年度対象額の区分",
        "支払限度額",
        "30,000,000円",
        "再預託を利用する",
        "〇〇銀行　渋川支店",
        "12,000,000円(40.0%)",  # of the this-year amount
        "5,000,000円(10.0%)",
        "送信者",
        alice.full_name,
        "電子保証発行完了のお知らせ",
        "soumu@example.jp",
        "工事部",
        "課長",
        "よろしくお願いします。",
    ]:
        assert shown in page, shown
    assert page.count("希望する") >= 2 and "希望しない" in page


def test_the_list_opens_on_the_work_to_do(client, gunma_staff, alice, gunma):
    login_verified_staff(client, gunma_staff)
    for status in ["sent", "reviewing", "returned", "withdrawn", "completed"]:
        application = make_sent_application(alice, branch=gunma, works_name=f"{status}の工事")
        Application.objects.filter(pk=application.pk).update(status=status)
    html = client.get(CHANGELIST).content.decode()
    assert "sentの工事" in html and "reviewingの工事" in html
    for hidden in ["returnedの工事", "withdrawnの工事", "completedの工事"]:
        assert hidden not in html
    assert "要対応(送信済・審査中)" in html and 'href="?status=all"' in html
    everything = client.get(CHANGELIST, {"status": "all"}).content.decode()
    assert all(f"{s}の工事" in everything for s in ["sent", "withdrawn", "completed"])
    # A search looks through every status: a number typed is found whatever became of it.
    assert "withdrawnの工事" in client.get(CHANGELIST, {"q": "withdrawn"}).content.decode()
    returned = client.get(CHANGELIST, {"status": "returned"}).content.decode()
    assert "returnedの工事" in returned and "sentの工事" not in returned


def test_the_list_keeps_works_name_and_sent_time_readable(client, gunma_staff, alice, gunma):
    login_verified_staff(client, gunma_staff)
    make_sent_application(alice, branch=gunma, sent_at=timezone.now())
    html = client.get(CHANGELIST).content.decode()
    assert re.search(r'<td class="field-sent_at_display[^"]*">\d{4}-\d\d-\d\d \d\d:\d\d</td>', html)
    assert "/static/css/admin.css" in html
    assert 'id="nav-sidebar"' not in html  # the whole width for the table


def test_the_header_greets_staff_by_name(client, gunma_staff, groups):
    login_verified_staff(client, gunma_staff)
    html = client.get(CHANGELIST).content.decode()
    assert f"<strong>{gunma_staff.full_name}</strong> さん" in html
    assert gunma_staff.email not in html
    nameless = UserFactory(email="nameless@example.jp", full_name="", contractor=None)
    nameless.is_staff = True
    nameless.save()
    login_verified_staff(client, nameless)
    assert "<strong>nameless@example.jp</strong> さん" in client.get("/admin/").content.decode()


def test_the_csv_export_writes_no_formula(client, gunma_staff, alice, gunma):
    import csv
    import io

    login_verified_staff(client, gunma_staff)
    alice.contractor.name = "+cmd|' /C calc'!A0"
    alice.contractor.save()
    application = make_sent_application(
        alice,
        branch=gunma,
        works_name='=HYPERLINK("http://evil.example/","詳細")',
        obligee=ObligeeFactory(name="@SUM(1+1)"),
    )
    Guarantee.objects.filter(application=application).update(number="-2+3")
    response = client.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [application.pk]}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    cell = dict(zip(header, row, strict=True))
    assert cell["工事名"] == '\'=HYPERLINK("http://evil.example/","詳細")'
    assert cell["請負者"] == "'+cmd|' /C calc'!A0"
    assert cell["発注者"] == "'@SUM(1+1)"
    assert cell["保証契約番号"] == "'-2+3"
    assert cell["請負金額"] == "50000000" and cell["申込番号"] == application.number
    for value in row:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


@pytest.mark.parametrize("term", ["護岸", "ゴガン", "50%", "a_b", "a\\b", "'; --", "Ｂ", "b"])
def test_the_search_finds_companies_as_contains_does(term):
    """The admin's search matches contractors by name or kana and obligees by name, what
    `__contains` finds (wildcards and the escape character are text), in one query."""
    for name, kana in [
        ("護岸建設", "ゴガンケンセツ"),
        ("50%建設", "ゴジュウ"),
        ("50円建設", "ゴジュウエン"),
        ("a_b工業", "エービー"),
        ("axb工業", "エーエックス"),
        ("a\\b組", "エー"),
        ("Ｂ商事", "ビー"),
        ("B商事", "ビー"),
    ]:
        ContractorFactory(name=name, kana=kana)
        ObligeeFactory(name=f"{name}市")
    with CaptureQueriesContext(connection) as queries:
        contractors, obligees = companies_named(term)
    assert len(queries) == 1
    by_name = Contractor.objects.filter(Q(name__contains=term) | Q(kana__contains=term))
    assert sorted(contractors) == sorted(by_name.values_list("pk", flat=True))
    assert sorted(obligees) == sorted(
        Obligee.objects.filter(name__contains=term).values_list("pk", flat=True)
    )
    assert contractors or obligees or term in {"'; --"}
