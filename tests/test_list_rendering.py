"""The shortcuts that make list pages cheap render exactly what Django's own machinery does."""

import datetime
import zoneinfo

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results
from django.contrib.admin.views.main import ChangeList
from django.template import Context, Template
from django.urls import resolve
from django.utils import timezone, translation

from applications.admin import ApplicationAdmin
from applications.models import Application
from core.templatetags.netdesk import label, yen
from core.widgets import StaticChoicesSelect, StaticHiddenInput
from obligees.forms import ObligeeSearchForm
from obligees.models import PREFECTURE_CHOICES
from obligees.templatetags.obligee_tags import acceptance
from tests.factories import ApplicationFactory, UserFactory, make_sent_application


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2026, 3, 31, 15, 30, tzinfo=datetime.UTC),  # 1 April in Tokyo
        datetime.datetime(2026, 4, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")),
        datetime.date(2026, 1, 5),
        None,
        "",
    ],
)
def test_ymd_is_the_date_filter_with_y_m_d(value):
    context = Context({"value": value})
    shown = Template("{{ value|ymd }}").render(context)
    assert shown == Template('{{ value|date:"Y/m/d" }}').render(context)


def test_ymd_uses_the_current_time_zone():
    value = datetime.datetime(2026, 3, 31, 15, 30, tzinfo=datetime.UTC)
    assert Template("{{ value|ymd }}").render(Context({"value": value})) == "2026/04/01"
    with timezone.override(datetime.UTC):
        assert Template("{{ value|ymd }}").render(Context({"value": value})) == "2026/03/31"


def test_labels_and_amounts_follow_the_language():
    application = Application(status="returned")
    assert (label(application, "status"), yen(1234567)) == ("差戻し", "1,234,567円")
    with translation.override("en"):
        assert label(application, "status") != "差戻し"
        assert yen(1234567) != "1,234,567円"
    assert label(application, "status") == "差戻し"


def test_acceptance_follows_the_language():
    since = datetime.date(2022, 5, 9)
    japanese = acceptance(since)
    with translation.override("en"):
        english = acceptance(since)
    assert "2022年5月9日から" in japanese and "2022年5月9日から" not in english
    assert acceptance(since) == japanese


@pytest.mark.parametrize("value", [None, "", "13", 13, "99", "<script>"])
def test_static_choices_select_renders_as_a_select(value):
    choices = [("", "すべて"), *PREFECTURE_CHOICES]
    ours = StaticChoicesSelect("test-prefecture", attrs={"class": "form-select"}, choices=choices)
    plain = forms.Select(attrs={"class": "form-select"}, choices=choices)
    for _ in range(2):  # the second time from the cache
        assert ours.render("prefecture", value, {"id": "id_prefecture"}) == plain.render(
            "prefecture", value, {"id": "id_prefecture"}
        )


def test_static_choices_select_follows_its_choices():
    # An admin's actions depend on the user's permissions: same name, other choices.
    fewer = [("", "---------"), ("export_csv", "CSV")]
    more = [*fewer, ("accept_selected", "受付")]
    rendered = [
        StaticChoicesSelect("test-actions", choices=choices).render("action", None)
        for choices in (fewer, more, fewer)
    ]
    assert rendered[0] == rendered[2] == forms.Select(choices=fewer).render("action", None)
    assert rendered[1] == forms.Select(choices=more).render("action", None)


@pytest.mark.parametrize("value", [0, "0", None, "1", '"><script>'])
def test_static_hidden_input_renders_as_a_hidden_input(value):
    ours = StaticHiddenInput("test-hidden", attrs={"class": "select-across"})
    plain = forms.HiddenInput(attrs={"class": "select-across"})
    for _ in range(2):  # the second time from the cache (for the values set in code)
        assert ours.render("select_across", value) == plain.render("select_across", value)
    # Only the values set in code are kept, never what a form was posted with.
    kept = {key[1] for key in StaticHiddenInput._rendered if key[0] == "test-hidden"}
    assert kept <= {"0", ""}


def test_static_choices_select_follows_the_language_and_the_errors():
    form = ObligeeSearchForm({"kind": "advance"})
    japanese = str(form["kind"])
    with translation.override("en"):
        english = str(ObligeeSearchForm({"kind": "advance"})["kind"])
    assert japanese != english and "selected" in japanese
    invalid = ObligeeSearchForm({"prefecture": "99"})
    invalid.is_valid()
    assert "is-invalid" in str(invalid["prefecture"])
    assert "is-invalid" not in str(ObligeeSearchForm({"prefecture": "13"})["prefecture"])


def test_the_admin_action_checkbox_is_djangos():
    application = Application(pk=12, number="A<&>\"'1", status="sent")
    model_admin = ApplicationAdmin(Application, admin.site)
    assert model_admin.action_checkbox(application) == admin.ModelAdmin.action_checkbox(
        model_admin, application
    )


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?status=all", "?status=reviewing&o=-3.2", "?q=%E5%B8%82"])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_admin_list_rows_are_djangos(rf, alice, branch, query, language):
    """The list's rows as Django's own items_for_result() writes them: every column (head
    office), text that needs escaping, blank and missing values, the filters on the row links."""
    make_sent_application(
        alice, branch=branch, works_name="<b>市道&側溝</b>", sent_at=timezone.now()
    )
    blank = ApplicationFactory(
        contractor=alice.contractor,
        created_by=alice,
        branch=branch,
        status=Application.Status.REVIEWING,
        obligee=None,
        works_name="  ",
        contract_amount=None,
    )
    make_sent_application(alice, branch=branch, copied_from=blank)
    path = "/admin/applications/application/"
    request = rf.get(path + query)
    request.user = UserFactory(contractor=None, is_staff=True, is_superuser=True)
    request.resolver_match = resolve(path)
    model_admin = admin.site.get_model_admin(Application)
    with translation.override(language):
        changelist = model_admin.get_changelist_instance(request)
        changelist.formset = None  # as changelist_view sets it
        ours = ["".join(row) for row in changelist.result_rows()]
        # Django's rows of the same applications as model instances (ours are plain values).
        shown = changelist.result_list
        instances = Application.objects.select_related("branch", "contractor", "obligee")
        instances = instances.in_bulk([row.pk for row in shown])
        changelist.result_list = [instances[row.pk] for row in shown]
        for row, instance in zip(shown, changelist.result_list, strict=True):
            instance.guarantee_list = row.guarantee_list
        djangos = ["".join(row) for row in results(changelist)]
    assert ours == djangos
    assert ours and len(ours) == len(changelist.result_list)
    if query:
        assert "_changelist_filters=" in ours[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["", "?q=護岸 工事&status=all", "?status=reviewing&o=-3.2&p=2", "?obligee=市&q=%26%3D&q=二つ"],
)
@pytest.mark.parametrize(
    ("new_params", "remove"),
    [
        ({}, None),
        ({"status": "sent"}, None),
        ({"status": None, "p": 3}, None),
        ({"o": "1.-2"}, ["p"]),
        ({"sent_at__gte": "2026-04-01", "sent_at__lt": None}, ["sent_at__"]),
        ({"q": ["a", "ｂ"]}, ["status", "o"]),
        ({"extra": []}, None),
    ],
)
def test_the_admin_list_links_are_djangos(rf, query, new_params, remove):
    """Filter, sort and page links: each of the list's own parameters is encoded once."""
    path = "/admin/applications/application/"
    request = rf.get(path + query)
    request.user = UserFactory(contractor=None, is_staff=True, is_superuser=True)
    request.resolver_match = resolve(path)
    changelist = admin.site.get_model_admin(Application).get_changelist_instance(request)
    for _ in range(2):  # the second time from what the first encoded
        assert changelist.get_query_string(new_params, remove) == ChangeList.get_query_string(
            changelist, new_params, remove
        )
