"""The rules an application must satisfy before it can be sent (SPEC §3).

Plain functions over (possibly unsaved) model instances, so that the form, the send service and
the tests all apply the very same rules. Each error names the field it belongs to: an Application
field ("contract_amount"), or a guarantee field qualified by its kind ("advance", "amount").
"""

import datetime
import re

import phonenumbers
from django.utils.translation import gettext as _

from applications.models import Application
from fees.calculation import (
    AmountNotCovered,
    FeeTableNotFound,
    PeriodNotCovered,
    approval_fee,
    guarantee_period,
)
from fees.models import COVERED_DAYS
from guarantees.models import Guarantee
from guarantees.rules import ADVANCE_CAP as ADVANCE_CAP
from guarantees.rules import CONTRACT_DATES as CONTRACT_DATES
from guarantees.rules import CONTRACT_GUARANTEE_MIN as CONTRACT_GUARANTEE_MIN
from guarantees.rules import EARLIEST_DATE as EARLIEST_DATE
from guarantees.rules import (
    Error,
    amount_errors,
    date_range_errors,
    works_errors,
)
from guarantees.rules import FieldKey as FieldKey
from guarantees.rules import date_error as date_error
from guarantees.rules import latest_date as latest_date
from guarantees.rules import share_base as share_base

_PHONE = re.compile(r"^[0-9-]+$")


def phone_error(value: str) -> str | None:
    """A Japanese phone number: digits and hyphens, 10 or 11 digits, a number plan that exists."""
    digits = value.replace("-", "")
    if not _PHONE.match(value) or not 10 <= len(digits) <= 11 or not digits.startswith("0"):
        return _("電話番号は市外局番から、数字とハイフンで入力してください(10桁または11桁)。")
    if not phonenumbers.is_valid_number(phonenumbers.parse(digits, "JP")):
        return _("この電話番号は日本の電話番号として正しくありません。番号をご確認ください。")
    return None


def required_fields_errors(application: Application) -> list[Error]:
    required = [
        ("obligee", application.obligee_id or application.obligee),
        ("works_name", application.works_name),
        ("works_place", application.works_place),
        ("contract_date", application.contract_date),
        ("period_start", application.period_start),
        ("period_end", application.period_end),
        ("contract_amount", application.contract_amount),
        ("branch", application.branch_id or application.branch),
        ("contact_person", application.contact_person),
        ("contact_phone", application.contact_phone),
    ]
    return [(name, _("入力してください。")) for name, value in required if not value]


def guarantee_errors(
    application: Application, guarantee: Guarantee, *, today: datetime.date
) -> list[Error]:
    kind = guarantee.kind
    errors: list[Error] = []
    if not guarantee.certificate_format:
        errors.append(((kind, "certificate_format"), _("保証証書の形式を選択してください。")))
    if not guarantee.amount:
        errors.append(((kind, "amount"), _("保証金額を入力してください。")))
    if kind == Guarantee.Kind.ADVANCE:
        if not guarantee.deposit_bank:
            errors.append(((kind, "deposit_bank"), _("預託金融機関を入力してください。")))
        if not guarantee.redeposit:
            errors.append(((kind, "redeposit"), _("再預託利用区分を選択してください。")))
    if guarantee.amount:
        errors.extend(amount_errors(application, guarantee))
    obligee = application.obligee
    if (
        guarantee.certificate_format == Guarantee.Format.ELECTRONIC
        and obligee is not None
        and not obligee.accepts_electronic(kind, today)
    ):
        errors.append(
            (
                (kind, "certificate_format"),
                _("%(obligee)sは%(kind)sの電子保証に対応していません。証書(紙)を選択してください。")
                % {"obligee": obligee.name, "kind": guarantee.get_kind_display()},
            )
        )
    return errors


def fee_errors(
    application: Application, guarantees: list[Guarantee], *, today: datetime.date
) -> list[Error]:
    """What stops the fee of a requested guarantee from being computed (SPEC §4).

    The branch fixes the fee when it approves; an application whose fee cannot be computed could
    never be approved, so it is refused when it is sent, with the reason on the field to correct.
    A missing rate table is the company's to fix, not the contractor's: it does not stop sending
    (the branch is told when it approves).
    """
    contract_date, end = application.contract_date, application.period_end
    if not (contract_date and end) or contract_date > end:
        return []  # missing or inconsistent dates have their own errors
    if end < today:
        return [
            (
                "period_end",
                _("工期(至)が過ぎているため、保証を申し込めません。工期をご確認ください。"),
            )
        ]
    start, end = guarantee_period(contract_date=contract_date, approved_on=today, period_end=end)
    too_long: list[Error] = [("period_end", _period_too_long(COVERED_DAYS))]
    if (end - start).days + 1 > COVERED_DAYS:
        return too_long
    errors: list[Error] = []
    for guarantee in guarantees:
        if not guarantee.amount:
            continue
        try:
            approval_fee(
                kind=guarantee.kind,
                amount=guarantee.amount,
                contract_date=contract_date,
                period_end=end,
                approved_on=today,
            )
        except PeriodNotCovered as exc:
            error = ("period_end", _period_too_long(exc.longest_days))
            if error not in errors:
                errors.append(error)
        except AmountNotCovered as exc:
            errors.append(((guarantee.kind, "amount"), str(exc.message)))
        except FeeTableNotFound:
            pass
    return errors


def _period_too_long(longest_days: int | None) -> str:
    return _(
        "保証期間(契約日または本日から工期(至)まで)が長すぎるため、保証料を計算できません"
        "(保証期間は%(days)s日までです)。工期をご確認いただくか、営業部・支店へご相談ください。"
    ) % {"days": f"{longest_days or COVERED_DAYS:,}"}


def sending_errors(
    application: Application, guarantees: list[Guarantee], *, today: datetime.date
) -> list[Error]:
    """Everything that stops `application` with these requested guarantees from being sent."""
    date_errors = date_range_errors(application, today=today)
    errors = required_fields_errors(application) + date_errors + works_errors(application)
    if not guarantees:
        errors.append((None, _("前払金保証、契約保証のいずれかを申し込んでください。")))
    for guarantee in guarantees:
        errors.extend(guarantee_errors(application, guarantee, today=today))
    if not date_errors:  # a period from year 1 has no fee to compute: its date is the error
        errors.extend(fee_errors(application, guarantees, today=today))
    if application.contact_phone:
        message = phone_error(application.contact_phone)
        if message:
            errors.append(("contact_phone", message))
    if application.notify_issuance and not application.notify_email:
        errors.append(("notify_email", _("「希望する」場合はメールアドレスを入力してください。")))
    return errors
