"""/verify/ in a browser: a tampered file's answer reads as a danger, and stays accessible."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from guarantees.signing import sign_pdf
from tests.factories import sample_pdf
from tests.guarantees.pdfs import flip_byte_in_signed_range

pytestmark = pytest.mark.browser


def test_a_tampered_file_is_shown_as_a_danger(page: Page, live_server, tmp_path):
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(flip_byte_in_signed_range(sign_pdf(sample_pdf())))
    page.goto("/verify/")
    expect(page.get_by_text("/api/verify/")).to_have_count(0)
    page.locator("#id_file").set_input_files(tampered)
    page.get_by_role("button", name="確認する").click()

    verdict = page.get_by_role("status")
    expect(verdict).to_contain_text("署名が無効です。ファイルが改ざんされています")
    expect(verdict).to_have_css("background-color", "rgb(248, 215, 218)")  # danger, not grey
    expect(page.get_by_test_id("signature")).to_have_text("無効")
    expect(page.get_by_test_id("timestamp")).not_to_contain_text("有効")
    assert Axe().run(page).response["violations"] == []
