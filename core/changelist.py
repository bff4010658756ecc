"""Cheaper admin changelists, with the markup of Django's own.

A changelist of 25 rows renders a checkbox widget through the form renderer's templates and
reverses the change URL once per row: together about a third of a list page. The mixin writes
the same checkbox directly and reverses the change URL once per page.
"""

from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core.urls import pk_url


class FastChangeList(ChangeList):
    def url_for_result(self, result):
        if not hasattr(self, "_change_url"):
            self._change_url = pk_url(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                current_app=self.model_admin.admin_site.name,
            )
        pk = getattr(result, self.pk_attname)
        return self._change_url(pk) if isinstance(pk, int) else super().url_for_result(result)


class FastChangeListMixin:
    """For a ModelAdmin with an integer primary key."""

    def get_changelist(self, request, **kwargs):
        return FastChangeList

    def action_checkbox(self, obj):
        # As ModelAdmin.action_checkbox renders it with forms.CheckboxInput.
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )
