"""The documents as PDFs: the certificate (保証証書), its handover notice (認証キー等のお知らせ)
and the fee statement (保証料計算書), each from a frozen snapshot (guarantees.snapshot).

WeasyPrint renders plain HTML templates (templates/documents/) with one stylesheet. The font
configuration and the parsed stylesheet are made once per process: building them is a good part of
a cold render, and the worker renders many documents. The documents are Japanese legal documents
and are rendered in Japanese whatever the reader's language.

The handover notice carries the guarantee number and key for machines too: in its QR code (the
obligee's receive page, number and key in the URL fragment, which browsers never send to a server)
and as an embedded JSON file, which read_key_notice() reads back from an uploaded PDF. An embedded
file rather than document metadata: it is one typed record under our own name and schema, so it
cannot be confused with the title/subject/keywords that viewers display and let people edit, and it
is the PDF/A-3 way to carry data with a document (an associated file, relationship Data).
"""

import datetime
import io
import json
import re
from collections.abc import Iterable
from functools import cache
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint import CSS, HTML, Attachment, URLFetcher
from weasyprint.text.fonts import FontConfiguration

from core.wareki import era_date
from fees.display import breakdown_rows
from guarantees.keys import InvalidKey, display_key, parse_key

STYLESHEET = settings.BASE_DIR / "templates" / "documents" / "documents.css"
NOTICE_ATTACHMENT = "netdesk-key-notice.json"
NOTICE_SCHEMA = "netdesk.key-notice/1"
# A notice is about 100 KB; anything far larger is not one and is not parsed at all.
MAX_NOTICE_BYTES = 5 * 1024 * 1024
# Our guarantee numbers (GM-2026-000123) and nothing much longer, so a forged attachment cannot
# smuggle arbitrary text into the receive form.
_NUMBER = re.compile(r"[A-Z0-9]{1,8}-\d{4}-\d{6}")


@cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


@cache
def _stylesheet() -> CSS:
    return CSS(filename=str(STYLESHEET), font_config=_fonts())


@cache
def _fetcher() -> URLFetcher:
    """Only inline data (the QR codes): a document never loads anything from the network or
    the disk, whatever a snapshot value contains."""
    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def _render(template: str, context: dict, *, attachments: Iterable[Attachment] = ()) -> bytes:
    with translation.override("ja"):
        html = render_to_string(template, context)
    return write_pdf(html, attachments=attachments)


def write_pdf(html: str, *, attachments: Iterable[Attachment] = ()) -> bytes:
    """A document's HTML as PDF, with the documents' stylesheet and fonts."""
    return HTML(string=html, url_fetcher=_fetcher()).write_pdf(
        stylesheets=[_stylesheet()],
        font_config=_fonts(),
        attachments=list(attachments),
        uncompressed_pdf=False,
    )


def qr_data_uri(content: str) -> str:
    """A QR code of `content` as an SVG data URI (error correction M: a printed and scanned
    or photographed page still reads)."""
    return segno.make(content, error="m", micro=False).svg_data_uri(border=0)


def seal_columns(text: str, *, per_column: int = 5) -> list[list[str]]:
    """The characters of a square seal (角印) as table rows: read top to bottom, columns right to
    left, as a Japanese seal is; a shorter last column is spread over the column's height."""
    columns = []
    for start in range(0, len(text), per_column):
        chars = text[start : start + per_column]
        column = ["\u3000"] * per_column
        for index, char in enumerate(chars):
            column[round((index + 0.5) * per_column / len(chars) - 0.5)] = char
        columns.append(column)
    return [[column[row] for column in reversed(columns)] for row in range(per_column)]


# The dates a certificate and its handover notice state, with the labels the documents print.
STATED_DATES = (
    (("works", "contract_date"), "契約日"),
    (("works", "period_start"), "工期(自)"),
    (("works", "period_end"), "工期(至)"),
    (("guarantee_period", "start"), "保証期間(自)"),
    (("guarantee_period", "end"), "保証期間(至)"),
    (("issued_on",), "発行日"),
)


class DocumentError(ValueError):
    """A document cannot state what its snapshot holds (a date with no era form, a missing
    date); `message` says which value, for the staff member who asked for it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def date_problem(snapshot: dict) -> str | None:
    """Why the certificate of `snapshot` cannot be made, or None: every date it states must be
    there and have a Japanese-era form. Checked before rendering (so before anything is signed):
    a certificate printing 「工期 から令和9年3月17日まで」 is worse than none."""
    for path, label in STATED_DATES:
        value: Any = snapshot
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if not value:
            return gettext("%(label)sがないため、保証証書を作成できません。") % {"label": label}
        try:
            era_date(_date(value))
        except (TypeError, ValueError):
            return gettext(
                "%(label)s(%(value)s)を和暦で表せないため、保証証書を作成できません。"
                "申込内容の日付をご確認ください。"
            ) % {"label": label, "value": value}
    return None


def _common(snapshot: dict) -> dict:
    problem = date_problem(snapshot)
    if problem is not None:
        raise DocumentError(problem)
    return {
        "s": snapshot,
        "seal": seal_columns(snapshot["company"]["name"] + "之印"),
        "issued_on": era_date(_date(snapshot["issued_on"])),
    }


def render_certificate(snapshot: dict, *, verify_url: str) -> bytes:
    """保証証書: every value the certificate states, the company's seal block, and a QR code of
    its public verification address (printed under it too)."""
    return write_pdf(certificate_html(snapshot, verify_url=verify_url))


def certificate_html(snapshot: dict, *, verify_url: str) -> str:
    context = {
        **_common(snapshot),
        "verify_url": verify_url,
        "verify_qr": qr_data_uri(verify_url),
        "paper": snapshot["certificate_format"] == "paper",
    }
    with translation.override("ja"):
        return render_to_string("documents/certificate.html", context)


def receive_url(number: str, key: str) -> str:
    """The obligee's receive page with number and key in the fragment (kept out of server logs)."""
    return f"{settings.SITE_URL}/obligee/receive/#{urlencode({'n': number, 'k': key})}"


def render_key_notice(snapshot: dict, *, key: str, verify_url: str) -> bytes:
    """「電子保証証書閲覧用『認証キー』等のお知らせ」: the page the contractor hands the obligee,
    with the number and key printed, in a QR code and in an embedded JSON file."""
    url = receive_url(snapshot["number"], key)
    record = {
        "schema": NOTICE_SCHEMA,
        "number": snapshot["number"],
        "key": key,
        "version": snapshot["version"],
        "obligee_code": snapshot["obligee"]["code"],
    }
    attachment = Attachment(
        string=json.dumps(record, ensure_ascii=False),
        name=NOTICE_ATTACHMENT,
        description="保証契約番号と認証キー",
        relationship="Data",
    )
    context = {
        **_common(snapshot),
        "key": key,
        "verify_url": verify_url,
        "receive_url": url,
        "receive_qr": qr_data_uri(url),
        "receive_page": f"{settings.SITE_URL}/obligee/receive/",
    }
    return _render("documents/key_notice.html", context, attachments=[attachment])


def render_fee_statement(snapshot: dict, breakdown: dict) -> bytes:
    """保証料計算書: each step of the computation (the words of the portal's breakdown, dates in
    the Japanese era), the fee and that it is tax exempt."""
    with translation.override("ja"):
        rows = breakdown_rows(breakdown, format_date=lambda iso: era_date(_date(iso)))
    context = {
        **_common(snapshot),
        "breakdown": breakdown,
        "rows": rows,
        "computed_on": era_date(_date(breakdown["computed_on"])),
        "effective_from": era_date(_date(breakdown["effective_from"])),
    }
    return _render("documents/fee_statement.html", context)


def read_key_notice(pdf: bytes) -> tuple[str, str] | None:
    """(number, key) from a handover notice's embedded data, or None for anything else: not a
    PDF, a damaged or truncated one, a PDF without our attachment, or an attachment whose number
    or key is not well-formed. Never raises: obligees upload whatever they have."""
    if not isinstance(pdf, bytes | bytearray) or not pdf.startswith(b"%PDF-"):
        return None
    if len(pdf) > MAX_NOTICE_BYTES:
        return None
    try:
        record = json.loads(_attachment(PdfFileReader(io.BytesIO(pdf), strict=False)))
        number, key = record["number"], record["key"]
        if record.get("schema") != NOTICE_SCHEMA or not isinstance(number, str):
            return None
        if not _NUMBER.fullmatch(number):
            return None
        return number, display_key(parse_key(key))
    except (InvalidKey, TypeError, KeyError, ValueError, AttributeError):
        return None
    except Exception:
        # The PDF parser meets arbitrary bytes here: whatever it raises, the answer is "not a
        # notice" (a damaged upload must not become a server error).
        return None


def _attachment(reader: PdfFileReader) -> bytes:
    """The bytes of our embedded file: a leaf of the catalog's EmbeddedFiles name tree."""
    tree = reader.root["/Names"]["/EmbeddedFiles"]
    pending, seen = [tree], 0
    while pending and seen < 64:  # a name tree of a one-page notice is one node
        node = pending.pop()
        seen += 1
        names = node.get("/Names", generic.ArrayObject())
        for index in range(0, len(names) - 1, 2):
            if str(names[index]) == NOTICE_ATTACHMENT:
                stream = names[index + 1]["/EF"]["/F"]
                if len(stream.encoded_data) > 64 * 1024:
                    raise ValueError("attachment too large for a notice")
                return stream.data
        pending.extend(kid.get_object() for kid in node.get("/Kids", ()))
    raise KeyError(NOTICE_ATTACHMENT)


def _date(iso: str) -> datetime.date:
    return datetime.date.fromisoformat(iso)
