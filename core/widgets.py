"""Form widgets for pages on the hot path."""

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
    """A select whose choices are fixed in code (prefectures, guarantee kinds, the admin's
    actions), rendered once per set of choices, selected value, attributes and language.

    A select renders every option through the form renderer's templates: for the 47 prefectures
    that costs more than the rest of the obligee list. `name` and the choices' values identify
    the choices (an admin's actions depend on the user's permissions); a value that is not one
    of them is rendered afresh.
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


class StaticHiddenInput(RenderedOnceMixin, forms.HiddenInput):
    """A hidden input whose value is set in code (the admin's select_across), rendered once per
    value and attributes. Other values (what a form was posted with) are rendered afresh."""

    def __init__(self, name: str, attrs=None, values=("0", "")):
        super().__init__(attrs)
        self.input_name = name
        self.values = values

    def render(self, name, value, attrs=None, renderer=None):
        shown = "" if value is None else str(value)
        if shown not in self.values:
            return super().render(name, value, attrs, renderer)
        return self.render_once((self.input_name, shown), name, value, attrs, renderer)


class RenderedOnceMedia(forms.Media):
    """Media of files named in code (the admin's scripts), rendered once: rendering looks every
    file up in the static files manifest, about a millisecond on every admin page."""

    def __init__(self, media: forms.Media):
        super().__init__(css=media._css, js=media._js)
        self._html = None
        self._parts: dict[str, RenderedOnceMedia] = {}

    def render(self):
        if self._html is None:
            self._html = super().render()
        return self._html

    def __getitem__(self, name):
        # {{ media.js }}: the scripts alone, kept as well.
        if name not in self._parts:
            self._parts[name] = RenderedOnceMedia(super().__getitem__(name))
        return self._parts[name]

    def __add__(self, other):
        # The admin adds its action form's media, which is none: this media, still rendered.
        if not any(other._css_lists) and not any(other._js_lists):
            return self
        return super().__add__(other)
