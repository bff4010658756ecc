from decimal import ROUND_HALF_UP, Decimal


def percentage(part: int | None, whole: int | None) -> Decimal | None:
    """`part` as a percentage of `whole`, to one decimal (8,000,000 of 20,000,000 → 40.0)."""
    if not part or not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
