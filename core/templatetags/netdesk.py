"""Display helpers available in every template (registered as a builtin)."""

from functools import cache

from django import template
from django.db import models
from django.utils.translation import get_language, gettext

from core.numbers import percentage

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
    share = percentage(int(part) if part else None, int(whole) if whole else None)
    return f"{share}%" if share is not None else ""


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
