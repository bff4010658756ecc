"""Form pieces shared by the apps: inputs written out by hand in list pages' templates, and the
one date field every page where a person types a date uses, and the field of an amount in yen."""

import datetime
from collections.abc import Mapping
from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.urls import reverse_lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from core.text import YEN_TOO_LARGE, AmountTooLarge, parse_yen
from core.wareki import (
    CHOOSABLE_ERAS,
    DEFAULT_ERA,
    MAX_DATE_TEXT,
    DateReadError,
    era_date,
    read_date,
)


def input_texts(form: forms.Form) -> list[dict]:
    """What a template writes for each field's <input>: its name, id, label, value as typed or
    initial, the widget's type, inputmode and placeholder, the maximum length, the errors and the
    help text.

    A list page renders a few such inputs on every request; Django's widget templates cost as much
    as the rest of the page, and a template reads a dict at the first try.
    """
    inputs = []
    for field in form:
        attrs = field.field.widget.attrs
        value = field.value()
        inputs.append(
            {
                "name": field.html_name,
                "id": field.id_for_label,
                "field": field.name,
                "label": field.label,
                "type": attrs.get("type", "text"),
                "value": "" if value is None else value,
                "inputmode": attrs.get("inputmode", ""),
                "placeholder": attrs.get("placeholder", ""),
                "max_length": getattr(field.field, "max_length", None),
                "errors": " ".join(str(error) for error in field.errors),
                "help": field.help_text,
                # A date's 和暦 under it (static/js/date_input.js keeps it up to date); None for
                # other fields.
                "reading": date_reading(value)["text"]
                if isinstance(field.field.widget, JapaneseDateInput)
                else None,
                "reading_url": attrs.get("data-reading-url", ""),
            }
        )
    return inputs


# --- Dates typed in 西暦 or 和暦 -------------------------------------------------------------------


class TypedDate(str):
    """A date as typed, with the era chosen beside it for a year typed without one (8/12/1)."""

    era: str = DEFAULT_ERA

    def __new__(cls, text: str, era: str = DEFAULT_ERA) -> "TypedDate":
        typed = super().__new__(cls, text)
        typed.era = era if era in CHOOSABLE_ERAS else DEFAULT_ERA
        return typed


class JapaneseDateHiddenInput(forms.HiddenInput):
    """A date carried to a confirmation page: the date read (ISO), not the text typed, whose
    era chosen beside it would otherwise be lost."""

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                day = read_date(value, era=getattr(value, "era", DEFAULT_ERA))
            except DateReadError:
                return value  # not confirmed anyway: the form shows its error
            return day.isoformat() if day else ""
        return super().format_value(value)


class JapaneseDateInput(forms.DateInput):
    """A text box for a date in 西暦 or 和暦, the era chooser for a year typed without one, and
    the 和暦 reading of what is typed: written by the server, kept up to date as the user types
    by static/js/date_input.js (which asks core.views.date_reading, the same reader)."""

    input_type = "text"

    class Media:
        js = ["js/date_input.js"]

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            attrs={
                "autocomplete": "off",
                "placeholder": _("例: 2026-12-01、R8.12.1"),
                "data-date-input": "",
                "data-reading-url": reverse_lazy("date_reading"),
                "maxlength": MAX_DATE_TEXT,
                **(attrs or {}),
            },
            format="%Y-%m-%d",
        )

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> Any:
        text = data.get(name)
        if text is None:
            return None
        return TypedDate(text, data.get(f"{name}_era", DEFAULT_ERA))

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        attrs = dict(attrs or {})
        input_id = attrs.get("id") or self.attrs.get("id") or f"id_{name}"
        reading_id = f"{input_id}_reading"
        described = attrs.get("aria-describedby", "")
        attrs["aria-describedby"] = f"{described} {reading_id}".strip()
        era = getattr(value, "era", DEFAULT_ERA)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((name_, " selected" if name_ == era else "", name_) for name_ in CHOOSABLE_ERAS),
        )
        return format_html(
            '{}<select name="{}_era" id="{}_era" class="form-select nd-era" aria-label="{}">{}'
            '</select><div class="form-text nd-wareki" id="{}" aria-live="polite">{}</div>',
            super().render(name, value, attrs, renderer),
            name,
            input_id,
            _("元号(年を2桁以下で入力したとき)"),
            options,
            reading_id,
            date_reading(value)["text"],  # the field's own error says what is wrong
        )


def date_reading(value: object) -> dict[str, str]:
    """What is shown beside a date input for `value` (a date or the text typed): the ISO date
    and its 和暦 as `text`, or why it is not a date as `error`."""
    day: datetime.date | None
    if isinstance(value, datetime.date):
        day = value
    else:
        try:
            day = read_date(str(value or ""), era=getattr(value, "era", DEFAULT_ERA))
        except DateReadError as exc:
            return {"date": "", "text": "", "error": str(exc.message)}
    if day is None:
        return {"date": "", "text": "", "error": ""}
    try:
        text = f"{era_date(day)}({day.year}年{day.month}月{day.day}日)"
    except ValueError:
        text = f"{day.year}年{day.month}月{day.day}日"
    return {"date": day.isoformat(), "text": text, "error": ""}


class JapaneseDateField(forms.DateField):
    """A date typed in 西暦 or 和暦 (core.wareki.read_date): the application form's dates, the
    obligee's issue-date search and the admin's amendment and cancellation dates."""

    widget = JapaneseDateInput
    hidden_widget = JapaneseDateHiddenInput

    def to_python(self, value: Any) -> datetime.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return read_date(str(value), era=getattr(value, "era", DEFAULT_ERA))
        except DateReadError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None


class YenField(forms.CharField):
    """A whole number of yen; accepts full-width digits, commas and a trailing 円."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "class": "nd-amount"})
    default_error_messages = {
        "invalid": _("金額は数字で入力してください(例: 20,000,000)。"),
        "positive": _("1円以上の金額を入力してください。"),
        "too_large": YEN_TOO_LARGE,
    }

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]  # a yen amount, not text
        text = super().to_python(value)
        try:
            amount = parse_yen(text or "")
        except AmountTooLarge:
            raise forms.ValidationError(
                self.error_messages["too_large"], code="too_large"
            ) from None
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if amount is not None and amount <= 0:
            raise forms.ValidationError(self.error_messages["positive"], code="positive")
        return amount

    def prepare_value(self, value: Any) -> Any:
        return f"{value:,}" if isinstance(value, int) else value
