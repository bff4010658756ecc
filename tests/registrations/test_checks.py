"""法人番号's check digit, by the National Tax Agency's rule (法人番号の指定等に関する省令 第2条)."""

import pytest

from registrations.checks import corporate_check_digit, corporate_number_is_valid


@pytest.mark.parametrize(
    ("base", "check"),
    [
        # The worked example of the National Tax Agency's note on the check digit: base number
        # 123456789012 → 7.
        ("123456789012", 7),
        # The National Tax Agency's own number (7000012050002) and a published company's.
        ("000012050002", 7),
        ("700110005901", 8),
        # A remainder of 0 gives 9: the check digit is never 0.
        ("000000000000", 9),
    ],
)
def test_the_check_digit_of_published_numbers(base, check):
    assert corporate_check_digit(base) == check
    assert corporate_number_is_valid(f"{check}{base}")


@pytest.mark.parametrize(
    "number",
    [
        "6000012050002",  # the check digit one off
        "7000012050003",  # the last digit mistyped
        "7000021050002",  # two digits swapped
        "700001205000",  # 12 digits
        "70000120500021",  # 14 digits
        "７０００0１２０５０００２",  # full-width digits are the form's to fold, not this rule's
        "700001205000a",
        "",
    ],
)
def test_anything_else_is_refused(number):
    assert not corporate_number_is_valid(number)


def test_the_base_must_be_12_digits():
    with pytest.raises(ValueError):
        corporate_check_digit("12345")
