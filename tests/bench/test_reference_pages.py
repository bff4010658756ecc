"""The bench's floor page and stock admin: served only under bench.settings, never in production."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application
from bench import settings as bench_settings
from bench.pages import FLOOR_PATH, STOCK_LIST
from tests.accounts.otp import login_verified_staff
from tests.factories import ApplicationFactory, UserFactory, make_sent_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_urls(settings):
    settings.ROOT_URLCONF = bench_settings.ROOT_URLCONF
    settings.TEMPLATES = bench_settings.TEMPLATES


def test_production_urls_serve_neither_reference_page(client, alice):
    client.force_login(alice)
    assert client.get(FLOOR_PATH).status_code == 404
    assert client.get(STOCK_LIST).status_code == 404


def _fill(user, count):
    Application.objects.bulk_create(
        ApplicationFactory.build(
            contractor=user.contractor, created_by=user, status="sent", obligee=None, branch=None
        )
        for _ in range(count)
    )


def test_floor_shows_25_rows_with_one_query_besides_the_user(bench_urls, client, alice, charlie):
    _fill(alice, 3)
    _fill(charlie, 40)
    counts = {}
    for user, rows in [(alice, 3), (charlie, 25)]:
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(FLOOR_PATH)
        html = response.content.decode()
        assert html.count("<tr><td>") == rows
        assert "ログアウト" in html  # base.html's header for a signed-in user
        counts[user.email] = len(queries)
    assert counts == {"alice@example.jp": 2, "charlie@example.jp": 2}  # the user, the rows


def test_floor_asks_for_sign_in(bench_urls, client):
    assert client.get(FLOOR_PATH).status_code == 302


def test_stock_admin_lists_what_the_branch_admin_lists(bench_urls, client, alice, charlie):
    from django.contrib.auth.models import Group

    from accounts.groups import BRANCH_STAFF, ensure_staff_groups
    from tests.factories import BranchFactory

    ensure_staff_groups()
    gunma, tochigi = BranchFactory(code="GM"), BranchFactory(code="TG")
    make_sent_application(alice, branch=gunma, works_name="群馬の工事")
    make_sent_application(charlie, branch=tochigi, works_name="栃木の工事")
    staff = UserFactory(email="gm@example.jp", contractor=None, is_staff=True, branch=gunma)
    staff.groups.add(Group.objects.get(name=BRANCH_STAFF))
    login_verified_staff(client, staff)
    html = client.get(STOCK_LIST).content.decode()
    assert "群馬の工事" in html and "栃木の工事" not in html
    # Read-only, like the branch admin: no way to add or delete from the bench's site.
    assert "delete_selected" not in html and "/add/" not in html


def test_stock_admin_declares_the_branch_admins_list():
    """The peer is the same list, not a plainer one: it differs only in what the branch admin
    does beyond the database (its site and its changelist view's context)."""
    from applications.admin import ApplicationAdmin
    from bench.admin import StockApplicationAdmin

    for name in [
        "list_display",
        "list_filter",
        "search_fields",
        "ordering",
        "actions",
        "list_per_page",
        "list_select_related",
        "paginator",
        "show_full_result_count",
        "get_queryset",
        "get_search_results",
        "get_paginator",
        "get_list_display",
        "get_list_filter",
        "guarantees_display",
    ]:
        assert getattr(StockApplicationAdmin, name) == getattr(ApplicationAdmin, name), name
    assert "changelist_view" not in vars(StockApplicationAdmin)


def test_stock_admin_shows_the_branch_admins_columns_and_filters(bench_urls, client, alice):
    from applications.admin import ApplicationAdmin

    make_sent_application(alice, works_name="護岸工事")
    staff = UserFactory(contractor=None, is_staff=True, is_superuser=True)
    login_verified_staff(client, staff)
    ours = client.get("/admin/applications/application/").content.decode()
    stock = client.get(STOCK_LIST).content.decode()
    for filter_class in ApplicationAdmin.list_filter:
        if isinstance(filter_class, type):
            title = str(filter_class.title)
            assert (
                f'data-filter-title="{title}"' in ours and f'data-filter-title="{title}"' in stock
            )
    for column in ["column-guarantees_display", "column-status_display", "action-checkbox"]:
        assert column in ours and column in stock
    assert "護岸工事" in ours and "護岸工事" in stock
