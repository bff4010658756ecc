"""Forms written out by hand in list pages' templates."""

from django import forms


def input_texts(form: forms.Form) -> list[dict]:
    """What a template writes for each field's <input>: its name, id, label, value as typed or
    initial, the widget's type, inputmode and placeholder, the maximum length and the errors.

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
                "errors": " ".join(field.errors),
            }
        )
    return inputs
