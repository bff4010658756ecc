"""Form widgets for portal pages on the hot path."""

from django import forms
from django.utils.translation import get_language


class RenderedOnceMixin:
    """Keeps a widget's HTML for what identifies it (`key`: choices or a value set in code),
    its attributes, the renderer and the language, instead of rendering it through the form
    renderer's templates on every request. Only values set in code are keys, so that no input
    can grow the cache."""

    _rendered: dict = {}

    def render_once(self, key: tuple, name, value, attrs=None, renderer=None):
        key = (
            *key,
            name,
            tuple(sorted(self.attrs.items())),
            tuple(sorted((attrs or {}).items())),
            type(renderer),
            get_language(),
        )
        if key not in self._rendered:
            self._rendered[key] = super().render(name, value, attrs, renderer)
        return self._rendered[key]


class StaticChoicesSelect(RenderedOnceMixin, forms.Select):
    """A select whose choices are fixed in code (prefectures, guarantee kinds), rendered once per
    set of choices, selected value, attributes and language.

    A select renders every option through the form renderer's templates: for the 47 prefectures
    that costs more than the rest of the obligee list. `name` and the choices' values identify
    the choices; a value that is not one of them is rendered afresh.
    """

    def __init__(self, name: str, attrs=None, choices=()):
        super().__init__(attrs, choices)
        self.choices_name = name

    def render(self, name, value, attrs=None, renderer=None):
        selected = "" if value is None else str(value)
        values = tuple(str(choice) for choice, _label in self.choices)
        if selected not in values:
            return super().render(name, value, attrs, renderer)
        return self.render_once((self.choices_name, values, selected), name, value, attrs, renderer)
