"""Guarantees with everything a document prints, and readers of the PDFs they become (poppler's
pdftotext/pdffonts/pdfinfo and zbar's zbarimg: what a person or a phone would read)."""

import datetime
import re
import subprocess

import pytest
from django.utils import timezone

from applications.models import Application
from core.sequences import fiscal_year
from fees.calculation import compute_fee, guarantee_period
from guarantees.models import Guarantee
from guarantees.snapshot import certificate_snapshot
from tests.factories import ApplicationFactory, GuaranteeFactory

ISSUED_ON = datetime.date(2026, 11, 24)  # 令和8年11月24日


@pytest.fixture
def fee_tables(db):
    from fees.demo import load_demo_fee_tables

    load_demo_fee_tables()


def approve(guarantee: Guarantee, serial: int) -> Guarantee:
    """The fields guarantee_approve sets, with the demo fee tables' computation."""
    application = guarantee.application
    today = timezone.localdate()
    start, end = guarantee_period(
        contract_date=application.contract_date,
        approved_on=today,
        period_end=application.period_end,
    )
    breakdown = compute_fee(
        kind=guarantee.kind, amount=guarantee.amount, period_start=start, period_end=end, on=today
    )
    guarantee.number = f"{application.branch.code}-{fiscal_year(today)}-{serial:06d}"
    guarantee.status = Guarantee.Status.APPROVED
    guarantee.fee = breakdown.fee
    guarantee.fee_breakdown = breakdown.as_json()
    guarantee.approved_at = timezone.now()
    guarantee.save()
    return guarantee


@pytest.fixture
def make_approved(alice, shibukawa, branch, fee_tables):
    """make_approved(kind=..., **guarantee fields): an approved guarantee of alice's company for
    渋川市, sent to 群馬支店."""
    contractor = alice.contractor
    contractor.address = "群馬県渋川市石原80番地"
    contractor.representative = "代表取締役 山田 一郎"
    contractor.save()
    serials = iter(range(1, 1000))

    def make(kind: str = Guarantee.Kind.ADVANCE, **fields) -> Guarantee:
        application = ApplicationFactory(
            contractor=contractor,
            created_by=alice,
            obligee=shibukawa,
            branch=branch,
            status=Application.Status.REVIEWING,
            works_name="市道1号線道路改良工事",
        )
        if kind == Guarantee.Kind.CONTRACT:
            fields.setdefault("deposit_bank", "")
            fields.setdefault("amount", 5_000_000)
        guarantee = GuaranteeFactory(application=application, kind=kind, **fields)
        return approve(guarantee, next(serials))

    return make


@pytest.fixture
def snapshot_of():
    def snapshot(guarantee: Guarantee, *, version: int = 1) -> dict:
        return certificate_snapshot(guarantee, version=version, issued_on=ISSUED_ON)

    return snapshot


def _run(args: list[str], pdf: bytes, tmp_path, suffix: str = "") -> str:
    path = tmp_path / f"document{suffix}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [*args, str(path)] if args[0] != "pdftotext" else [*args, str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def pdf_text(tmp_path):
    """The text of a PDF as pdftotext -layout extracts it (a table row stays on one line, in
    reading order), with all white space removed: what a person reads, not how it is spaced."""
    return lambda pdf: re.sub(r"\s+", "", _run(["pdftotext", "-layout"], pdf, tmp_path))


@pytest.fixture
def pdf_fonts(tmp_path):
    """{font name without its subset prefix: embedded?} as pdffonts lists them."""

    def fonts(pdf: bytes) -> dict[str, bool]:
        lines = _run(["pdffonts"], pdf, tmp_path).splitlines()[2:]
        return {line.split()[0].partition("+")[2]: line.split()[-5] == "yes" for line in lines}

    return fonts


@pytest.fixture
def pdf_pages(tmp_path):
    def pages(pdf: bytes) -> int:
        info = _run(["pdfinfo"], pdf, tmp_path)
        return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))

    return pages


@pytest.fixture
def qr_codes(tmp_path):
    """What zbarimg reads from the QR codes of the PDF's first page rendered at 150 dpi."""

    def codes(pdf: bytes) -> list[str]:
        path = tmp_path / "scan.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", str(path),
             str(tmp_path / "scan")],
            check=True,
        )  # fmt: skip
        result = subprocess.run(
            ["zbarimg", "--quiet", "--raw", str(tmp_path / "scan.png")],
            capture_output=True,
            text=True,
        )
        return result.stdout.split()

    return codes
