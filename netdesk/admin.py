"""The admin site where branch staff work: e-mail, password and a second factor (django-otp)."""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from accounts.forms import AdminSignInForm
from accounts.http import View
from accounts.models import User


def selection_is_readable(model: type[models.Model], values: list[str]) -> bool:
    """Whether every id of a list action's selection (`_selected_action`) can be looked up: a
    primary key value of `model` that its database can compare. Django filters by them as they
    come, and text, a NUL byte or a number past the column's range fails inside the query."""
    pk = model._meta.pk
    connection = connections[router.db_for_read(model)]
    low: int | None
    high: int | None
    try:
        low, high = connection.ops.integer_field_range(pk.get_internal_type())
    except KeyError:
        low = high = None  # not an integer column
    for value in values:
        try:
            value = pk.to_python(value)
        except ValidationError:
            return False
        if value is None or (
            isinstance(value, int)
            and ((low is not None and value < low) or (high is not None and value > high))
        ):
            return False
    return True


def work_queue_links(user: User) -> list[dict[str, Any]]:
    """The rows of the home page's work queue for `user` (none without the right to see
    applications): label, count and the address of the list filtered to them; the 利用申込
    waiting; and for those who see the renewal's runs, its problems when there are any."""
    renewal = renewal_links(user) if user.has_perm("guarantees.view_renewalrun") else []
    rows: list[tuple[str, Any, int, str]] = []
    if user.has_perm("applications.view_application"):
        from applications.admin_filters import GUARANTEE_QUEUE_LABELS
        from applications.selectors import work_queue

        counts = work_queue(user)
        changelist = reverse("admin:applications_application_changelist")
        rows += [
            (key, label, counts[key], f"{changelist}?{urlencode(query)}")
            for key, label, query in [
                ("sent", _("送信済"), {"status": "sent"}),
                ("reviewing", _("審査中"), {"status": "reviewing"}),
                *(
                    (queue, label, {"guarantee": queue})
                    for queue, label in GUARANTEE_QUEUE_LABELS.items()
                ),
            ]
        ]
    if user.has_perm("registrations.view_registration"):
        # 利用申込 whose address was confirmed, waiting for the branch's decision.
        from registrations.services import waiting_count

        changelist = reverse("admin:registrations_registration_changelist")
        rows.append(
            (
                "registrations",
                _("利用申込(審査待ち)"),
                waiting_count(user),
                f"{changelist}?{urlencode({'status__exact': 'waiting'})}",
            )
        )
    return [
        {"key": key, "label": label, "count": count, "shown": f"{count:,}", "url": url}
        for key, label, count, url in rows
    ] + renewal


def renewal_links(user: User) -> list[dict[str, Any]]:
    """The renewal of document timestamps, on the work queue only when something needs looking
    at: failures in its last run, certificates it should have renewed and has not."""
    from guarantees import renewal

    url = reverse("admin:guarantees_renewalrun_changelist")
    rows = [
        ("renewal_failed", _("タイムスタンプ更新の失敗(前回の実行)"), renewal.last_run_failures()),
        ("renewal_overdue", _("タイムスタンプ更新が遅れている保証証書"), renewal.overdue_count()),
    ]
    return [
        {"key": key, "label": label, "count": count, "shown": f"{count:,}", "url": url}
        for key, label, count in rows
        if count
    ]


class NetDeskAdminSite(OTPAdminSite):
    """The one admin site, installed as the default (netdesk.apps.AdminConfig).

    Named "admin" (django-otp's default is "otpadmin") so every `admin:` URL keeps resolving.
    OTPAdminSite lets in only active staff verified by one of their OTP devices.
    """

    site_header = _("ネットデスク 業務管理")
    site_title = _("ネットデスク 業務管理")
    index_title = _("業務メニュー")
    login_form = AdminSignInForm
    login_template = "admin/login.html"

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        # Built when a page shows it. each_context() asks for it on every admin page, but only
        # the index and the navigation sidebar show it, and most pages leave the sidebar out
        # (they need the width); building it checks the permissions of every model.
        build = super().get_app_list
        # A list to the templates: SimpleLazyObject proxies its iteration and indexing.
        return cast(list[Any], SimpleLazyObject(lambda: build(request, app_label)))

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        # The branch's work queue above the menu: what waits, each count linking to its list.
        # OTPAdminSite lets only verified staff in: the user has signed in.
        queue = work_queue_links(cast(User, request.user))
        return super().index(request, {**(extra_context or {}), "work_queue": queue})

    def admin_view(self, view: View, cacheable: bool = False) -> View:
        # Every list's actions (ours and Django's delete_selected) take their selection from
        # the changelist view: checked once here for all of them.
        model_admin = getattr(view, "__self__", None)
        if isinstance(model_admin, ModelAdmin) and view.__name__ == "changelist_view":
            view = cast(View, _refusing_unreadable_selection(view, model_admin))
        return cast(View, super().admin_view(view, cacheable))


def _refusing_unreadable_selection(
    changelist_view: Callable[..., HttpResponseBase], model_admin: ModelAdmin
) -> Callable[..., HttpResponseBase]:
    """The list view, answering a selection that names no row it could look up (a forged or
    mangled form) as Django answers an empty one, instead of failing in the query."""

    @wraps(changelist_view)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME) if request.method == "POST" else []
        if selected and not selection_is_readable(model_admin.model, selected):
            model_admin.message_user(
                request,
                # Django's own wording (and translation) for an action with nothing selected.
                gettext(
                    "Items must be selected in order to perform actions on them. No items have "
                    "been changed."
                ),
                messages.WARNING,
            )
            return HttpResponseRedirect(request.get_full_path())
        return changelist_view(request, *args, **kwargs)

    return view
