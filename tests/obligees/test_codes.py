import pytest

from obligees.codes import is_valid_local_gov_code, local_gov_check_digit


@pytest.mark.parametrize(
    "code",
    [
        "010006",  # 北海道
        "100005",  # 群馬県
        "102083",  # 渋川市
        "131016",  # 千代田区
        "141003",  # 横浜市
        "012131",  # 苫小牧市: sum % 11 == 0, so the check digit is 11 % 10 = 1
        "012050",  # 室蘭市: sum % 11 == 1, so the check digit is 10 % 10 = 0
    ],
)
def test_it_accepts_real_codes(code):
    assert is_valid_local_gov_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "102084",  # 渋川市 with a wrong check digit
        "100006",
        "012130",
        "10208",  # the check digit missing
        "10005",  # 群馬県 with its leading zero lost, as spreadsheets do
        "1020830",
        "",
        "10208a",
        "１０２０８３",  # full-width digits: callers normalise first
        " 102083",
    ],
)
def test_it_rejects_malformed_codes_and_wrong_check_digits(code):
    assert not is_valid_local_gov_code(code)


def test_check_digit_of_the_first_five_digits():
    assert local_gov_check_digit("10208") == 3
    assert local_gov_check_digit("01213") == 1
    assert local_gov_check_digit("01205") == 0
