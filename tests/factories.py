"""Factories for the personas and records tests need (no JSON fixtures)."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Branch, Contractor
from applications.models import Application
from core.sequences import fiscal_year
from guarantees.models import Guarantee
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


def make_sent_application(user, **fields) -> Application:
    """A sent application of `user`'s company, with an advance-payment guarantee."""
    application = ApplicationFactory(
        contractor=user.contractor, created_by=user, status=Application.Status.SENT, **fields
    )
    GuaranteeFactory(application=application)
    return application
