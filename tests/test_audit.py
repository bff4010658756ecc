"""Every state change leaves an audit entry: who, what, and what changed."""

import hashlib
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse

from applications.models import Application
from core.models import AuditEntry
from fees.demo import load_demo_fee_tables
from obligees.models import Obligee
from tests.accounts.otp import login_verified_staff
from tests.factories import ElectronicObligeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def entries(action: str):
    return list(AuditEntry.objects.filter(action=action))


@pytest.fixture
def draft(client, alice, form_data):
    client.force_login(alice)
    data = form_data(action="draft", cg_requested="on", cg_amount="5,000,000")
    client.post(reverse("applications:new"), data)
    return Application.objects.get(), data


def test_editing_a_draft_records_what_changed(client, alice, draft):
    application, data = draft
    edit = reverse("applications:edit", args=[application.pk])

    client.post(edit, {**data, "works_name": "名称を変えた工事", "cg_amount": "6,000,000"})

    (entry,) = entries("application.updated")
    assert entry.user == alice and entry.object_id == application.pk
    assert sorted(entry.data["fields"]) == ["contract.amount", "works_name"]
    client.post(edit, {**data, "works_name": "名称を変えた工事", "cg_amount": "6,000,000"})
    assert len(entries("application.updated")) == 1  # saving with no change records nothing


def test_removing_a_requested_guarantee_is_recorded(client, alice, draft):
    application, data = draft
    data = {key: value for key, value in data.items() if key != "cg_requested"}

    client.post(reverse("applications:edit", args=[application.pk]), data)

    assert list(application.guarantees.values_list("kind", flat=True)) == ["advance"]
    (entry,) = entries("guarantee.removed")
    assert (entry.user, entry.object_id, entry.data) == (
        alice,
        application.pk,
        {"kind": "contract"},
    )


def test_deleting_a_draft_is_recorded_after_the_draft_is_gone(client, alice, draft):
    application, _data = draft

    client.post(reverse("applications:delete", args=[application.pk]))

    assert not Application.objects.exists()
    (entry,) = entries("application.deleted")
    assert entry.user == alice and entry.object_id == application.pk
    assert entry.data["works_name"] == "市道1号線道路改良工事"


@pytest.fixture
def superuser_client(client):
    user = UserFactory(contractor=None, is_staff=True, is_superuser=True)
    login_verified_staff(client, user)
    return client, user


def test_an_obligee_edited_in_the_admin_is_recorded_with_before_and_after(superuser_client):
    client, user = superuser_client
    obligee = ElectronicObligeeFactory(code="102083", name="渋川市", kana="シブカワシ")
    url = reverse("admin:obligees_obligee_change", args=[obligee.pk])
    form = {
        "code": "102083",
        "name": "渋川市",
        "kana": "シブカワシ",
        "category": "municipality",
        "prefecture": "10",
        "address": "",
        "e_advance_since": "2022-05-09",
        "e_contract_since": "",
    }

    response = client.post(url, form)

    assert response.status_code == 302
    (entry,) = entries("obligee.changed")
    assert entry.user == user and entry.object_id == obligee.pk
    assert entry.data == {"changes": {"e_contract_since": ["2022-05-09", None]}}


def test_a_fee_table_edited_in_the_admin_is_recorded_with_its_rows(superuser_client):
    client, user = superuser_client
    table = load_demo_fee_tables()[0]
    url = reverse("admin:fees_feetable_change", args=[table.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in ["kind", "effective_from", "minimum_fee", "note"]}
    data["minimum_fee"] = "3500"
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data |= {management.add_prefix(k): v for k, v in management.initial.items()}
        for inline_form in formset.formset.forms:
            for name, field in inline_form.fields.items():
                value = inline_form[name].value()
                if value is not None and name != "DELETE":
                    data[inline_form.add_prefix(name)] = field.prepare_value(value)
    tiers = next(f for f in page.context["inline_admin_formsets"] if f.formset.prefix == "tiers")
    first = tiers.formset.forms[0]
    data[first.add_prefix("rate")] = "0.0050"

    response = client.post(url, data)

    assert response.status_code == 302, response.context["errors"] if response.context else ""
    (changed,) = entries("feetable.changed")
    assert changed.user == user
    assert changed.data == {"changes": {"minimum_fee": [3000, 3500]}}
    (rows,) = entries("feetable.rows_changed")
    assert rows.data["model"] == "feetier"
    assert rows.data["rows"] == [
        {"changed": "≤10,000,000: 0.0050", "changes": {"rate": ["0.004500", "0.0050"]}}
    ]


def test_a_csv_import_records_who_the_file_digest_and_the_counts(tmp_path):
    csv = tmp_path / "obligees.csv"
    csv.write_text("name,category\n国土交通省,national\n水資源機構,independent_agency\n", "utf-8")

    call_command("import_obligees", str(csv), stdout=io.StringIO(), stderr=io.StringIO())
    call_command("import_obligees", str(csv), stdout=io.StringIO(), stderr=io.StringIO())

    first, second = entries("obligee.imported")
    assert first.content_type == ContentType.objects.get_for_model(Obligee)
    assert first.object_id is None
    digest = hashlib.sha256(csv.read_bytes()).hexdigest()
    assert first.data == {
        "file": "obligees.csv",
        "sha256": digest,
        "operator": first.data["operator"],
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    assert (second.data["created"], second.data["unchanged"]) == (0, 2)
