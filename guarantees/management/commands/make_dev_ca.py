"""A development PKI shaped like a real one: a long-lived root CA that issues only CA certificates
and publishes an authority revocation list (ARL); under it a signing CA, which issues the
company's short-lived signing certificates, and a TSA CA, which issues the certificates of a local
time-stamping authority of longer life; each CA publishes its own CRL.

The TSA has a CA of its own so that its revocation data never speaks of the signer's: the renewal
of document timestamps (guarantees.renewal) embeds the TSA CA's current CRL, which lets a
validator judge an expired TSA certificate's timestamp as of the newer one, while a CRL of the
signer's issuer published after the signing certificate expired would have the signature judged
at a time its certificate had expired.

Production uses certificates from a real CA and a real TSA (TSA_URL); this command gives
development and tests the same shapes, so that pyHanko and poppler can validate both chains
against the one root. `--rotate` replaces the signing key and certificate as a company does every
year or two; the old certificate is kept with the previous ones, so that the certificates it signed
are still recognised as the company's. `--rotate-tsa` replaces the TSA's key and certificate before
the old certificate's expiry, so that the renewal of document timestamps has a TSA whose
timestamps prove the certificates for longer.
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

ROOT_YEARS = 30
# The issuing CAs outlive every certificate they issue (a TSA certificate rotated shortly before
# its expiry included); a certificate never outlives its issuer.
ISSUING_CA_YEARS = 25
# 電子署名法施行規則 allows a signing certificate at most 5 years; 1–3 is usual.
SIGNING_YEARS = 2
TSA_YEARS = 10
# A CA publishes its CRL afresh well before the last one's nextUpdate; the command publishes a new
# one when the current one is within CRL_RENEW_DAYS of it.
CRL_DAYS = 30
CRL_RENEW_DAYS = 7

# Written by the first run, all together (--force: a new set replaces them all).
SET = (
    "SIGNING_CA_PATH",
    "ROOT_CA_KEY_PATH",
    "ROOT_CRL_PATH",
    "SIGNING_CA_KEY_PATH",
    "SIGNING_CRL_PATH",
    "SIGNING_KEY_PATH",
    "SIGNING_CERT_PATH",
    "TSA_CA_CERT_PATH",
    "TSA_CA_KEY_PATH",
    "TSA_CRL_PATH",
    "TSA_KEY_PATH",
    "TSA_CERT_PATH",
)
PRIVATE = {
    "ROOT_CA_KEY_PATH",
    "SIGNING_CA_KEY_PATH",
    "TSA_CA_KEY_PATH",
    "SIGNING_KEY_PATH",
    "TSA_KEY_PATH",
}
# The files of the earlier layout (one CA issuing both the signing and the TSA certificates),
# removed when --force replaces it.
OLD_LAYOUT = ("ca-cert.pem", "ca-key.pem", "ca.crl")


class Command(BaseCommand):
    help = (
        "開発用の認証局(ルート認証局、署名用・タイムスタンプ局用の認証局とそれぞれのCRL)、"
        "電子署名用の証明書と鍵、タイムスタンプ局の証明書と鍵を作成します。"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="既存のファイルを新しい一式で置き換えます"
        )
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="電子署名用の鍵と証明書を新しくします(旧証明書は検証用に残します)",
        )
        parser.add_argument(
            "--rotate-tsa",
            action="store_true",
            help="タイムスタンプ局の鍵と証明書を新しくします(旧証明書は検証用に残します)",
        )

    def handle(
        self, *args: object, force: bool, rotate: bool, rotate_tsa: bool = False, **options: object
    ) -> None:
        paths = {name: Path(getattr(settings, name)) for name in SET}
        existing = [path for path in paths.values() if path.exists()]
        if force or not existing:
            pki = dev_pki(settings.SURETY_COMPANY["name"])
            for name, pem in pki.items():
                _write(paths[name], pem, private=name in PRIVATE)
            # A new CA: certificates of the old one are no longer ours to vouch for.
            Path(settings.SIGNING_PREVIOUS_CERTS_PATH).unlink(missing_ok=True)
            written = set(paths.values())
            for name in OLD_LAYOUT:
                old = Path(settings.PKI_DIR) / name
                if old not in written:
                    old.unlink(missing_ok=True)
            self.stdout.write(
                self.style.SUCCESS(
                    f"開発用の証明書を作成しました({paths['SIGNING_CA_PATH'].parent})。"
                )
            )
            return
        missing = [path for path in paths.values() if not path.exists()]
        if missing and _old_layout(paths):
            raise CommandError(
                f"{paths['SIGNING_CERT_PATH'].parent} の開発用の証明書は以前の形"
                "(一つの認証局が署名用とタイムスタンプ局の証明書を発行する形)です。"
                "ルート認証局の下に署名用とタイムスタンプ局用の認証局を置く今の形に作り直すには、"
                "--force を付けて実行してください(以前の認証局で署名した開発用の証書は"
                "検証できなくなります)。"
            )
        if missing:
            raise CommandError(
                "開発用の証明書の一部がありません("
                + ", ".join(str(path) for path in missing)
                + ")。--force を付けて一式を作り直してください。"
            )
        now = datetime.datetime.now(datetime.UTC)
        root = _CA.load(paths["SIGNING_CA_PATH"], paths["ROOT_CA_KEY_PATH"], "root-ca.crl")
        signing_ca = _CA.load(
            paths["SIGNING_CERT_PATH"], paths["SIGNING_CA_KEY_PATH"], "signing-ca.crl", index=1
        )
        tsa_ca = _CA.load(paths["TSA_CA_CERT_PATH"], paths["TSA_CA_KEY_PATH"], "tsa-ca.crl")
        signing_cert = x509.load_pem_x509_certificate(paths["SIGNING_CERT_PATH"].read_bytes())
        # An expired signing certificate signs nothing more: replacing it is not rewriting a
        # valid file.
        if rotate or signing_cert.not_valid_after_utc <= now:
            key_pem, cert_pem = signing_ca.signing_pair(settings.SURETY_COMPANY["name"], now=now)
            previous = Path(settings.SIGNING_PREVIOUS_CERTS_PATH)
            kept = previous.read_bytes() if previous.exists() else b""
            # Newest first; kept before the new pair is written, so that an interrupted run
            # never loses the certificate of the key that signed the certificates issued so far.
            _write(previous, _cert_pem(signing_cert) + kept, private=False)
            _write(paths["SIGNING_KEY_PATH"], key_pem, private=True)
            _write(paths["SIGNING_CERT_PATH"], cert_pem, private=False)
            self.stdout.write(
                self.style.SUCCESS(
                    f"電子署名用の鍵と証明書を新しくしました(旧証明書は {previous} に残しました)。"
                )
            )
        if rotate_tsa:
            # A TSA certificate nearing its expiry is replaced by a new one before the timestamps
            # it made stop proving anything: renewals stamp with the new one from then on. The
            # old certificates follow the new one in the file, still known to validation.
            key_pem, cert_pem = tsa_ca.tsa_pair(settings.SURETY_COMPANY["name"], now=now)
            kept = paths["TSA_CERT_PATH"].read_bytes()
            _write(paths["TSA_CERT_PATH"], cert_pem + kept, private=False)
            _write(paths["TSA_KEY_PATH"], key_pem, private=True)
            self.stdout.write(
                self.style.SUCCESS(
                    "タイムスタンプ局の鍵と証明書を新しくしました"
                    f"(旧証明書は {paths['TSA_CERT_PATH']} に続けて残しました)。"
                )
            )
        published = False
        for name, ca in (
            ("ROOT_CRL_PATH", root),
            ("SIGNING_CRL_PATH", signing_ca),
            ("TSA_CRL_PATH", tsa_ca),
        ):
            crl = x509.load_der_x509_crl(paths[name].read_bytes())
            next_update = crl.next_update_utc
            if next_update is None or next_update - now < datetime.timedelta(days=CRL_RENEW_DAYS):
                _write(paths[name], ca.crl(now=now), private=False)
                published = True
        if published:
            self.stdout.write(self.style.SUCCESS("認証局のCRLを発行し直しました。"))
        elif not rotate and not rotate_tsa:
            self.stdout.write(f"開発用の証明書は作成済みです({paths['SIGNING_CA_PATH'].parent})。")


def _old_layout(paths: dict[str, Path]) -> bool:
    """The earlier layout: the signing certificate's file holds no issuing CA (its issuer was the
    root itself)."""
    cert_path = paths["SIGNING_CERT_PATH"]
    return cert_path.exists() and len(x509.load_pem_x509_certificates(cert_path.read_bytes())) == 1


class _CA:
    """A development CA: its certificate and key, issuing certificates and CRLs; `crl_name`: the
    name under which it publishes its CRL."""

    def __init__(self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, crl_name: str):
        self.cert = cert
        self.key = key
        self.crl_name = crl_name

    @classmethod
    def load(cls, cert_path: Path, key_path: Path, crl_name: str, *, index: int = 0) -> "_CA":
        """`index`: the CA's certificate's place in the file (the signing CA's follows the
        company's certificate)."""
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        cert = x509.load_pem_x509_certificates(cert_path.read_bytes())[index]
        return cls(cert, key, crl_name)

    def issue(
        self,
        *,
        subject: x509.Name,
        public_key: CertificatePublicKeyTypes,
        years: int,
        extensions: list[tuple[x509.ExtensionType, bool]],
        now: datetime.datetime,
    ) -> x509.Certificate:
        return _certificate(
            subject=subject,
            public_key=public_key,
            issuer=(self.cert.subject, self.key),
            not_after=min(
                now + datetime.timedelta(days=365 * years), self.cert.not_valid_after_utc
            ),
            extensions=[*extensions, (_distribution_point(self.crl_name), False)],
            now=now,
        )

    def issuing_ca(
        self, common_name: str, company: str, crl_name: str, *, now: datetime.datetime
    ) -> "_CA":
        """A CA under this one that issues end-entity certificates only."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self.issue(
            subject=_name(common_name, company),
            public_key=key.public_key(),
            years=ISSUING_CA_YEARS,
            extensions=[
                (x509.BasicConstraints(ca=True, path_length=0), True),
                (_key_usage(key_cert_sign=True, crl_sign=True), True),
            ],
            now=now,
        )
        return _CA(cert, key, crl_name)

    def signing_pair(self, company: str, *, now: datetime.datetime) -> tuple[bytes, bytes]:
        """A new signing key and its certificate (PEM, followed by this CA's certificate): the
        company seals documents, and non-repudiation is what PAdES validators ask of the
        signer."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self.issue(
            subject=_name(company, company),
            public_key=key.public_key(),
            years=SIGNING_YEARS,
            extensions=[
                (x509.BasicConstraints(ca=False, path_length=None), True),
                (_key_usage(digital_signature=True, content_commitment=True), True),
            ],
            now=now,
        )
        return _key_pem(key), _cert_pem(cert) + _cert_pem(self.cert)

    def tsa_pair(self, company: str, *, now: datetime.datetime) -> tuple[bytes, bytes]:
        """A new key of the local time-stamping authority and its certificate (PEM). RSA:
        pyHanko's in-process timestamper signs with RSA only."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = self.issue(
            subject=_name("Net Desk Development TSA", company),
            public_key=key.public_key(),
            years=TSA_YEARS,
            extensions=[
                (x509.BasicConstraints(ca=False, path_length=None), True),
                (_key_usage(digital_signature=True), True),
                # RFC 3161 §2.3: a TSA certificate has exactly this purpose, marked critical.
                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True),
            ],
            now=now,
        )
        return _key_pem(key), _cert_pem(cert)

    def crl(self, *, now: datetime.datetime) -> bytes:
        """The CA's CRL (DER): nothing revoked, valid CRL_DAYS."""
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(now - datetime.timedelta(minutes=5))
            .next_update(now + datetime.timedelta(days=CRL_DAYS))
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def dev_pki(company: str) -> dict[str, bytes]:
    """Files by setting name: the root's certificate, key and ARL; the signing CA's key and CRL
    (its certificate follows the company's); the TSA CA's certificate, key and CRL; and the
    two keys with certificates they issued."""
    now = datetime.datetime.now(datetime.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Net Desk Development Root CA", company)
    root = _CA(
        _certificate(
            subject=root_name,
            public_key=root_key.public_key(),
            issuer=(root_name, root_key),
            not_after=now + datetime.timedelta(days=365 * ROOT_YEARS),
            extensions=[
                (x509.BasicConstraints(ca=True, path_length=1), True),
                (_key_usage(key_cert_sign=True, crl_sign=True), True),
            ],
            now=now,
        ),
        root_key,
        "root-ca.crl",
    )
    signing_ca = root.issuing_ca(
        "Net Desk Development Signing CA", company, "signing-ca.crl", now=now
    )
    tsa_ca = root.issuing_ca("Net Desk Development TSA CA", company, "tsa-ca.crl", now=now)
    signing_key, signing_cert = signing_ca.signing_pair(company, now=now)
    tsa_key, tsa_cert = tsa_ca.tsa_pair(company, now=now)
    return {
        "SIGNING_CA_PATH": _cert_pem(root.cert),
        "ROOT_CA_KEY_PATH": _key_pem(root_key),
        "ROOT_CRL_PATH": root.crl(now=now),
        "SIGNING_CA_KEY_PATH": _key_pem(signing_ca.key),
        "SIGNING_CRL_PATH": signing_ca.crl(now=now),
        "SIGNING_KEY_PATH": signing_key,
        "SIGNING_CERT_PATH": signing_cert,
        "TSA_CA_CERT_PATH": _cert_pem(tsa_ca.cert),
        "TSA_CA_KEY_PATH": _key_pem(tsa_ca.key),
        "TSA_CRL_PATH": tsa_ca.crl(now=now),
        "TSA_KEY_PATH": tsa_key,
        "TSA_CERT_PATH": tsa_cert,
    }


def _distribution_point(crl_name: str) -> x509.CRLDistributionPoints:
    """Where the issuer says its CRL is published. Validators are never let to fetch it (the CRLs
    are read from the PKI files and carried in each certificate PDF), but a certificate that names
    a CRL is one whose revocation status a validator must check, which is the point."""
    url = f"{settings.SITE_URL.rstrip('/')}/pki/{crl_name}"
    return x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
        ]
    )


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
