"""Demo data for trying Net Desk locally: `manage.py demo` (run by `make run`). Idempotent.

Refuses to run unless DEBUG is on: the demo accounts share one published password.
"""

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.demo import ensure_demo_second_factors
from accounts.groups import BRANCH_STAFF, HEAD_OFFICE, ensure_staff_groups
from accounts.models import Branch, Contractor, User
from applications import services as application_services
from applications.models import Application
from fees.demo import load_demo_fee_tables
from guarantees import issuance, keys, lifecycle, receiving
from guarantees import services as guarantee_services
from guarantees.models import Certificate
from obligees.models import Obligee
from obligees.services import BUNDLED_CSV, obligees_import_csv

DEMO_PASSWORD = "netdesk-demo"
E_GUARANTEE_START = datetime.date(2022, 5, 9)  # 令和4年5月9日: the e-guarantee service began

BRANCHES = [
    ("HQ", "東京本店営業部", "03-3545-5131", "東京都中央区八丁堀2-5-1"),
    ("GM", "群馬支店", "027-252-1661", "群馬県前橋市大手町1-1-1"),
    ("TG", "栃木支店", "028-622-3411", "栃木県宇都宮市本町3-9"),
]
CONTRACTORS = [
    (
        "contractor@example.jp",
        "〇〇建設 株式会社",
        "マルマルケンセツ",
        "GM",
        "総務 花子",
        "群馬県渋川市石原80番地",
        "代表取締役 丸山 太郎",
    ),
    (
        "contractor2@example.jp",
        "△△工業 株式会社",
        "サンカクコウギョウ",
        "TG",
        "工藤 一郎",
        "栃木県宇都宮市旭一丁目1番5号",
        "代表取締役 三角 次郎",
    ),
]
OBLIGEE_USERS = [
    ("shibukawa@example.jp", "102083", "渋川市 契約検査課 担当"),
    ("takasaki@example.jp", "102024", "高崎市 契約課 担当"),
]
# More people of 〇〇建設 and 渋川市, one per role (the accounts above are their 管理者).
CONTRACTOR_PEOPLE = [
    ("applicant@example.jp", "〇〇建設 株式会社", "申込 次郎", "applicant"),
    ("viewer@example.jp", "〇〇建設 株式会社", "閲覧 三郎", "viewer"),
]
OBLIGEE_PEOPLE = [
    ("shibukawa-clerk@example.jp", "102083", "渋川市 契約検査課 受領担当", "clerk"),
]
STAFF = [
    ("staff-gunma@example.jp", "GM", "群馬支店 審査担当", BRANCH_STAFF),
    ("headoffice@example.jp", "HQ", "本店 業務部 担当", HEAD_OFFICE),
]


def label(role: str) -> str:
    return str(User.Role(role).label)


class Command(BaseCommand):
    help = "Load the demo branches, companies, obligees and accounts (DEBUG only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("The demo data is for development only (set DEBUG=1).")
        report = obligees_import_csv(BUNDLED_CSV)
        with transaction.atomic():
            branches = self._branches()
            self._obligee_acceptance()
            load_demo_fee_tables()
            self._accounts(branches, ensure_staff_groups())
            second_factors = ensure_demo_second_factors()
            self._applications()
        self.stdout.write(
            f"Obligee registry: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged."
        )
        self._print_sign_ins(second_factors)

    def _branches(self) -> dict[str, Branch]:
        branches = {}
        for code, name, phone, address in BRANCHES:
            branches[code], _ = Branch.objects.update_or_create(
                code=code, defaults={"name": name, "phone": phone, "address": address}
            )
        return branches

    def _obligee_acceptance(self) -> None:
        # 渋川市 and 群馬県 accept both kinds; every other obligee (高崎市 too) accepts none.
        accepting = ["102083", "100005"]
        Obligee.objects.filter(code__in=accepting).update(
            e_advance_since=E_GUARANTEE_START, e_contract_since=E_GUARANTEE_START
        )
        Obligee.objects.exclude(code__in=accepting).exclude(
            e_advance_since=None, e_contract_since=None
        ).update(e_advance_since=None, e_contract_since=None)

    def _accounts(self, branches: dict[str, Branch], groups: dict[str, Group]) -> None:
        for email, company, kana, branch_code, person, address, representative in CONTRACTORS:
            contractor, _ = Contractor.objects.update_or_create(
                name=company,
                defaults={
                    "kana": kana,
                    "home_branch": branches[branch_code],
                    "address": address,
                    "representative": representative,
                },
            )
            self._user(email, full_name=person, contractor=contractor, role=User.Role.ADMIN)
        for email, code, person in OBLIGEE_USERS:
            self._user(
                email,
                full_name=person,
                obligee=Obligee.objects.get(code=code),
                role=User.Role.ADMIN,
            )
        for email, company, person, role in CONTRACTOR_PEOPLE:
            self._user(
                email, full_name=person, contractor=Contractor.objects.get(name=company), role=role
            )
        for email, code, person, role in OBLIGEE_PEOPLE:
            self._user(email, full_name=person, obligee=Obligee.objects.get(code=code), role=role)
        for email, branch_code, person, group in STAFF:
            user = self._user(email, full_name=person, branch=branches[branch_code], is_staff=True)
            user.groups.set([groups[group]])

    def _applications(self) -> None:
        """A sent application and a draft for 〇〇建設, made as a user would (through services)."""
        user = get_user_model().objects.get(email="contractor@example.jp")
        contractor = user.contractor
        assert contractor is not None  # made a contractor user by _accounts()
        if Application.objects.filter(contractor=contractor).exists():
            return
        today = timezone.localdate()
        values = {
            "obligee": Obligee.objects.get(code="102083"),
            "contract_type": Application.ContractType.WORKS,
            "works_name": "市道1-2345号線道路改良工事",
            "works_place": "渋川市石原地内",
            # Relative to the day the demo is loaded, so the demo application can always be
            # accepted and approved: signed four days ago, works ending in about four months.
            "contract_date": today - datetime.timedelta(days=4),
            "period_start": today - datetime.timedelta(days=3),
            "period_end": today + datetime.timedelta(days=115),
            "contract_amount": 50_000_000,
            "this_year_amount": None,
            "this_year_basis": "",
            "branch": contractor.home_branch,
            "notify_issuance": True,
            "notify_email": user.email,
            "contact_department": "工事部",
            "contact_title": "課長",
            "contact_person": user.full_name,
            "contact_phone": "027-252-1661",
            "message_to_company": "",
        }
        guarantees = {
            "advance": {
                "certificate_format": "electronic",
                "amount": 20_000_000,
                "deposit_bank": "〇〇銀行　渋川支店",
                "redeposit": "not_used",
                "fee_payment_method": "lump_sum",
                "fee_billing_address": "",
                "fee_statement_paper": False,
            },
            "contract": {
                "certificate_format": "electronic",
                "amount": 5_000_000,
                "fee_payment_method": "lump_sum",
                "fee_billing_address": "",
                "fee_statement_paper": False,
            },
        }
        sent = application_services.application_save(
            user=user, form_token=uuid.uuid4(), values=values, guarantees=guarantees
        )
        application_services.application_submit(application_id=sent.pk, user=user)
        self._issued(user, values, guarantees)
        self._received_and_amended(user, values, guarantees)
        draft_values = {
            **values,
            "works_name": "渋川市立小学校体育館改修工事",
            "contract_amount": 80_000_000,
        }
        application_services.application_save(
            user=user,
            form_token=uuid.uuid4(),
            values=draft_values,
            guarantees={"advance": {**guarantees["advance"], "amount": 32_000_000}},
        )

    def _issued(
        self, user: User, values: dict[str, Any], guarantees: dict[str, dict[str, Any]]
    ) -> None:
        """A second application the branch has taken to the end: accepted, the advance payment
        approved and issued as an electronic guarantee (signed PDF and key), the contract
        guarantee approved and printed on paper, awaiting its handover."""
        self._sent_and_issued(
            user,
            values={**values, "works_name": "市道2-100号線舗装補修工事", "contract_amount": 30_000_000},
            guarantees={
                "advance": {**guarantees["advance"], "amount": 12_000_000},
                "contract": {**guarantees["contract"], "certificate_format": "paper", "amount": 3_000_000},
            },
        )  # fmt: skip

    def _received_and_amended(
        self, user: User, values: dict[str, Any], guarantees: dict[str, dict[str, Any]]
    ) -> None:
        """A third application: its advance payment issued electronically, received by 渋川市
        (so that the obligee's list is not empty), then amended by the branch (so that the
        certificate page shows a version history with its change: 第1版 変更済, 第2版 有効)."""
        (first,) = self._sent_and_issued(
            user,
            values={**values, "works_name": "市道3-7号線側溝改修工事", "contract_amount": 40_000_000},
            guarantees={"advance": {**guarantees["advance"], "amount": 16_000_000}},
        )  # fmt: skip
        guarantee = first.guarantee
        assert guarantee.number is not None  # numbered when approved
        receiving.certificate_receive(
            user=get_user_model().objects.get(email="shibukawa@example.jp"),
            number=guarantee.number,
            key=keys.display_key(keys.decrypt_key(first.key_encrypted)),
            ip="127.0.0.1",
        )
        amendment = lifecycle.amendment_request(
            guarantee_id=guarantee.pk,
            user=get_user_model().objects.get(email="staff-gunma@example.jp"),
            changes={"amount": 14_000_000, "contract_amount": 35_000_000},
            reason="設計変更による請負金額の減額に伴う変更",
            token=uuid.uuid4(),
        )
        lifecycle.amendment_issue(amendment.pk)  # at once, whether or not a worker runs

    def _sent_and_issued(
        self, user: User, *, values: dict[str, Any], guarantees: dict[str, dict[str, Any]]
    ) -> list[Certificate]:
        """An application sent, accepted, and each guarantee approved and issued by 群馬支店 (a
        paper one printed, awaiting its handover); its first certificate versions."""
        staff = get_user_model().objects.get(email="staff-gunma@example.jp")
        application = application_services.application_save(
            user=user, form_token=uuid.uuid4(), values=values, guarantees=guarantees
        )
        application_services.application_submit(application_id=application.pk, user=user)
        application_services.application_accept(application_id=application.pk, user=staff)
        certificates = []
        for guarantee in application.guarantees.all():
            guarantee_services.guarantee_approve(guarantee_id=guarantee.pk, user=staff)
            issuance.issue_request(guarantee_id=guarantee.pk, user=staff)
            # Issued now, whether or not a worker is running (the queued task then finds it done).
            issuance.certificate_issue(guarantee.pk)
            certificates.append(guarantee.certificates.select_related("guarantee").get())
        return certificates

    def _user(self, email: str, **fields: Any) -> User:
        user, created = get_user_model().objects.update_or_create(email=email, defaults=fields)
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    def _print_sign_ins(self, second_factors: list[tuple[str, str, list[str]]]) -> None:
        self.stdout.write(self.style.SUCCESS("\nDemo sign-ins (password for all: netdesk-demo):"))
        rows = [(email, company) for email, company, *_ in CONTRACTORS]
        rows += [
            (email, f"{company} {label(role)}") for email, company, _p, role in CONTRACTOR_PEOPLE
        ]
        rows += [(email, f"発注者 {person.split()[0]}") for email, _code, person in OBLIGEE_USERS]
        rows += [
            (email, f"発注者 {person.split()[0]} {label(role)}")
            for email, _code, person, role in OBLIGEE_PEOPLE
        ]
        rows += [(email, person) for email, _branch, person, _group in STAFF]
        for email, who in rows:
            self.stdout.write(f"  {email:<26} {who}")
        self.stdout.write(
            self.style.SUCCESS(
                "\nStaff second factor at /admin/ (authenticator secret, backup codes):"
            )
        )
        for email, secret, codes in second_factors:
            self.stdout.write(f"  {email:<26} {secret}  {' '.join(codes)}")
        self.stdout.write("  Current code: DEBUG=1 .venv/bin/python manage.py totp EMAIL")
