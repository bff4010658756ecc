"""The renewal of document timestamps with a real worker and its beat on Redis: the beat's run
brings a certificate signed B-T up to B-LTA, records the run, and the runs after it (one a
second here) add nothing more."""

import hashlib

import pytest

from guarantees import signing
from guarantees.models import Certificate, RenewalRun
from tests.guarantees.pdfs import sign_b_t
from tests.integration.harness import WorkerConfig, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def worker_config(dev_pki, _media_dir):
    """The worker stamps with the suite's development PKI, reads the suite's media folder, and
    its beat runs the renewal every second."""
    return WorkerConfig(
        beat=True,
        env={
            "PKI_DIR": str(dev_pki),
            "TSA_URL": "",
            "MEDIA_ROOT": str(_media_dir),
            "RENEWAL_EVERY_SECONDS": "1",
        },
    )


def test_the_beat_renews_a_b_t_certificate_once(celery_worker, alice, settings, _media_dir):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from weasyprint import HTML

    from tests.factories import CertificateFactory

    settings.MEDIA_ROOT = _media_dir
    pdf = sign_b_t(HTML(string="<p>保証証書</p>").write_pdf())
    certificate = CertificateFactory(
        guarantee__application__contractor=alice.contractor,
        guarantee__application__created_by=alice,
        pdf=ContentFile(pdf, name="certificates/renewal-b-t.pdf"),
        sha256=hashlib.sha256(pdf).hexdigest(),
        proven_until=None,
    )

    def renewed():
        row = Certificate.objects.get(pk=certificate.pk)
        return row if row.proven_until is not None else None

    row = wait_until(renewed, timeout=60, what="the beat's run to renew it")
    finished = RenewalRun.objects.filter(finished_at__isnull=False).count()
    wait_until(
        lambda: RenewalRun.objects.filter(finished_at__isnull=False).count() >= finished + 2,
        timeout=30,
        what="two more runs",
    )

    again = Certificate.objects.get(pk=certificate.pk)
    assert again.pdf.name == row.pdf.name and again.renewed_at == row.renewed_at
    with default_storage.open(again.pdf.name, "rb") as stored:
        renewed_pdf = stored.read()
    assert renewed_pdf.startswith(pdf)
    check = signing.check_signature(renewed_pdf)
    assert check.valid and check.level == "B-LTA" and len(check.document_timestamps) == 1
    assert not default_storage.exists("certificates/renewal-b-t.pdf")
