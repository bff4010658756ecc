"""PDFs that are not quite ours, made from a signed certificate: for the tests of what a check of
an uploaded file says."""

import io
import re

from django.core.management import call_command

from guarantees.signing import sign_pdf

PKI_PATHS = (
    "SIGNING_KEY_PATH",
    "SIGNING_CERT_PATH",
    "SIGNING_CA_PATH",
    "ROOT_CA_KEY_PATH",
    "ROOT_CRL_PATH",
    "SIGNING_CA_KEY_PATH",
    "SIGNING_CRL_PATH",
    "SIGNING_PREVIOUS_CERTS_PATH",
    "TSA_KEY_PATH",
    "TSA_CERT_PATH",
    "TSA_CA_CERT_PATH",
    "TSA_CA_KEY_PATH",
    "TSA_CRL_PATH",
)


def flip_byte_in_signed_range(pdf: bytes) -> bytes:
    """One byte changed inside the page's content stream, which the signature covers."""
    start, length, _, _ = map(
        int, re.search(rb"/ByteRange \[(\d+) (\d+) (\d+) (\d+)", pdf).groups()
    )
    offset = pdf.index(b"stream\n") + len(b"stream\n") + 10
    assert start <= offset < start + length
    changed = bytearray(pdf)
    changed[offset] ^= 0x01
    return bytes(changed)


def signed_by_another_ca(pdf: bytes, settings, directory) -> bytes:
    """`pdf` signed and timestamped by a throw-away CA of the same names as ours (make_dev_ca in
    `directory`); the settings point at our PKI again afterwards."""
    ours = {name: getattr(settings, name) for name in PKI_PATHS}
    for name in PKI_PATHS:
        setattr(settings, name, directory / getattr(settings, name).name)
    call_command("make_dev_ca", stdout=io.StringIO())
    try:
        return sign_pdf(pdf)
    finally:
        for name, path in ours.items():
            setattr(settings, name, path)


def sign_b_t(pdf: bytes) -> bytes:
    """`pdf` signed as certificates were before long-term signatures: PAdES B-T (the signature
    and its timestamp), no validation data, no document timestamp."""
    from io import BytesIO

    from django.conf import settings
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from guarantees import signing

    signer, timestamper, bytes_reserved = signing._signer()
    metadata = signers.PdfSignatureMetadata(
        field_name=signing.SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=signing.SIGNATURE_REASON,
        location=settings.SURETY_COMPANY["address"],
        name=settings.SURETY_COMPANY["name"],
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    pdf_signer = signers.PdfSigner(metadata, signer, timestamper=timestamper)
    # Through the application's guard: after the browser tests, Playwright's event loop runs in
    # this thread, and pyHanko's blocking calls start one of their own.
    return signing._outside_event_loop(
        pdf_signer.sign_pdf, writer, bytes_reserved=bytes_reserved
    ).getvalue()


def add_document_timestamp(pdf: bytes) -> bytes:
    """`pdf` with one more document timestamp and fresh validation data, appended as an
    incremental update: what keeping a certificate provable adds to it."""
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

    from guarantees import signing, trust

    output = BytesIO()
    signing._outside_event_loop(
        PdfTimeStamper(signing.timestamper()).update_archival_timestamp_chain,
        PdfFileReader(BytesIO(pdf)),
        trust.validation_context(),
        in_place=False,
        output=output,
    )
    return output.getvalue()


def with_content_added(pdf: bytes) -> bytes:
    """`pdf` with a white box drawn over its page in an incremental update: what someone hiding
    an amount would append after the signature."""
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    box = writer.add_object(generic.StreamObject(stream_data=b"1 1 1 rg 100 600 300 80 re f"))
    writer.add_stream_to_page(0, box)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
