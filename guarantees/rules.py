"""The rules on a guarantee's amount and on the works it covers, which the application checks
when it is sent (applications/rules.py) and an amendment checks again (guarantees/lifecycle.py).

Plain functions over (possibly unsaved) instances. Each error names the field it belongs to: an
application field ("contract_amount"), or a guarantee field qualified by its kind ("advance",
"amount").
"""

import datetime
from fractions import Fraction
from typing import Protocol

from django.utils.translation import gettext as _

from core.wareki import era_date
from fees.models import COVERED_DAYS
from guarantees.models import Guarantee


class Works(Protocol):
    """What the rules read of an application: the works' dates and amounts."""

    contract_type: str
    contract_date: datetime.date | None
    period_start: datetime.date | None
    period_end: datetime.date | None
    contract_amount: int | None
    this_year_amount: int | None
    this_year_basis: str

    @property
    def base_amount(self) -> int | None: ...


FieldKey = str | tuple[str, str]
Error = tuple[FieldKey | None, str]

# Advance-payment cap against the base amount: 4/10 for works, 3/10 for consulting (業務委託).
# Keyed by the application's contract type (Application.ContractType).
ADVANCE_CAP = {
    "works": Fraction(4, 10),
    "consulting": Fraction(3, 10),
}
CONTRACT_GUARANTEE_MIN = Fraction(1, 10)

# The dates a contract states, and the range each must be in: no public works contract in the
# portal is older than the 平成 era (a 0001-01-01 typed by mistake has no era form, and a
# certificate would print a blank), nor ends further ahead than the ten years (COVERED_DAYS, the
# longest ten-year span) that the fee tables price.
CONTRACT_DATES = ("contract_date", "period_start", "period_end")
EARLIEST_DATE = datetime.date(1989, 1, 8)  # 平成元年1月8日


def share_base(application: Works, kind: str) -> int | None:
    """What a guarantee amount is a share of: the advance payment of the base amount (this-year
    amount when given), the contract guarantee of the contract amount."""
    if kind == Guarantee.Kind.ADVANCE:
        return application.base_amount
    return application.contract_amount


def latest_date(today: datetime.date) -> datetime.date:
    """The last date a contract may state: ten years ahead, counted as the fee tables count them
    (COVERED_DAYS days), so that the range never refuses a date whose fee could be computed."""
    return today + datetime.timedelta(days=COVERED_DAYS)


def date_error(value: datetime.date | None, *, today: datetime.date) -> str | None:
    """Why a contract's date `value` is out of the range any contract could state, or None."""
    if value is None:
        return None
    latest = latest_date(today)
    if EARLIEST_DATE <= value <= latest:
        return None
    return _("%(earliest)sから%(latest)sまでの日付を入力してください。") % {
        "earliest": f"{era_date(EARLIEST_DATE)}({EARLIEST_DATE.isoformat()})",
        "latest": f"{era_date(latest)}({latest.isoformat()})",
    }


def date_range_errors(application: Works, *, today: datetime.date) -> list[Error]:
    errors: list[Error] = []
    for name in CONTRACT_DATES:
        if message := date_error(getattr(application, name), today=today):
            errors.append((name, message))
    return errors


def works_errors(application: Works) -> list[Error]:
    errors: list[Error] = []
    start, end = application.period_start, application.period_end
    if start and end and end < start:
        errors.append(("period_end", _("工期(至)は工期(自)以降の日付にしてください。")))
    if application.contract_date and end and application.contract_date > end:
        errors.append(("contract_date", _("契約日は工期(至)以前の日付にしてください。")))
    amount, this_year = application.contract_amount, application.this_year_amount
    if this_year and amount and this_year > amount:
        errors.append(("this_year_amount", _("今年度対象額は請負金額以下にしてください。")))
    if this_year and not application.this_year_basis:
        errors.append(
            ("this_year_basis", _("今年度対象額が出来高予定額か支払限度額かを選択してください。"))
        )
    return errors


def amount_errors(application: Works, guarantee: Guarantee) -> list[Error]:
    amount = guarantee.amount
    if amount is None:  # "required" is the form's and the sending rules' to say
        return []
    if guarantee.kind == Guarantee.Kind.ADVANCE:
        base = application.base_amount
        cap = ADVANCE_CAP[application.contract_type]
        if base and amount > base * cap:
            if application.this_year_amount:
                message = _(
                    "前払金保証金額は今年度対象額の%(cap)s割(%(limit)s円)以下にしてください。"
                )
            else:
                message = _("前払金保証金額は請負金額の%(cap)s割(%(limit)s円)以下にしてください。")
            limit = int(base * cap)
            return [(("advance", "amount"), message % {"cap": cap * 10, "limit": f"{limit:,}"})]
        return []
    contract_amount = application.contract_amount
    if contract_amount and amount > contract_amount:
        return [(("contract", "amount"), _("契約保証金額は請負金額以下にしてください。"))]
    if contract_amount and amount < contract_amount * CONTRACT_GUARANTEE_MIN:
        limit = -(-contract_amount // 10)  # rounded up: the smallest amount that is 10% or more
        return [
            (
                ("contract", "amount"),
                _("契約保証金額は請負金額の1割(%(limit)s円)以上にしてください。")
                % {"limit": f"{limit:,}"},
            )
        ]
    return []
