"""Template filters and the portal's rendered-once widgets show what Django's own would."""

import datetime
import zoneinfo

import pytest
from django import forms
from django.template import Context, Template
from django.utils import timezone, translation

from applications.models import Application
from core.templatetags.netdesk import label, yen
from core.widgets import StaticChoicesSelect
from obligees.forms import ObligeeSearchForm
from obligees.models import PREFECTURE_CHOICES
from obligees.templatetags.obligee_tags import acceptance


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
