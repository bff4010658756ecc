"""Cheaper admin changelists, with the markup of Django's own.

Django's changelist works out every cell of every row from scratch: lookup_field() first asks
the model for a field of that name (raising FieldDoesNotExist for each method column of each
row), the row link is reversed and given the list's filters per row, and the checkbox is a
widget rendered through the form renderer's templates. On a list of 25 rows that is most of the
page. Here each column is worked out once per page (a field, a relation or a ModelAdmin method,
its CSS classes, whether it links), the link once per page, and the checkbox written directly;
the rows come out as Django writes them (tests/test_list_rendering.py compares the two). Lists
this does not cover (editable lists, popups, other column kinds) go through Django's code.
"""

import datetime
import html
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    items_for_result,
    result_headers,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.utils.html import conditional_escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.urls import pk_url
from core.widgets import RenderedOnceMedia, StaticChoicesSelect, StaticHiddenInput


@dataclass(frozen=True)
class _Column:
    name: str
    field: models.Field | None  # a model field shown as Django shows fields; None: a method
    method: Callable | None  # the ModelAdmin's display method
    classes: str  # the cell's CSS classes
    text: bool  # its text is shown as it is (no choices, no boolean icon)
    link: bool  # the cell links to the row's change page
    tag: str  # "th" for the first linked cell, else "td"
    empty: str  # what an empty value shows
    boolean: bool  # a method's value shown as a yes/no icon


class FastChangeList(ChangeList):
    def get_query_string(self, new_params=None, remove=None):
        """Django's, with each of the list's own parameters URL-encoded once: a page asks for
        some forty links (filters, sort headers, page numbers), each encoding every parameter
        again (a Japanese search term, percent-encoded byte by byte, the costliest)."""
        new_params = new_params or {}
        kept = {
            key: value
            for key, value in self.filter_params.items()
            if not any(key.startswith(prefix) for prefix in remove or ())
        }
        for key, value in new_params.items():
            if value is None:
                kept.pop(key, None)
            else:
                kept[key] = value
        encoded = self.__dict__.setdefault("_encoded_params", {})
        parts = []
        for key, value in sorted(kept.items()):
            if value is self.filter_params.get(key):  # the list's own: encoded once
                if key not in encoded:
                    encoded[key] = urlencode([(key, value)], doseq=True)
                part = encoded[key]
            else:
                part = urlencode([(key, value)], doseq=True)
            if part:  # an empty list encodes to nothing, as in Django's
                parts.append(part)
        return "?" + "&".join(parts)

    def url_for_result(self, result):
        if not hasattr(self, "_change_url"):
            self._change_url = pk_url(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                current_app=self.model_admin.admin_site.name,
            )
        pk = getattr(result, self.pk_attname)
        return self._change_url(pk) if isinstance(pk, int) else super().url_for_result(result)

    def result_rows(self) -> list[ResultList]:
        """The rows of the page, as Django's items_for_result() writes them."""
        columns = self._columns()
        if columns is None:
            return [ResultList(None, items_for_result(self, row, None)) for row in self.result_list]
        # The filters travel along to the change page, as in Django's list.
        link = pk_url(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            current_app=self.model_admin.admin_site.name,
            finish=lambda url: add_preserved_filters(
                {"preserved_filters": self.preserved_filters, "opts": self.opts}, url
            ),
        )
        # Each row's cells as one item: change_list_results.html writes a row's items one after
        # another, and a loop over 10 cells costs the template more than writing them.
        return [
            ResultList(None, [mark_safe("".join(self._cell(c, row, link) for c in columns))])
            for row in self.result_list
        ]

    def _columns(self) -> list[_Column] | None:
        """What each column of list_display is, or None when a list needs Django's own rows."""
        if (
            getattr(self, "formset", None) is not None
            or self.is_popup
            or self.to_field
            or not self.list_display_links
            or not isinstance(self.opts.pk, models.AutoField | models.BigAutoField)
        ):
            return None
        columns = []
        first_link = True
        empty_default = self.model_admin.get_empty_value_display()
        for name in self.list_display:
            if not isinstance(name, str):
                return None
            field, method = self._column_source(name)
            if field is None and method is None:
                return None
            link = name in self.list_display_links
            nowrap = isinstance(field, models.DateField | models.TimeField | models.ForeignKey)
            if name == "action_checkbox" and method is not None:
                classes = "action-checkbox"
            else:
                classes = f"field-{name}" + (" nowrap" if nowrap else "")
            boolean = getattr(method, "boolean", False)
            if method is not None:
                text = not boolean
            else:
                text = (
                    isinstance(field, models.CharField | models.TextField)
                    and not isinstance(field, models.URLField)  # shown as a link
                    and not field.choices
                )
            tag = "th" if link and first_link else "td"
            empty = getattr(method, "empty_value_display", empty_default)
            columns.append(_Column(name, field, method, classes, text, link, tag, empty, boolean))
            first_link = first_link and not link
        return columns

    def _column_source(self, name: str) -> tuple[models.Field | None, Callable | None]:
        """A concrete field or foreign key of the model, or a display method of the ModelAdmin
        (what Django's lookup_field() finds for `name`); (None, None) for anything else."""
        try:
            field = self.opts.get_field(name)
        except FieldDoesNotExist:
            method = getattr(self.model_admin, name, None)
            if name != "__str__" and callable(method):
                return None, method
            return None, None
        plain = not field.is_relation or (field.many_to_one and field.related_model is not None)
        if field.name != name or not field.concrete or field.auto_created or not plain:
            return None, None  # a column name like branch_id, a reverse or many-to-many relation
        return field, None

    @staticmethod
    def _cell(column: _Column, row, link: Callable[[int], str]) -> str:
        classes = column.classes
        try:
            if column.method is not None:
                value = column.method(row)
                shown = FastChangeList._shown(value, column)
                if isinstance(value, datetime.date | datetime.time):
                    classes = f"{classes} nowrap"
            elif column.field.is_relation:
                shown = getattr(row, column.field.name)
                if shown is None:
                    shown = column.empty
                elif not hasattr(shown, "__html__"):
                    shown = str(shown)  # escaped as text below, as conditional_escape() would
            else:
                shown = FastChangeList._shown(getattr(row, column.field.attname), column)
        except ObjectDoesNotExist:
            shown = column.empty
        # Plain text escaped as Django's escape() does, without its check for lazy strings.
        shown = html.escape(shown) if type(shown) is str else conditional_escape(shown)
        if column.link:
            shown = f'<a href="{html.escape(link(row.pk))}">{shown}</a>'
        return f'<{column.tag} class="{classes}">{shown}</{column.tag}>'

    @staticmethod
    def _shown(value, column: _Column):
        """A value as Django's list shows it (display_for_value() for a method's,
        display_for_field() for a field's), text directly: a list is mostly text."""
        if isinstance(value, str) and not value.strip():
            value = ""
        if column.text and (value is None or isinstance(value, str)):
            return value or column.empty
        if column.method is not None:
            return display_for_value(value, column.empty, column.boolean)
        return display_for_field(value, column.field, column.empty, avoid_link=column.link)


def result_list(cl: FastChangeList) -> dict:
    """The context of Django's result_list tag (change_list_results.html), with fast rows."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": cl.result_rows(),
    }


class FastActionForm(helpers.ActionForm):
    """Django's action form, its two inputs rendered once per set of actions and language
    (StaticChoicesSelect) instead of through the form renderer's templates on every page."""

    action = forms.ChoiceField(label=_lazy("Action:"), widget=StaticChoicesSelect("admin-actions"))
    select_across = forms.BooleanField(
        label="",
        required=False,
        initial=0,
        widget=StaticHiddenInput("admin-select-across", attrs={"class": "select-across"}),
    )


class FastChangeListMixin:
    """For a ModelAdmin with an integer primary key. Its changelist template must be
    admin/fast_change_list.html or extend it (the rows come from result_rows())."""

    change_list_template = "admin/fast_change_list.html"
    action_form = FastActionForm

    def get_changelist(self, request, **kwargs):
        return FastChangeList

    @property
    def media(self):
        # The same scripts on every page of this admin (DEBUG picks the unminified ones).
        rendered = self.__dict__.setdefault("_rendered_media", {})
        if settings.DEBUG not in rendered:
            rendered[settings.DEBUG] = RenderedOnceMedia(super().media)
        return rendered[settings.DEBUG]

    def get_actions(self, request):
        # A changelist asks three times (its checkbox column, its form, the form's choices),
        # each checking the permissions of every action: once per request is enough.
        cache = request.__dict__.setdefault("_admin_actions", {})
        if self not in cache:
            cache[self] = super().get_actions(request)
        return cache[self]

    def action_checkbox(self, obj):
        # As ModelAdmin.action_checkbox renders it with forms.CheckboxInput (format_html() and
        # escape() without their checks for lazy strings: this is once per row).
        label = _("Select this object for an action - {}").format(html.escape(str(obj)))
        return mark_safe(
            f'<input type="checkbox" name="{helpers.ACTION_CHECKBOX_NAME}"'
            f' value="{html.escape(str(obj.pk))}" class="action-select" aria-label="{label}">'
        )
