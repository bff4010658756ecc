"""A development PKI: a CA, the company's signing certificate and a local time-stamping authority.

Production uses a certificate from a real CA and a real TSA (TSA_URL); this command gives
development and tests the same shapes, issued by one self-signed CA so that pyHanko and poppler
can validate the whole chain against it.
"""

import datetime
import os
import tempfile
from argparse import ArgumentParser
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

CA_YEARS = 10
LEAF_YEARS = 5

# The CA's private key is not written: nothing is issued after this command, and a development
# CA key lying around would only be one more secret. A new set replaces the whole chain.
SET = ("SIGNING_CA_PATH", "SIGNING_KEY_PATH", "SIGNING_CERT_PATH", "TSA_KEY_PATH", "TSA_CERT_PATH")


class Command(BaseCommand):
    help = "開発用の認証局、電子署名用の証明書と鍵、タイムスタンプ局の証明書と鍵を作成します。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="既存のファイルを新しい一式で置き換えます"
        )

    def handle(self, *args: object, force: bool, **options: object) -> None:
        paths = {name: Path(getattr(settings, name)) for name in SET}
        existing = [path for path in paths.values() if path.exists()]
        if existing and not force:
            missing = [path for path in paths.values() if not path.exists()]
            if missing:
                raise CommandError(
                    "開発用の証明書の一部がありません("
                    + ", ".join(str(path) for path in missing)
                    + ")。--force を付けて一式を作り直してください。"
                )
            self.stdout.write(f"開発用の証明書は作成済みです({paths['SIGNING_CA_PATH'].parent})。")
            return

        for name, pem in dev_pki(settings.SURETY_COMPANY["name"]).items():
            _write(paths[name], pem, private=name.endswith("_KEY_PATH"))
        self.stdout.write(
            self.style.SUCCESS(f"開発用の証明書を作成しました({paths['SIGNING_CA_PATH'].parent})。")
        )


def dev_pki(company: str) -> dict[str, bytes]:
    """PEM files by setting name: the CA certificate and two keys with certificates it issued."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Net Desk Development CA", company)
    ca_cert = _certificate(
        subject=ca_name,
        public_key=ca_key.public_key(),
        issuer=(ca_name, ca_key),
        not_after=now + datetime.timedelta(days=365 * CA_YEARS),
        extensions=[
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (_key_usage(key_cert_sign=True, crl_sign=True), True),
        ],
        now=now,
    )
    issuer = (ca_name, ca_key)
    leaf_until = now + datetime.timedelta(days=365 * LEAF_YEARS)

    # The company seals documents: non-repudiation is what PAdES validators ask of the signer.
    signing_key = ec.generate_private_key(ec.SECP256R1())
    signing_cert = _certificate(
        subject=_name(company, company),
        public_key=signing_key.public_key(),
        issuer=issuer,
        not_after=leaf_until,
        extensions=[
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_key_usage(digital_signature=True, content_commitment=True), True),
        ],
        now=now,
    )

    # RSA: pyHanko's in-process timestamper signs with RSA only.
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa_cert = _certificate(
        subject=_name("Net Desk Development TSA", company),
        public_key=tsa_key.public_key(),
        issuer=issuer,
        not_after=leaf_until,
        extensions=[
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_key_usage(digital_signature=True), True),
            # RFC 3161 §2.3: a TSA certificate has exactly this purpose, marked critical.
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),
        ],
        now=now,
    )
    return {
        "SIGNING_CA_PATH": _cert_pem(ca_cert),
        "SIGNING_KEY_PATH": _key_pem(signing_key),
        "SIGNING_CERT_PATH": _cert_pem(signing_cert),
        "TSA_KEY_PATH": _key_pem(tsa_key),
        "TSA_CERT_PATH": _cert_pem(tsa_cert),
    }


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(**usages: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{name: usages.get(name, False) for name in names})


def _certificate(
    *,
    subject: x509.Name,
    public_key: CertificatePublicKeyTypes,
    issuer: tuple[x509.Name, CertificateIssuerPrivateKeyTypes],
    not_after: datetime.datetime,
    extensions: list[tuple[x509.ExtensionType, bool]],
    now: datetime.datetime,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        # A little slack for clocks that run behind the one that made the certificate.
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Write through a temporary file, so a key is never readable by others, not even briefly,
    and an interrupted run leaves the previous file whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if not private:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
