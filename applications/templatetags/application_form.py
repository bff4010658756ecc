"""How a field of the application form is rendered: crispy's Bootstrap 5 markup, plus the 必須
badge beside each field that sending needs and 円 after each amount.

The form names this as its crispy field template (applications/_field.html), so every
`{{ form.x|as_crispy_field }}` in the page gets it without markup of its own.
"""

from typing import Any, cast

from django import template
from django.template.context import Context
from django.template.loader import get_template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from applications.forms import REQUIRED_WHEN
from core.forms import YenField

register = template.Library()


@register.simple_tag(takes_context=True)
def application_field(context: Context) -> SafeString:
    field = context["field"]
    values = cast(dict[str, Any], context.flatten())  # the variables, by name
    if isinstance(field.field, YenField):
        # An input group: the field errors stay inside it, right after the input, so Bootstrap
        # still shows them.
        values["crispy_appended_text"] = _("円")
        html = get_template("bootstrap5/layout/prepended_appended_text.html").render(values)
    else:
        html = get_template("bootstrap5/field.html").render(values)
    required_now = field.form.required_now(field.name)
    condition = REQUIRED_WHEN.get(field.name)
    if not required_now and condition is None:
        return mark_safe(html)
    # Beside the label, not in it: the field's accessible name stays its label, and assistive
    # technology hears aria-required instead of the badge. A conditional badge names its
    # condition, for the script to show and hide it.
    badge = format_html(
        '<span class="badge nd-required" aria-hidden="true" data-required-for="{}"{}{}>{}</span>',
        field.html_name,
        format_html(' data-required-when="{}"', condition) if condition else "",
        "" if required_now else mark_safe(" hidden"),
        _("必須"),
    )
    return mark_safe(html.replace("</label>", f"</label>{badge}", 1))
