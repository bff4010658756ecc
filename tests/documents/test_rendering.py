"""The PDF documents as a reader sees them: the text, the fonts, the QR codes, the notice's data."""

import datetime
import json
import os
from urllib.parse import parse_qs

import pytest
from weasyprint import HTML, Attachment

from core.wareki import era_date
from fees.display import breakdown_rows
from guarantees import rendering
from guarantees.keys import display_key, new_key
from tests.documents.conftest import ISSUED_ON

pytestmark = pytest.mark.django_db

VERIFY_URL = "https://netdesk.example.jp/verify/Q2hhbmdlTWVQbGVhc2UxMjM0/"


@pytest.fixture
def advance(make_approved):
    return make_approved(
        amount=20_000_000, deposit_bank="〇〇銀行　××支店", certificate_format="electronic"
    )


@pytest.fixture
def key():
    return display_key(new_key())


def test_the_certificate_states_every_field_in_japanese(advance, snapshot_of, pdf_text):
    snapshot = snapshot_of(advance)
    text = pdf_text(rendering.render_certificate(snapshot, verify_url=VERIFY_URL))
    works = snapshot["works"]
    for expected in [
        "前払金保証証書",
        "被保証者渋川市長様",
        f"保証契約番号{advance.number}",
        "第1版",
        "群馬県渋川市石原80番地",
        "〇〇建設株式会社",
        "代表取締役山田一郎",
        "市道1号線道路改良工事",
        "渋川市石原地内",
        "金50,000,000円",
        "保証金額金20,000,000円",
        "預託金融機関〇〇銀行××支店",
        f"発行日{era_date(ISSUED_ON)}",
        "令和8年11月24日",
        f"{era_date(_iso(works['period_start']))}から{era_date(_iso(works['period_end']))}まで",
        "ネットデスク建設業保証株式会社",
        "代表取締役社長保証一郎",
        "群馬支店",
        "電子保証証書",
        VERIFY_URL,
    ]:
        assert expected in text


def test_a_contract_guarantee_has_its_own_title_and_no_deposit_bank(
    make_approved, snapshot_of, pdf_text
):
    contract = make_approved(kind="contract", amount=5_000_000)
    text = pdf_text(rendering.render_certificate(snapshot_of(contract), verify_url=VERIFY_URL))
    assert "契約保証証書" in text and "前払金保証証書" not in text
    assert "保証金額金5,000,000円" in text
    assert "預託金融機関" not in text
    assert "契約保証約款" in text


def test_a_paper_certificate_is_marked_for_printing_by_the_branch(
    make_approved, snapshot_of, pdf_text
):
    paper = make_approved(certificate_format="paper")
    text = pdf_text(rendering.render_certificate(snapshot_of(paper), verify_url=VERIFY_URL))
    assert "証書(紙)・群馬支店印刷用" in text
    assert "群馬支店が印刷し交付する書面の保証証書" in text
    assert "本証書は電子保証証書です" not in text


def test_a_later_version_says_which_it_replaces(advance, snapshot_of, pdf_text):
    text = pdf_text(
        rendering.render_certificate(snapshot_of(advance, version=2), verify_url=VERIFY_URL)
    )
    assert "第2版" in text and "第1版の証書に代わるもの" in text


def test_documents_embed_the_ipaex_fonts_and_fit_one_page(
    advance, snapshot_of, key, pdf_fonts, pdf_pages
):
    snapshot = snapshot_of(advance)
    for pdf in [
        rendering.render_certificate(snapshot, verify_url=VERIFY_URL),
        rendering.render_key_notice(snapshot, key=key, verify_url=VERIFY_URL),
        rendering.render_fee_statement(snapshot, advance.fee_breakdown),
    ]:
        fonts = pdf_fonts(pdf)
        assert fonts["IPAexMincho"] is True
        assert all(fonts.values()), fonts  # nothing left to the reader's own fonts
        # IPAex, and DejaVu Sans Mono for the key a clerk types from the notice.
        families = {name.partition("-")[0] for name in fonts if not name.startswith("DejaVu-")}
        assert families <= {"IPAexMincho", "IPAexGothic"}
        assert {name for name in fonts if name.startswith("DejaVu-")} <= {"DejaVu-Sans-Mono-Bold"}
        assert pdf_pages(pdf) == 1


def test_the_certificate_qr_code_is_its_verification_address(advance, snapshot_of, qr_codes):
    pdf = rendering.render_certificate(snapshot_of(advance), verify_url=VERIFY_URL)
    assert qr_codes(pdf) == [VERIFY_URL]


def test_snapshot_text_is_printed_as_text_not_markup(advance, snapshot_of, pdf_text):
    snapshot = snapshot_of(advance)
    snapshot["works"]["name"] = '<img src="file:///etc/passwd">道路工事'
    text = pdf_text(rendering.render_certificate(snapshot, verify_url=VERIFY_URL))
    assert '<imgsrc="file:///etc/passwd">道路工事' in text


# The handover notice (認証キー等のお知らせ)


def test_the_notice_prints_number_key_and_how_to_receive(
    advance, snapshot_of, key, pdf_text, settings
):
    settings.SITE_URL = "https://netdesk.example.jp"
    pdf = rendering.render_key_notice(snapshot_of(advance), key=key, verify_url=VERIFY_URL)
    text = pdf_text(pdf)
    for expected in [
        "電子保証証書閲覧用『認証キー』等のお知らせ",
        f"保証契約番号{advance.number}",
        f"認証キー{key}",
        "渋川市長様",
        "市道1号線道路改良工事",
        f"証書の発行日{era_date(ISSUED_ON)}",
        "発注者の利用者としてログイン",
        "「電子保証の受領」",
        "このPDFファイルを受領画面にドロップ",
        "https://netdesk.example.jp/obligee/receive/",
    ]:
        assert expected in text


def test_the_notice_qr_code_opens_the_receive_page_with_number_and_key_in_the_fragment(
    advance, snapshot_of, key, qr_codes, settings
):
    settings.SITE_URL = "https://netdesk.example.jp"
    pdf = rendering.render_key_notice(snapshot_of(advance), key=key, verify_url=VERIFY_URL)
    [content] = qr_codes(pdf)
    page, _, fragment = content.partition("#")
    assert page == "https://netdesk.example.jp/obligee/receive/"
    # Form-encoded, as URLSearchParams reads it: a check symbol may be *, ~, $ or =.
    assert parse_qs(fragment) == {"n": [advance.number], "k": [key]}


def test_check_symbols_that_urls_reserve_survive_the_receive_url():
    for key in ["AAAA-BBBB-CCCC-DDDD-=", "AAAA-BBBB-CCCC-DDDD-$", "AAAA-BBBB-CCCC-DDDD-*"]:
        fragment = rendering.receive_url("GM-2026-000001", key).partition("#")[2]
        assert parse_qs(fragment)["k"] == [key]


def test_read_key_notice_gives_back_number_and_key(advance, snapshot_of, key):
    pdf = rendering.render_key_notice(snapshot_of(advance), key=key, verify_url=VERIFY_URL)
    assert rendering.read_key_notice(pdf) == (advance.number, key)


def test_read_key_notice_finds_nothing_in_a_certificate(advance, snapshot_of):
    pdf = rendering.render_certificate(snapshot_of(advance), verify_url=VERIFY_URL)
    assert rendering.read_key_notice(pdf) is None


def _notice_with(record) -> bytes:
    """A PDF that carries an attachment of our name with `record` (not one we rendered)."""
    content = record if isinstance(record, str) else json.dumps(record)
    return HTML(string="<p>x</p>").write_pdf(
        attachments=[Attachment(string=content, name=rendering.NOTICE_ATTACHMENT)]
    )


@pytest.mark.parametrize(
    "record",
    [
        "not json",
        "[]",
        {"schema": "other/1", "number": "GM-2026-000001", "key": "valid"},
        {"schema": rendering.NOTICE_SCHEMA, "number": "GM-2026-000001"},
        {"schema": rendering.NOTICE_SCHEMA, "number": "GM-2026-000001", "key": "0000-0000"},
        {"schema": rendering.NOTICE_SCHEMA, "number": "<script>", "key": "valid"},
        {"schema": rendering.NOTICE_SCHEMA, "number": 12, "key": "valid"},
    ],
)
def test_read_key_notice_refuses_a_forged_or_malformed_attachment(record, key):
    if isinstance(record, dict) and record.get("key") == "valid":
        record["key"] = key
    assert rendering.read_key_notice(_notice_with(record)) is None


def test_read_key_notice_accepts_a_well_formed_attachment_and_normalises_the_key(key):
    typed = key.lower().replace("-", " ")
    record = {"schema": rendering.NOTICE_SCHEMA, "number": "GM-2026-000001", "key": typed}
    assert rendering.read_key_notice(_notice_with(record)) == ("GM-2026-000001", key)


def test_read_key_notice_never_raises_on_garbage(advance, snapshot_of, key):
    notice = rendering.render_key_notice(snapshot_of(advance), key=key, verify_url=VERIFY_URL)
    garbage = [
        b"",
        os.urandom(4096),
        b"%PDF-1.7\n" + os.urandom(4096),
        notice[: len(notice) // 2],
        notice[:-200],
        b"%PDF-1.7\n" + b"0" * (rendering.MAX_NOTICE_BYTES + 1),
        "a string, not bytes",
        None,
    ]
    for upload in garbage:
        assert rendering.read_key_notice(upload) is None


# The fee statement (保証料計算書)


def test_the_fee_statement_shows_each_step_and_the_tax_exempt_fee(advance, snapshot_of, pdf_text):
    breakdown = advance.fee_breakdown
    text = pdf_text(rendering.render_fee_statement(snapshot_of(advance), breakdown))
    assert "保証料計算書" in text
    assert f"保証契約番号{advance.number}" in text
    assert "〇〇建設株式会社御中" in text
    rows = breakdown_rows(breakdown, format_date=lambda iso: era_date(_iso(iso)))
    assert len(rows) >= 8  # tiers, base, period, factor, rounding, minimum, fee
    for row in rows:
        assert f"{row.label}{row.detail}{row.value}".replace(" ", "") in text
    assert f"保証料金{advance.fee:,}円(非課税)" in text
    assert "令和" in rows[len(breakdown["tiers"]) + 1].detail  # the period in era dates


def _iso(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def test_the_notice_prints_the_key_large_in_a_face_where_0_and_o_differ(
    advance, snapshot_of, pdf_fonts, tmp_path
):
    import re
    import subprocess

    key = display_key("00111001ZP24W8RT")
    pdf = rendering.render_key_notice(snapshot_of(advance), key=key, verify_url=VERIFY_URL)
    # DejaVu Sans Mono: a dot in the 0, a flag and foot on the 1; only the key is set in it.
    assert any(name.startswith("DejaVu-Sans-Mono") for name in pdf_fonts(pdf))
    (tmp_path / "notice.pdf").write_bytes(pdf)
    words = subprocess.run(
        ["pdftotext", "-bbox", str(tmp_path / "notice.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    heights = {
        word: float(y_max) - float(y_min)
        for y_min, y_max, word in re.findall(
            r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]+)</word>', words
        )
    }
    assert heights[key] >= 1.5 * heights[advance.number]
    assert "数字の0(ゼロ)は中に点のある字です。" in "".join(heights).replace(" ", "")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("works", "contract_date"), "0001-01-01", "契約日(0001-01-01)を和暦で表せないため"),
        (("works", "period_start"), "", "工期(自)がないため、保証証書を作成できません。"),
        (("guarantee_period", "end"), "2026-02-30", "保証期間(至)(2026-02-30)を和暦で表せない"),
    ],
)
def test_a_certificate_with_a_date_it_cannot_print_is_refused_before_rendering(
    advance, snapshot_of, key, path, value, message
):
    snapshot = snapshot_of(advance)
    parent = snapshot
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    for render in (
        lambda: rendering.render_certificate(snapshot, verify_url=VERIFY_URL),
        lambda: rendering.render_key_notice(snapshot, key=key, verify_url=VERIFY_URL),
    ):
        with pytest.raises(rendering.DocumentError) as refused:
            render()
        assert message in refused.value.message
