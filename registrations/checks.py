"""The numbers a company types into 利用申込, checked as their issuers define them."""

# 法人番号 (corporate number): 13 digits, the first a check digit over the 12-digit base number,
# as the National Tax Agency (国税庁) defines it: with P(n) the n-th digit of the base counted
# from its right and Q(n) = 1 for odd n, 2 for even n, the check digit is
#     9 - (Σ P(n)·Q(n) mod 9),    n = 1 … 12.
CORPORATE_NUMBER_LENGTH = 13


def corporate_check_digit(base: str) -> int:
    """The check digit of a 12-digit base number (ASCII digits)."""
    if len(base) != CORPORATE_NUMBER_LENGTH - 1 or not (base.isascii() and base.isdigit()):
        raise ValueError(base)
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base), start=1))
    return 9 - total % 9


def corporate_number_is_valid(number: str) -> bool:
    """Whether `number` is 13 ASCII digits whose first is the check digit of the other twelve."""
    if len(number) != CORPORATE_NUMBER_LENGTH or not (number.isascii() and number.isdigit()):
        return False
    return int(number[0]) == corporate_check_digit(number[1:])


# 建設業許可番号: the permit of the Minister (国土交通大臣, for offices in two or more
# prefectures) or of one prefecture's governor (知事), 一般 or 特定, and its number (at most 6
# digits, printed 第012345号).
PERMIT_NUMBER_MAX = 999_999
