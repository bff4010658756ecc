"""Every sending rule of SPEC §3, on unsaved instances, on a fixed application date.

The database is needed only for the fee rules (they read the rate tables); without tables the
other rules are checked alone.
"""

import datetime

import pytest

from applications import rules
from applications.models import Application
from applications.rules import date_error, latest_date, phone_error, sending_errors
from core.numbers import percentage
from guarantees.models import Guarantee
from obligees.models import Obligee

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 24)


def obligee(*, since=None):
    return Obligee(pk=1, name="渋川市", category="municipality", e_advance_since=since,
                   e_contract_since=since)  # fmt: skip


def application(**overrides):
    values = dict(
        obligee=obligee(),
        contract_type=Application.ContractType.WORKS,
        works_name="市道1号線道路改良工事",
        works_place="渋川市石原地内",
        contract_date=datetime.date(2026, 11, 20),
        period_start=datetime.date(2026, 11, 21),
        period_end=datetime.date(2027, 3, 19),
        contract_amount=50_000_000,
        branch_id=1,
        contact_person="山田 太郎",
        contact_phone="027-252-1661",
    )
    values.update(overrides)
    return Application(**values)


def advance(amount=20_000_000, **overrides):
    values = dict(kind="advance", amount=amount, certificate_format="paper",
                  deposit_bank="〇〇銀行　××支店", redeposit="not_used")  # fmt: skip
    values.update(overrides)
    return Guarantee(**values)


def contract(amount=5_000_000, **overrides):
    values = dict(kind="contract", amount=amount, certificate_format="paper")
    values.update(overrides)
    return Guarantee(**values)


def errors_of(app, guarantees):
    return sending_errors(app, guarantees, today=TODAY)


def fields_of(app, guarantees):
    return [key for key, _message in errors_of(app, guarantees)]


def test_a_complete_application_has_no_errors():
    assert errors_of(application(), [advance(), contract()]) == []


def test_at_least_one_kind_must_be_requested():
    assert errors_of(application(), []) == [
        (None, "前払金保証、契約保証のいずれかを申し込んでください。")
    ]


@pytest.mark.parametrize(
    "field",
    [
        "obligee",
        "works_name",
        "works_place",
        "contract_date",
        "period_start",
        "period_end",
        "contract_amount",
        "contact_person",
        "contact_phone",
    ],
)
def test_required_fields(field):
    assert field in fields_of(application(**{field: None}), [advance()])


def test_branch_is_required():
    assert "branch" in fields_of(application(branch_id=None), [advance()])


@pytest.mark.parametrize(("amount", "ok"), [(20_000_000, True), (20_000_001, False), (1, True)])
def test_advance_cap_is_four_tenths_of_the_contract_amount(amount, ok):
    errors = errors_of(application(), [advance(amount)])
    assert (errors == []) is ok
    if not ok:
        assert errors == [
            (
                ("advance", "amount"),
                "前払金保証金額は請負金額の4割(20,000,000円)以下にしてください。",
            )
        ]


@pytest.mark.parametrize(("amount", "ok"), [(15_000_000, True), (15_000_001, False)])
def test_advance_cap_is_three_tenths_for_consulting(amount, ok):
    app = application(contract_type=Application.ContractType.CONSULTING)
    assert (errors_of(app, [advance(amount)]) == []) is ok


def test_advance_cap_uses_the_this_year_amount_when_given():
    app = application(this_year_amount=30_000_000, this_year_basis="planned_work")
    assert errors_of(app, [advance(12_000_000)]) == []
    assert errors_of(app, [advance(12_000_001)]) == [
        (
            ("advance", "amount"),
            "前払金保証金額は今年度対象額の4割(12,000,000円)以下にしてください。",
        )
    ]


def test_this_year_amount_needs_its_basis_and_may_not_exceed_the_contract():
    app = application(this_year_amount=60_000_000)
    assert set(fields_of(app, [contract()])) == {"this_year_amount", "this_year_basis"}


@pytest.mark.parametrize(
    ("amount", "ok"),
    [(5_000_000, True), (4_999_999, False), (50_000_000, True), (50_000_001, False)],
)
def test_contract_guarantee_is_between_ten_percent_and_the_whole_amount(amount, ok):
    assert (errors_of(application(), [contract(amount)]) == []) is ok


def test_contract_guarantee_minimum_rounds_up():
    errors = errors_of(application(contract_amount=10_000_005), [contract(1_000_000)])
    assert errors == [
        (("contract", "amount"), "契約保証金額は請負金額の1割(1,000,001円)以上にしてください。")
    ]


def test_period_end_not_before_start_and_contract_date_not_after_end():
    app = application(period_start=datetime.date(2027, 4, 1), period_end=datetime.date(2027, 3, 31),
                      contract_date=datetime.date(2027, 4, 2))  # fmt: skip
    assert set(fields_of(app, [advance()])) == {"period_end", "contract_date"}


def test_same_day_period_is_fine():
    day = datetime.date(2026, 12, 1)
    app = application(contract_date=day, period_start=day, period_end=day)
    assert errors_of(app, [advance()]) == []


def test_electronic_needs_an_accepting_obligee_on_the_application_date():
    paperless = advance(certificate_format="electronic")
    assert fields_of(application(obligee=obligee(since=None)), [paperless]) == [
        ("advance", "certificate_format")
    ]
    assert fields_of(application(obligee=obligee(since=TODAY)), [paperless]) == []
    tomorrow = TODAY + datetime.timedelta(days=1)
    assert fields_of(application(obligee=obligee(since=tomorrow)), [paperless]) == [
        ("advance", "certificate_format")
    ]


def test_electronic_acceptance_is_per_kind():
    partial = Obligee(pk=2, name="某県", category="prefecture",
                      e_advance_since=datetime.date(2022, 5, 9), e_contract_since=None)  # fmt: skip
    app = application(obligee=partial)
    guarantees = [
        advance(certificate_format="electronic"),
        contract(certificate_format="electronic"),
    ]
    assert fields_of(app, guarantees) == [("contract", "certificate_format")]


def test_advance_needs_deposit_bank_and_redeposit():
    assert set(fields_of(application(), [advance(deposit_bank="", redeposit="")])) == {
        ("advance", "deposit_bank"),
        ("advance", "redeposit"),
    }


def test_email_is_required_only_when_the_notice_is_wanted():
    assert fields_of(application(notify_issuance=True, notify_email=""), [advance()]) == [
        "notify_email"
    ]
    assert fields_of(application(notify_issuance=False, notify_email=""), [advance()]) == []


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("027-252-1661", True),
        ("0272521661", True),
        ("090-1234-5678", True),
        ("03-1234-567", False),
        ("27-252-1661", False),
        ("027(252)1661", False),
        ("090-1234-56789", False),
        ("0120-123-456", True),
        ("050-1234-5678", True),
        ("011-111-1111", False),
    ],
)
def test_phone_numbers(phone, ok):
    assert (phone_error(phone) is None) is ok


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (20_000_000, 50_000_000, "40.0"),
        (1, 3, "33.3"),
        (2, 3, "66.7"),
        (1, 8, "12.5"),
        (1, 16, "6.3"),
    ],
)
def test_percentage_has_one_decimal_rounded_half_up(part, whole, shown):
    assert str(percentage(part, whole)) == shown


# Dates a contract could state -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["contract_date", "period_start", "period_end"])
@pytest.mark.parametrize(
    "day", [datetime.date(1, 1, 1), datetime.date(1989, 1, 7), datetime.date(2036, 11, 25)]
)
def test_a_date_no_contract_could_state_is_refused(name, day):
    app = application(**{name: day})
    if name != "period_end":
        app.period_end = max(day, app.period_end)  # its own error, not the period's order
    messages = [message for key, message in errors_of(app, [advance()]) if key == name]
    assert (
        "平成元年1月8日(1989-01-08)から令和18年11月24日(2036-11-24)までの日付を入力してください。"
        in messages
    )


def test_the_range_runs_from_the_heisei_era_to_ten_years_ahead():
    """Ten years ahead of TODAY (2026-11-24), with three leap days between, is 2036-11-24."""
    assert date_error(datetime.date(1989, 1, 8), today=TODAY) is None
    assert date_error(datetime.date(2036, 11, 24), today=TODAY) is None
    assert date_error(datetime.date(1989, 1, 7), today=TODAY) is not None
    assert date_error(datetime.date(2036, 11, 25), today=TODAY) is not None
    # Ten years as the fee tables count them: 3,653 days, whatever the leap days in between.
    assert latest_date(datetime.date(2029, 3, 1)) == datetime.date(2039, 3, 2)


def test_every_contract_type_has_an_advance_cap():
    # The cap lives with the guarantee rules, keyed by the application's contract types.
    assert set(rules.ADVANCE_CAP) == set(Application.ContractType.values)
