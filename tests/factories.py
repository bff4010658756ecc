"""Factories for the personas and records tests need (no JSON fixtures)."""

import datetime
import hashlib
import secrets
from functools import cache

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Branch, Contractor
from applications.models import Application
from core.sequences import fiscal_year
from guarantees import keys
from guarantees.models import Certificate, Guarantee
from guarantees.snapshot import certificate_snapshot
from notifications.models import OutboxMessage
from obligees.models import Obligee

PASSWORD = "correct-horse-battery"

# The works dates of a typical application, in days from today.
CONTRACT_DAY = -4
PERIOD_END_DAY = 115


def days_from_today(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"B{n:02d}")
    name = factory.Sequence(lambda n: f"第{n}支店")


class ContractorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contractor

    name = factory.Sequence(lambda n: f"テスト建設{n} 株式会社")
    kana = factory.Sequence(lambda n: f"テストケンセツ{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    full_name = factory.Sequence(lambda n: f"利用者{n}")
    contractor = factory.SubFactory(ContractorFactory)
    obligee = None
    # A contractor's or an obligee's user is its 管理者 unless a test says otherwise; staff and
    # users of no organisation have no role.
    role = factory.LazyAttribute(lambda o: "admin" if o.contractor or o.obligee else "")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ObligeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Obligee

    code = None
    name = factory.Sequence(lambda n: f"テスト市{n}")
    kana = factory.Sequence(lambda n: f"テストシ{n}")
    category = Obligee.Category.MUNICIPALITY
    prefecture = 10


class ElectronicObligeeFactory(ObligeeFactory):
    e_advance_since = datetime.date(2022, 5, 9)
    e_contract_since = datetime.date(2022, 5, 9)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete application, as a draft unless `status` says otherwise."""

    class Meta:
        model = Application

    contractor = factory.SubFactory(ContractorFactory)
    created_by = factory.SubFactory(UserFactory, contractor=factory.SelfAttribute("..contractor"))
    obligee = factory.SubFactory(ObligeeFactory)
    branch = factory.SubFactory(BranchFactory)
    works_name = factory.Sequence(lambda n: f"市道{n}号線道路改良工事")
    works_place = "渋川市石原地内"
    # A works contract signed a few days ago, with four months of works ahead (a guarantee of
    # about 120 days): relative to today, so the application stays sendable and approvable.
    contract_date = factory.LazyFunction(lambda: days_from_today(CONTRACT_DAY))
    period_start = factory.LazyFunction(lambda: days_from_today(CONTRACT_DAY + 1))
    period_end = factory.LazyFunction(lambda: days_from_today(PERIOD_END_DAY))
    contract_amount = 50_000_000
    contact_person = "山田 太郎"
    contact_phone = "027-252-1661"
    status = Application.Status.DRAFT
    number = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status != Application.Status.DRAFT),
        yes_declaration=factory.Sequence(lambda n: f"A{fiscal_year(timezone.localdate())}-{n:06d}"),
        no_declaration=None,
    )


class GuaranteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guarantee

    application = factory.SubFactory(ApplicationFactory)
    kind = Guarantee.Kind.ADVANCE
    amount = 20_000_000
    deposit_bank = "〇〇銀行　××支店"
    redeposit = Guarantee.Redeposit.NOT_USED


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    """An e-mail in the outbox, pending and never tried (as if its send task was never queued)."""

    class Meta:
        model = OutboxMessage

    dedup_key = factory.Sequence(lambda n: f"test:{n}")
    template = "application_received"
    recipient = factory.Sequence(lambda n: f"recipient{n}@example.jp")
    subject = factory.Sequence(lambda n: f"【ネットデスク】お知らせ{n}")
    body_text = "本文です。"
    body_html = "<p>本文です。</p>"


class IssuedGuaranteeFactory(GuaranteeFactory):
    """An electronic advance-payment guarantee approved and issued (発行済), of a completed
    application; its certificate comes from CertificateFactory."""

    application = factory.SubFactory(
        ApplicationFactory,
        status=Application.Status.COMPLETED,
        obligee=factory.SubFactory(ElectronicObligeeFactory),
    )
    status = Guarantee.Status.ISSUED
    certificate_format = Guarantee.Format.ELECTRONIC
    number = factory.Sequence(lambda n: f"GM-{fiscal_year(timezone.localdate())}-{n:06d}")
    fee = 84_000
    approved_at = factory.LazyFunction(timezone.now)


@cache
def sample_pdf() -> bytes:
    """A small real PDF (one line rendered by WeasyPrint), made once per test session."""
    from weasyprint import HTML

    return HTML(string="<p>前払金保証証書(試験用)</p>").write_pdf()


class CertificateFactory(factory.django.DjangoModelFactory):
    """A certificate version as issuance leaves it: the snapshot of its guarantee, a PDF under
    MEDIA_ROOT (tests/conftest.py points it at a temporary directory) with its SHA-256, and for
    an electronic one an authentication key (`key`: pass one to know it, or decrypt
    key_encrypted)."""

    class Meta:
        model = Certificate

    class Params:
        key = factory.LazyFunction(keys.new_key)

    guarantee = factory.SubFactory(IssuedGuaranteeFactory)
    version = 1
    certificate_format = factory.SelfAttribute("guarantee.certificate_format")
    verify_token = factory.LazyFunction(lambda: secrets.token_urlsafe(16))
    issued_at = factory.LazyFunction(timezone.now)
    snapshot = factory.LazyAttribute(
        lambda o: certificate_snapshot(
            o.guarantee, version=o.version, issued_on=timezone.localdate(o.issued_at)
        )
    )
    issued_on = factory.LazyAttribute(lambda o: Certificate.stated_dates(o.snapshot)["issued_on"])
    period_end = factory.LazyAttribute(lambda o: Certificate.stated_dates(o.snapshot)["period_end"])
    pdf = factory.LazyAttribute(
        lambda o: ContentFile(
            sample_pdf(), name=f"certificates/{o.guarantee.number}-v{o.version}.pdf"
        )
    )
    sha256 = factory.LazyFunction(lambda: hashlib.sha256(sample_pdf()).hexdigest())
    key_digest = factory.LazyAttribute(
        lambda o: keys.key_digest(o.key) if o.certificate_format == "electronic" else None
    )
    key_encrypted = factory.LazyAttribute(
        lambda o: keys.encrypt_key(o.key) if o.certificate_format == "electronic" else ""
    )
    # Proven by a document timestamp of a TSA certificate valid for years (electronic only).
    proven_until = factory.LazyAttribute(
        lambda o: (
            o.issued_at + datetime.timedelta(days=3650)
            if o.certificate_format == "electronic"
            else None
        )
    )


def make_sent_application(user, **fields) -> Application:
    """A sent application of `user`'s company, with an advance-payment guarantee."""
    application = ApplicationFactory(
        contractor=user.contractor, created_by=user, status=Application.Status.SENT, **fields
    )
    GuaranteeFactory(application=application)
    return application
