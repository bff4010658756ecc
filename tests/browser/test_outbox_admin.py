"""通知メール in the admin as head office sees it at 1366 px."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.groups import HEAD_OFFICE, ensure_staff_groups
from notifications.models import OutboxMessage
from tests.browser.conftest import admin_sign_in
from tests.factories import OutboxMessageFactory, UserFactory

pytestmark = pytest.mark.browser

LONG_ERROR = (
    "SMTPRecipientsRefused: {'tanaka.ichiro@example-kensetsu.co.jp': (550, b'5.1.1 "
    "<tanaka.ichiro@example-kensetsu.co.jp>: Recipient address rejected: User unknown in "
    "virtual mailbox table')}"
)


def test_head_office_finds_a_failed_e_mail_and_resends_it(new_context, live_server, screenshot_dir):
    head_office = UserFactory(email="honsha@example.jp", contractor=None, is_staff=True)
    head_office.groups.add(ensure_staff_groups()[HEAD_OFFICE])
    failed = OutboxMessageFactory(
        recipient="tanaka.ichiro@example-kensetsu.co.jp",
        template="guarantee_approved",
        status=OutboxMessage.Status.FAILED,
        attempts=1,
        last_error=LONG_ERROR,
    )
    OutboxMessageFactory.create_batch(
        3, status=OutboxMessage.Status.SENT, attempts=1, sent_at=timezone.now()
    )
    page = new_context(viewport={"width": 1366, "height": 768}).new_page()
    admin_sign_in(page, head_office)
    page.get_by_role("link", name="通知メール").click()
    page.get_by_role("link", name="送信失敗").click()

    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("tanaka.ichiro@example-kensetsu.co.jp")
    # Every column, the last (送信日時) included, inside the window: no scrolling sideways.
    table = page.locator("#result_list").bounding_box()
    container = page.locator("#changelist .results").bounding_box()
    assert table["x"] + table["width"] <= container["x"] + container["width"] + 1
    assert container["x"] + container["width"] <= 1366
    expect(page.locator("th.column-sent_at")).to_be_in_viewport()
    page.screenshot(path=screenshot_dir / "admin-outbox-1366.png", full_page=True)

    rows.first.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("retry_selected")
    page.get_by_role("button", name="実行").click()
    expect(page.get_by_text("1件のメールを再送信します。")).to_be_visible()
    failed.refresh_from_db()
    assert failed.status == OutboxMessage.Status.SENT  # in-process here: sent at once
