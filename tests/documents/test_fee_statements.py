"""保証料計算書一覧 and its PDF downloads: only the company's own approved guarantees."""

import pytest
from django.urls import reverse

from guarantees.models import Guarantee
from tests.documents.conftest import approve
from tests.factories import ApplicationFactory, GuaranteeFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/fee-statements/"


def test_the_list_shows_the_companys_approved_guarantees_newest_first(client, alice, make_approved):
    older = make_approved()
    newer = make_approved(kind="contract")
    # Requested, not yet approved: no fee, no statement.
    GuaranteeFactory(application=ApplicationFactory(contractor=alice.contractor))
    client.force_login(alice)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert rows == [newer, older]
    html = response.content.decode()
    assert html.index(newer.number) < html.index(older.number)
    for guarantee in rows:
        assert f"{guarantee.fee:,}円" in html
        assert f"/fee-statements/{guarantee.pk}.pdf" in html
    assert "渋川市" in html and "市道1号線道路改良工事" in html
    assert "前払金保証" in html and "契約保証" in html


def test_the_menu_links_the_list_for_contractor_users_only(client, alice, shibukawa):
    client.force_login(alice)
    assert LIST_URL in client.get(reverse("applications:dashboard")).content.decode()
    client.force_login(UserFactory(contractor=None, obligee=shibukawa))
    assert LIST_URL not in client.get(reverse("applications:dashboard")).content.decode()


def test_the_pdf_downloads_under_the_guarantee_number(client, alice, make_approved, pdf_text):
    guarantee = make_approved()
    client.force_login(alice)
    response = client.get(f"/fee-statements/{guarantee.pk}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="fee-statement-{guarantee.number}.pdf"'
    )
    text = pdf_text(response.content)
    assert "保証料計算書" in text and guarantee.number in text
    assert f"金{guarantee.fee:,}円(非課税)" in text


def test_an_issued_guarantees_statement_names_what_its_certificate_states(
    client, alice, make_approved, snapshot_of, pdf_text
):
    from django.utils import timezone

    from guarantees.models import Certificate

    guarantee = make_approved()
    snapshot = snapshot_of(guarantee)
    snapshot["works"]["name"] = "証書に記載の工事名"
    Certificate.objects.create(
        guarantee=guarantee,
        version=1,
        certificate_format="paper",
        verify_token="t" * 32,
        snapshot=snapshot,
        **Certificate.stated_dates(snapshot),
        pdf="certificates/x.pdf",
        sha256="0" * 64,
        issued_at=timezone.now(),
    )
    client.force_login(alice)
    text = pdf_text(client.get(f"/fee-statements/{guarantee.pk}.pdf").content)
    assert "証書に記載の工事名" in text


def test_a_colleague_sees_the_same_statements(client, bob, make_approved):
    guarantee = make_approved()
    client.force_login(bob)
    assert list(client.get(LIST_URL).context["page"]) == [guarantee]
    assert client.get(f"/fee-statements/{guarantee.pk}.pdf").status_code == 200


def test_another_company_sees_none_and_gets_404(client, charlie, make_approved):
    guarantee = make_approved()
    client.force_login(charlie)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert list(response.context["page"]) == []
    assert guarantee.number not in response.content.decode()
    assert client.get(f"/fee-statements/{guarantee.pk}.pdf").status_code == 404


def test_a_guarantee_not_yet_approved_has_no_statement(client, alice):
    pending = GuaranteeFactory(
        application=ApplicationFactory(contractor=alice.contractor),
        status=Guarantee.Status.REVIEWING,
    )
    client.force_login(alice)
    assert client.get(f"/fee-statements/{pending.pk}.pdf").status_code == 404


@pytest.mark.parametrize("url", [LIST_URL, "/fee-statements/1.pdf"])
def test_anonymous_users_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_obligee_users_and_staff_cannot_use_the_list(client, make_approved):
    from obligees.models import Obligee

    guarantee = make_approved()
    obligee_user = UserFactory(contractor=None, obligee=Obligee.objects.get())
    client.force_login(obligee_user)
    assert client.get(LIST_URL).status_code == 403
    assert client.get(f"/fee-statements/{guarantee.pk}.pdf").status_code == 403
    staff = UserFactory(contractor=None, is_staff=True)
    client.force_login(staff)
    assert client.get(LIST_URL)["Location"] == reverse("admin:index")


def test_the_list_pages_with_a_constant_number_of_queries(
    client, alice, make_approved, django_assert_num_queries, django_assert_max_num_queries
):
    first = make_approved()
    client.force_login(alice)
    client.get(LIST_URL)  # the session and translations warm
    # The signed-in user, the count and the rows.
    with django_assert_max_num_queries(4) as few:
        client.get(LIST_URL)
    application = first.application
    for serial in range(100, 130):
        approve(
            GuaranteeFactory(
                application=ApplicationFactory(
                    contractor=alice.contractor,
                    obligee=application.obligee,
                    branch=application.branch,
                )
            ),
            serial,
        )
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(LIST_URL)
    page = response.context["page"]
    assert (page.paginator.count, len(page.object_list), page.paginator.num_pages) == (31, 20, 2)
    assert "1 / 2 ページ" in response.content.decode()
    second = client.get(LIST_URL, {"page": 2})
    assert len(second.context["page"].object_list) == 11
    assert first.number in second.content.decode()  # the oldest approval comes last
