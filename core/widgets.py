"""Form widgets for pages on the hot path."""

from django import forms
from django.utils.translation import get_language


class StaticChoicesSelect(forms.Select):
    """A select whose choices are fixed in code (prefectures, guarantee kinds, the admin's
    actions), rendered once per set of choices, selected value, attributes and language instead
    of once per request.

    A select renders every option through the form renderer's templates: for the 47 prefectures
    that costs more than the rest of the obligee list. `name` and the choices' values identify
    the choices (an admin's actions depend on the user's permissions); a value that is not one
    of them is rendered afresh, so no input can grow the cache.
    """

    _rendered: dict = {}

    def __init__(self, name: str, attrs=None, choices=()):
        super().__init__(attrs, choices)
        self.choices_name = name

    def render(self, name, value, attrs=None, renderer=None):
        selected = "" if value is None else str(value)
        values = tuple(str(choice) for choice, _label in self.choices)
        if selected not in values:
            return super().render(name, value, attrs, renderer)
        key = (
            self.choices_name,
            values,
            name,
            selected,
            tuple(sorted(self.attrs.items())),
            tuple(sorted((attrs or {}).items())),
            type(renderer),
            get_language(),
        )
        if key not in self._rendered:
            self._rendered[key] = super().render(name, value, attrs, renderer)
        return self._rendered[key]
