"""Every e-mail links to the page it is about, with a whole address on the site address (the one
the certificates' QR codes carry), and greets an obligee's user by organisation once, then the
person."""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import services as application_services
from guarantees import keys, lifecycle, receiving
from guarantees.models import Certificate
from notifications.models import OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://netdesk.example.jp:8443"


@pytest.fixture(autouse=True)
def site_address(settings):
    settings.SITE_URL = SITE + "/"  # a trailing slash makes no double one


def key_of(certificate) -> str:
    return keys.display_key(keys.decrypt_key(certificate.key_encrypted))


def assert_links(message: OutboxMessage, path: str) -> None:
    url = SITE + path
    assert url in message.body_text, (message.template, message.body_text)
    assert f'<a href="{url}">{url}</a>' in message.body_html, message.template


@pytest.fixture
def obligee_user(issued):
    obligee = issued.guarantee.application.obligee
    # Named as the demo names them: the organisation, then the section and the person.
    return UserFactory(
        contractor=None, obligee=obligee, full_name=f"{obligee.name} 契約検査課 担当"
    )


def test_every_e_mail_of_a_guarantees_life_links_to_its_page(
    issued, staff, obligee_user, django_capture_on_commit_callbacks
):
    guarantee = issued.guarantee
    receiving.certificate_receive(
        user=obligee_user, number=guarantee.number, key=key_of(issued), ip="192.0.2.10"
    )
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.amendment_request(
            guarantee_id=guarantee.pk,
            user=staff,
            changes={"amount": 18_000_000},
            reason="増額",
            token=uuid.uuid4(),
        )
    lifecycle.guarantee_cancel(
        guarantee_id=guarantee.pk,
        user=staff,
        cancelled_on=timezone.localdate(),
        reason="契約解除",
    )
    second = Certificate.objects.get(guarantee=guarantee, version=2)

    messages = list(OutboxMessage.objects.all())
    templates = {message.template for message in messages}
    assert templates >= {
        "application_accepted",
        "guarantee_approved",
        "certificate_issued",
        "certificate_amended",
        "certificate_cancelled",
        "received_certificate_amended",
        "received_certificate_cancelled",
    }
    application_page = reverse("applications:detail", args=[guarantee.application_id])
    for message in messages:
        if message.recipient == obligee_user.email:
            # The obligee's users: the version the e-mail is about, on their own pages.
            assert_links(message, reverse("obligee_portal:certificate", args=[second.pk]))
        else:
            assert_links(message, application_page)
    amended = next(m for m in messages if m.template == "received_certificate_amended")
    assert_links(amended, reverse("obligee_portal:receive"))
    assert "第2版の認証キーを受け取り" in amended.body_text
    # The contractor is told plainly which key the obligee now needs.
    for message in (m for m in messages if m.template == "certificate_amended"):
        assert "発注者へは第2版の認証キーをお渡しください。" in message.body_text
        assert "<strong>発注者へは第2版の認証キーをお渡しください。</strong>" in message.body_html


def test_an_obligee_user_is_greeted_by_organisation_once(issued, staff, obligee_user):
    obligee = obligee_user.obligee
    # A colleague whose name is not known: every user of the obligee is told.
    unnamed = UserFactory(contractor=None, obligee=obligee, full_name="")
    receiving.certificate_receive(
        user=obligee_user, number=issued.guarantee.number, key=key_of(issued), ip="192.0.2.10"
    )
    lifecycle.guarantee_cancel(
        guarantee_id=issued.guarantee.pk,
        user=staff,
        cancelled_on=timezone.localdate(),
        reason="契約解除",
    )
    named = OutboxMessage.objects.get(recipient=obligee_user.email)
    assert named.body_text.startswith(f"{obligee.name} 契約検査課 担当 様\n")
    assert f"{obligee.name} {obligee.name}" not in named.body_text
    assert f"<p>{obligee.name} 契約検査課 担当 様</p>" in named.body_html
    without_name = OutboxMessage.objects.get(recipient=unnamed.email)
    assert without_name.body_text.startswith(f"{obligee.name} ご担当者 様\n")


def test_a_returned_and_resent_application_e_mails_link_to_it(sent_application, staff, alice):
    application_services.application_accept(application_id=sent_application.pk, user=staff)
    application_services.application_return(
        application_id=sent_application.pk, user=staff, message="工期を直してください。"
    )
    application_services.application_submit(application_id=sent_application.pk, user=alice)

    page = reverse("applications:detail", args=[sent_application.pk])
    messages = OutboxMessage.objects.all()
    assert {m.template for m in messages} == {
        "application_accepted",
        "application_returned",
        "application_received",
    }
    for message in messages:
        assert_links(message, page)
