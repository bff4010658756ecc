"""Branch staff process an application in the admin while the contractor follows it (SPEC §4).

Staff sign in with a password and an authenticator code, accept and return the application;
the contractor corrects and re-sends it; staff approve; the contractor sees number, status and fee.
"""

import re
from unittest import mock

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.groups import BRANCH_STAFF, HEAD_OFFICE, ensure_staff_groups
from applications import services
from applications.models import Application
from fees.demo import load_demo_fee_tables
from guarantees.models import Guarantee
from tests.browser.conftest import admin_sign_in, sign_in
from tests.factories import (
    PERIOD_END_DAY,
    ApplicationFactory,
    ElectronicObligeeFactory,
    GuaranteeFactory,
    UserFactory,
    days_from_today,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def sent(contractor_user, branch) -> Application:
    """An application the contractor has sent to `branch`."""
    application = ApplicationFactory(
        contractor=contractor_user.contractor,
        created_by=contractor_user,
        branch=branch,
        obligee=ElectronicObligeeFactory(name="渋川市"),
        notify_email=contractor_user.email,
        # A typical name, fixed: the factory's sequence grows with the tests run before this one.
        works_name="市道12号線道路改良工事",
    )
    GuaranteeFactory(application=application, amount=20_000_000)
    return services.application_submit(application_id=application.pk, user=contractor_user)


@pytest.fixture
def staff(branch):
    ensure_staff_groups()
    user = UserFactory(
        email="staff-gunma@example.jp", contractor=None, is_staff=True, branch=branch
    )
    user.groups.add(Group.objects.get(name=BRANCH_STAFF))
    return user


def admin_page(new_context, user) -> Page:
    """`user` signed in to the admin with password and authenticator code, at 1366 px."""
    page = new_context(viewport={"width": 1366, "height": 768}).new_page()
    admin_sign_in(page, user)
    return page


@pytest.fixture
def staff_page(new_context, live_server, staff) -> Page:
    """Staff signed in to the admin with password and authenticator code."""
    return admin_page(new_context, staff)


def assert_list_legible(
    page: Page, application: Application, columns=("works_name", "sent_at_display")
) -> None:
    """`columns` (工事名 and 送信日時) of the row on one line and whole; the table inside the
    window."""
    row = page.get_by_role("row").filter(has_text=application.number)
    for column in columns:
        cell = row.locator(f"td.field-{column}")
        # One line box for the text: not wrapped (the cell itself is as tall as its row).
        lines = "c => { const r = document.createRange(); r.selectNodeContents(c); "
        lines += "return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"
        assert cell.evaluate(lines) == 1, column
        assert cell.evaluate("c => c.scrollWidth <= c.clientWidth"), column  # not clipped
    table = page.locator("#result_list").bounding_box()
    container = page.locator("#changelist .results").bounding_box()
    assert table["x"] + table["width"] <= container["x"] + container["width"] + 1
    assert container["x"] + container["width"] <= 1366


def open_in_admin(page: Page, application: Application) -> None:
    page.goto("/admin/applications/application/")
    page.get_by_role("link", name=application.number).click()
    expect(page.get_by_role("heading", name=application.number)).to_be_visible()


def test_staff_accept_return_approve_and_the_contractor_follows(
    page: Page, staff_page: Page, contractor_user, sent, screenshot_dir
):
    load_demo_fee_tables()
    sign_in(page, contractor_user)

    # Staff accept, then return with a message.
    open_in_admin(staff_page, sent)
    staff_page.get_by_role("button", name="受付する").click()
    expect(staff_page.get_by_text("を受け付けました(審査中)。")).to_be_visible()
    staff_page.get_by_role("link", name="差し戻す").click()
    staff_page.get_by_label("差戻しの理由(お客様へのお知らせ)").fill("工期(至)は3月31日です。")
    staff_page.get_by_role("button", name="差し戻す").click()
    expect(staff_page.get_by_text("を差し戻しました。")).to_be_visible()

    # The contractor sees it on the dashboard and in the form, corrects and re-sends.
    page.goto("/")
    row = page.get_by_role("row").filter(has_text=sent.number)
    expect(row).to_contain_text("差戻し")
    expect(row).to_contain_text("工期(至)は3月31日です。")
    row.get_by_role("link", name=sent.number).click()
    page.get_by_role("link", name="修正して再送信する").click()
    expect(page.get_by_test_id("return-notice")).to_contain_text("工期(至)は3月31日です。")
    corrected_end = days_from_today(PERIOD_END_DAY + 12)
    page.get_by_label("工期(至)").fill(corrected_end.isoformat())
    page.get_by_role("button", name="確認へ進む").click()
    page.get_by_role("button", name="送信する").click()
    expect(page.get_by_test_id("application-number")).to_have_text(sent.number)

    # Staff accept the corrected application; 承諾 first shows what it will assign.
    open_in_admin(staff_page, sent)
    staff_page.get_by_role("button", name="受付する").click()
    staff_page.get_by_role("link", name="前払金保証を承諾する").click()
    expect(staff_page.get_by_role("heading", name="この前払金保証を承諾しますか")).to_be_visible()
    expect(staff_page.get_by_test_id("number-preview")).to_have_text(
        re.compile(r"B01-\d{4}-000001")
    )
    expect(staff_page.get_by_text("保証料の計算内訳")).to_be_visible()
    fee_shown = staff_page.get_by_test_id("fee-preview").inner_text()
    staff_page.screenshot(path=screenshot_dir / "admin-approve-confirm.png", full_page=True)
    assert Guarantee.objects.get(application=sent).number is None  # looking consumed nothing
    staff_page.get_by_role("button", name="承諾する").click()
    expect(staff_page.locator(".messagelist .success")).to_contain_text(
        "前払金保証を承諾しました(保証契約番号 B01-"
    )
    # Approved: the service refuses a return now, and the page no longer offers one.
    expect(staff_page.get_by_role("link", name="差し戻す")).to_have_count(0)
    staff_page.screenshot(path=screenshot_dir / "admin-approved.png", full_page=True)

    guarantee = Guarantee.objects.get(application=sent)
    assert guarantee.status == Guarantee.Status.APPROVED
    assert re.fullmatch(r"B01-\d{4}-000001", guarantee.number)
    assert fee_shown == f"{guarantee.fee:,}円"
    sent.refresh_from_db()
    assert sent.status == Application.Status.REVIEWING and sent.period_end == corrected_end

    # The contractor sees the number, the status and the fee.
    page.goto("/")
    row = page.get_by_role("row").filter(has_text=sent.number)
    expect(row).to_contain_text(guarantee.number)
    expect(row).to_contain_text("承諾")
    row.get_by_role("link", name=sent.number).click()
    expect(page.get_by_test_id("fee-advance")).to_have_text(f"{guarantee.fee:,}円")
    expect(
        page.get_by_text(f"前払金保証を承諾しました(保証契約番号 {guarantee.number})")
    ).to_be_visible()
    expect(page.get_by_text("営業部・支店から差戻しがありました")).to_be_visible()
    page.screenshot(path=screenshot_dir / "contractor-approved.png", full_page=True)


def test_staff_write_to_the_customer_and_note_internally_apart(
    page: Page, staff_page: Page, staff, contractor_user, sent, screenshot_dir
):
    # The list opens on the work to do, legible at 1366 px, and greets staff by name.
    staff_page.goto("/admin/applications/application/")
    expect(staff_page.locator("#user-tools strong")).to_have_text(staff.full_name)
    assert_list_legible(staff_page, sent)
    staff_page.screenshot(path=screenshot_dir / "admin-list-1366.png", full_page=True)

    open_in_admin(staff_page, sent)
    expect(staff_page.get_by_text("保証料計算書(紙)")).to_be_visible()
    staff_page.screenshot(path=screenshot_dir / "admin-detail-1366.png", full_page=True)
    staff_page.get_by_role("link", name="社内メモを書く").click()
    staff_page.get_by_label("社内メモ").fill("与信枠は確認済み")
    staff_page.get_by_role("button", name="社内メモを記録する").click()
    expect(
        staff_page.get_by_text("社内メモを記録しました(お客様には表示されません)。")
    ).to_be_visible()
    staff_page.get_by_role("link", name="お客様へお知らせを送る").click()
    staff_page.get_by_label("お客様へのお知らせ").fill("契約書の写しをお送りください。")
    staff_page.get_by_role("button", name="お客様へ送る").click()
    expect(staff_page.get_by_text("のお客様へお知らせを送りました。")).to_be_visible()
    expect(staff_page.get_by_text("与信枠は確認済み")).to_be_visible()  # the staff timeline

    sign_in(page, contractor_user)
    page.goto(f"/applications/{sent.pk}/")
    expect(page.get_by_text("契約書の写しをお送りください。")).to_be_visible()
    expect(page.get_by_text("与信枠は確認済み")).to_have_count(0)


@pytest.fixture
def crowded(sent) -> Application:
    """`sent` with what makes a row wide: the longest amounts, two numbered guarantees, a long
    works name and obligee and contractor names without a space."""
    from accounts.models import Contractor
    from obligees.models import Obligee

    Application.objects.filter(pk=sent.pk).update(
        works_name="市道渋川伊香保線道路改良工事(その2)及び附帯工事",
        contract_amount=999_999_999_999,
    )
    Obligee.objects.filter(pk=sent.obligee_id).update(
        name="国土交通省関東地方整備局高崎河川国道事務所"
    )
    Contractor.objects.filter(pk=sent.contractor_id).update(name="株式会社〇〇建設工業技術研究所")
    Guarantee.objects.filter(application=sent).update(
        number="B01-2026-000004", status="approved", amount=399_999_999_999
    )
    GuaranteeFactory(
        application=sent, kind="contract", amount=999_999_999_999, number="B01-2026-000005",
        status="approved",
    )  # fmt: skip
    return sent


@pytest.mark.parametrize("head_office", [False, True])
def test_a_crowded_row_keeps_its_sent_time_inside_the_list_at_1366_px(
    new_context, live_server, staff, crowded, head_office, screenshot_dir
):
    user = staff
    if head_office:
        user = UserFactory(email="honsha@example.jp", contractor=None, is_staff=True)
        user.groups.add(ensure_staff_groups()[HEAD_OFFICE])
    page = admin_page(new_context, user)
    page.goto("/admin/applications/application/")
    # A works name this long wraps; 送信日時 stays whole on one line, inside the list.
    assert_list_legible(page, crowded, columns=["sent_at_display"])
    sent_at = page.locator("td.field-sent_at_display").bounding_box()
    container = page.locator("#changelist .results").bounding_box()
    assert sent_at["x"] + sent_at["width"] <= container["x"] + container["width"] + 1
    name = "head-office" if head_office else "branch"
    page.screenshot(path=screenshot_dir / f"admin-list-crowded-{name}-1366.png", full_page=True)
    assert axe_violations(new_context, page) == []


def test_the_head_office_list_with_its_branch_column_fits_1366_px(
    new_context, live_server, sent, screenshot_dir
):
    head_office = UserFactory(email="honsha@example.jp", contractor=None, is_staff=True)
    head_office.groups.add(ensure_staff_groups()[HEAD_OFFICE])
    page = admin_page(new_context, head_office)
    page.goto("/admin/applications/application/")
    expect(page.locator("th.column-branch")).to_be_visible()
    assert_list_legible(page, sent)
    page.screenshot(path=screenshot_dir / "admin-list-head-office-1366.png", full_page=True)


def test_staff_issue_an_electronic_guarantee_and_the_contractor_shows_its_key(
    page: Page, staff_page: Page, staff, contractor_user, sent, screenshot_dir
):
    from guarantees import keys
    from guarantees import services as guarantee_services
    from tests.factories import PASSWORD

    load_demo_fee_tables()
    Guarantee.objects.filter(application=sent).update(certificate_format="electronic")
    services.application_accept(application_id=sent.pk, user=staff)
    guarantee = Guarantee.objects.get(application=sent)
    guarantee_services.guarantee_approve(guarantee_id=guarantee.pk, user=staff)

    # 発行 asks first, then the worker (in-process here) signs the certificate and makes the key.
    open_in_admin(staff_page, sent)
    staff_page.get_by_role("link", name="前払金保証を発行する").click()
    expect(staff_page.get_by_role("heading", name="この前払金保証を発行しますか")).to_be_visible()
    staff_page.screenshot(path=screenshot_dir / "admin-issue-confirm.png", full_page=True)
    staff_page.get_by_role("button", name="発行する").click()
    # The worker runs in-process here: done before the page is answered, and it says so.
    expect(staff_page.locator(".messagelist .success")).to_contain_text("を発行しました(発行済)")
    expect(staff_page.get_by_test_id("issuance-state-advance")).to_have_count(0)
    expect(staff_page.get_by_role("link", name="前払金保証を発行する")).to_have_count(0)
    certificate = Guarantee.objects.get(pk=guarantee.pk).certificates.get()

    # The contractor sees 発行済 and, after the password, the key.
    sign_in(page, contractor_user)
    row = page.get_by_role("row").filter(has_text=sent.number)
    expect(row).to_contain_text("発行済")
    row.get_by_role("link", name="認証キー").click()
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    shown = keys.display_key(keys.decrypt_key(certificate.key_encrypted))
    expect(page.get_by_text(shown)).to_be_visible()
    page.screenshot(path=screenshot_dir / "contractor-key.png", full_page=True)


def axe_violations(new_context, page: Page) -> list[str]:
    """axe-core on what `page` shows, at 1366 × 768 and on a 390 × 844 phone, opened again in the
    same session in a context that lets axe inject the styles it needs (the admin's CSP refuses
    them; the flows around check the CSP)."""
    found = []
    for width, height in [(1366, 768), (390, 844)]:
        context = new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        context.add_cookies(page.context.cookies())
        copy = context.new_page()
        copy.goto(page.url)
        found += [
            f"{width}px {v['id']} ({v['impact']}): {v['nodes'][0]['html'][:120]}"
            for v in Axe().run(copy).response["violations"]
        ]
    return found


@pytest.fixture
def approved_electronic(sent, staff) -> Guarantee:
    from guarantees import services as guarantee_services

    load_demo_fee_tables()
    Guarantee.objects.filter(application=sent).update(certificate_format="electronic")
    services.application_accept(application_id=sent.pk, user=staff)
    guarantee = Guarantee.objects.get(application=sent)
    guarantee_services.guarantee_approve(guarantee_id=guarantee.pk, user=staff)
    return Guarantee.objects.get(pk=guarantee.pk)


def test_the_page_shows_issuance_pending_and_updates_itself_once_issued(
    new_context, staff_page: Page, sent, approved_electronic, screenshot_dir
):
    from guarantees import issuance, tasks

    open_in_admin(staff_page, sent)
    staff_page.get_by_role("link", name="前払金保証を発行する").click()
    # A worker elsewhere: the task is queued, not run, when the page answers.
    with mock.patch.object(tasks.issue_certificate, "delay"):
        staff_page.get_by_role("button", name="発行する").click()
        expect(staff_page.locator(".messagelist .success")).to_contain_text("(発行処理中)")
    state = staff_page.get_by_test_id("issuance-state-advance")
    expect(state).to_have_text("発行処理中")
    expect(staff_page.get_by_text("この画面が自動で更新されます")).to_be_visible()
    staff_page.screenshot(path=screenshot_dir / "admin-issuance-pending.png", full_page=True)
    assert axe_violations(new_context, staff_page) == []

    issuance.certificate_issue(approved_electronic.pk)  # the worker finishes
    # No reload by hand: the page notices and shows 発行済 with the certificate.
    expect(state).to_have_count(0, timeout=15_000)
    guarantee_block = staff_page.locator(".field-advance_detail")
    expect(guarantee_block).to_contain_text("発行済")
    expect(guarantee_block).to_contain_text("保証証書 第1版")


def test_a_failed_issuance_shows_why_and_is_tried_again(
    new_context, staff_page: Page, staff, sent, approved_electronic, screenshot_dir
):
    from guarantees import issuance, tasks

    with mock.patch.object(tasks.issue_certificate, "delay"):
        issuance.issue_request(guarantee_id=approved_electronic.pk, user=staff)
    issuance.issuance_failed(
        approved_electronic.pk, error=RuntimeError("署名用の鍵ファイルが見つかりません")
    )
    open_in_admin(staff_page, sent)
    expect(staff_page.get_by_test_id("issuance-state-advance")).to_have_text("発行失敗")
    expect(staff_page.locator(".nd-issuance-reason")).to_have_text(
        "理由: RuntimeError: 署名用の鍵ファイルが見つかりません"
    )
    staff_page.screenshot(path=screenshot_dir / "admin-issuance-failed.png", full_page=True)
    assert axe_violations(new_context, staff_page) == []

    staff_page.get_by_role("button", name="前払金保証の再発行を試みる").click()
    expect(staff_page.locator(".messagelist .success")).to_contain_text("を発行しました(発行済)")
    expect(staff_page.get_by_test_id("issuance-state-advance")).to_have_count(0)
    expect(staff_page.get_by_role("button", name="前払金保証の再発行を試みる")).to_have_count(0)
    expect(staff_page.locator(".field-audit_timeline")).to_contain_text("RuntimeError")
    assert Guarantee.objects.get(pk=approved_electronic.pk).status == Guarantee.Status.ISSUED


def test_the_home_page_opens_on_the_work_queue(
    new_context, live_server, staff, sent, approved_electronic, screenshot_dir
):
    """業務メニュー: what waits for the branch, with counts; a count's link opens its list."""
    from guarantees import issuance, tasks

    with mock.patch.object(tasks.issue_certificate, "delay"):
        issuance.issue_request(guarantee_id=approved_electronic.pk, user=staff)
    issuance.issuance_failed(approved_electronic.pk, error=RuntimeError("鍵がありません"))
    page = admin_page(new_context, staff)  # signed in: on the home page
    queue = page.locator(".nd-work-queue")
    expect(queue).to_contain_text("要対応の手続(前橋支店)")
    expect(page.get_by_test_id("queue-sent")).to_have_text("0件")
    expect(page.get_by_test_id("queue-reviewing")).to_have_text("1件")
    expect(page.get_by_test_id("queue-failed")).to_have_text("1件")
    page.screenshot(path=screenshot_dir / "admin-home-work-queue-1366.png", full_page=True)
    assert axe_violations(new_context, page) == []
    queue.get_by_role("link", name="発行失敗").click()
    expect(page.get_by_role("row").filter(has_text=sent.number)).to_be_visible()
    expect(page.locator("#changelist-filter .selected")).to_contain_text(["すべて", "発行失敗"])


def test_the_amendment_and_cancellation_pages_read_typed_dates_accessibly(
    new_context, staff_page: Page, staff, sent, approved_electronic, screenshot_dir
):
    """変更 and 解約 take dates as a person types them (和暦 too), and pass axe at both widths."""
    from guarantees import issuance, tasks

    with mock.patch.object(tasks.issue_certificate, "delay"):
        issuance.issue_request(guarantee_id=approved_electronic.pk, user=staff)
    issuance.certificate_issue(approved_electronic.pk)
    base = f"/admin/applications/application/{sent.pk}/guarantees/{approved_electronic.pk}"
    staff_page.goto(f"{base}/amend/")
    expect(staff_page.get_by_role("button", name=re.compile("確認"))).to_be_visible()
    assert axe_violations(new_context, staff_page) == []
    staff_page.goto(f"{base}/cancel/")
    date_box = staff_page.get_by_label(re.compile("解約日"))
    # Issued today, so today is the one date a cancellation may take: typed in 和暦.
    today = timezone.localdate()
    date_box.fill(f"R{today.year - 2018}.{today.month}.{today.day}")
    expect(staff_page.locator(".nd-wareki")).to_contain_text(
        f"令和{today.year - 2018}年{today.month}月{today.day}日"
    )
    staff_page.screenshot(path=screenshot_dir / "admin-cancel-date.png", full_page=True)
    assert axe_violations(new_context, staff_page) == []
