"""Display helpers available in every template (registered as a builtin)."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def yen(value) -> str:
    """20000000 → '20,000,000円'; None or '' → ''."""
    if value in (None, ""):
        return ""
    return gettext("%(amount)s円") % {"amount": f"{int(value):,}"}


@register.filter
def percent_of(part, whole) -> str:
    """The share of `part` in `whole` with one decimal: (8000000, 20000000) → '40.0%'."""
    if not part or not whole:
        return ""
    share = (Decimal(int(part)) * 100 / Decimal(int(whole))).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return f"{share}%"
