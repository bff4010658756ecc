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
    "SIGNING_CA_KEY_PATH",
    "SIGNING_CRL_PATH",
    "SIGNING_PREVIOUS_CERTS_PATH",
    "TSA_KEY_PATH",
    "TSA_CERT_PATH",
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
