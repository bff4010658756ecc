"""Display helpers available in every template (registered as a builtin)."""

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django import template
from django.db import models
from django.utils.translation import get_language, gettext

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


@cache
def _choice_labels(field: models.Field, language: str | None) -> dict:
    return {value: str(label) for value, label in field.flatchoices}


@register.filter
def label(obj: models.Model, field_name: str) -> str:
    """The display label of a choice field: `{{ application|label:"status" }}` → 送信済.

    Same as get_FOO_display(), which translates every choice of the field on each call; on a
    list page that is most of the rendering time.
    """
    field = obj._meta.get_field(field_name)
    value = getattr(obj, field.attname)
    return _choice_labels(field, get_language()).get(value, value)
