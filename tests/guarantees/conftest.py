import pytest
from django.core.cache import cache

from applications import services
from guarantees import services as guarantee_services
from guarantees.models import Guarantee
from tests.factories import CertificateFactory
from tests.processing import conftest as processing


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The rate limits count in the cache, which outlives a test's transaction (and, on Redis,
    the test run): each test starts with none."""
    cache.clear()


@pytest.fixture
def issue_for(db):
    """issue_for(user, **fields): a certificate version of a guarantee of `user`'s company
    (CertificateFactory fields, e.g. guarantee__certificate_format="paper", key=...)."""

    def make(user, **fields):
        return CertificateFactory(
            guarantee__application__contractor=user.contractor,
            guarantee__application__created_by=user,
            **fields,
        )

    return make


@pytest.fixture
def certificate(alice, issue_for):
    """An electronic certificate (第1版) of alice's company's advance-payment guarantee."""
    return issue_for(alice)


# The branch-processing fixtures, shared: 群馬支店 and its staff, the fee tables, an application.
fee_tables = processing.fee_tables
gunma = processing.gunma
tochigi = processing.tochigi
staff = processing.staff
head_office = processing.head_office
sent_application = processing.sent_application


@pytest.fixture
def media(settings, tmp_path):
    """Certificates are stored under a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def approved(staff, sent_application, fee_tables, media):
    """The advance-payment guarantee (electronic) of a reviewed application, approved; the
    contract guarantee (paper) still in review. The contractor asked for the issuance notice."""
    application = sent_application
    application.notify_issuance = True
    application.save(update_fields=["notify_issuance"])
    application.guarantees.filter(kind="advance").update(certificate_format="electronic")
    application.guarantees.filter(kind="contract").update(certificate_format="paper")
    services.application_accept(application_id=application.pk, user=staff)
    advance = application.guarantees.get(kind="advance")
    guarantee_services.guarantee_approve(guarantee_id=advance.pk, user=staff)
    return Guarantee.objects.get(pk=advance.pk)


@pytest.fixture
def approve(staff):
    def approve(guarantee):
        guarantee_services.guarantee_approve(guarantee_id=guarantee.pk, user=staff)
        return Guarantee.objects.get(pk=guarantee.pk)

    return approve


@pytest.fixture
def issued(approved, staff, django_capture_on_commit_callbacks):
    """The approved electronic guarantee issued for real (rendered, signed, timestamped): its
    certificate version (第1版)."""
    from guarantees import issuance

    with django_capture_on_commit_callbacks(execute=True):
        issuance.issue_request(guarantee_id=approved.pk, user=staff)
    return approved.certificates.select_related("guarantee").get()


@pytest.fixture
def issued_pdf(issued) -> bytes:
    """The bytes of the issued certificate's signed PDF, as the contractor downloads them."""
    with issued.pdf.open("rb") as stored:
        return stored.read()
