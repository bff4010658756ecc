"""/obligee/receive/ (電子保証の受領): the page the handover notice names and its QR code opens
(number and key in the fragment)."""

import re

import pytest
from django.urls import reverse

from accounts.groups import BRANCH_STAFF, HEAD_OFFICE, ensure_staff_groups
from core.models import AuditEntry
from core.ratelimit import rate_limit_hit, rate_limit_reached
from guarantees import keys
from guarantees.models import Receipt
from guarantees.receiving import USER_LIMIT
from guarantees.rendering import receive_url
from tests.accounts.otp import login_verified_staff
from tests.factories import ObligeeFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_fresh_rate_limits")]

URL = reverse("obligee_portal:receive")


def test_the_notices_qr_code_opens_this_page():
    assert receive_url("GM-2026-000123", "X").startswith("http")
    assert URL == "/obligee/receive/" and f"{URL}#n=GM-2026-000123&k=X" in receive_url(
        "GM-2026-000123", "X"
    )


def test_a_signed_out_phone_gets_the_page_that_keeps_the_fragment_for_after_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    login = f"{reverse('accounts:login')}?next=/obligee/receive/"
    assert f'href="{login}" data-nd-receive-stash' in html
    assert "js/obligee_receive.js" in html and "ログインへ進む" in html
    assert 'name="key"' not in html


def test_an_obligee_user_gets_the_receiving_forms_in_the_notices_words(client, obligee_user):
    client.force_login(obligee_user)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="{URL}"' in html and "data-nd-receive" in html
    assert 'name="number"' in html and 'name="key"' in html
    assert re.search(r"<h1[^>]*>電子保証の受領<", html)
    assert ">受領する</button>" in html and "登録する" not in html
    # The notice: 「このPDFファイルを受領画面にドロップ」.
    assert (
        f'action="{reverse("obligee_portal:receive_notices")}"' in html and "data-nd-drop" in html
    )
    assert ">読み取って受領する</button>" in html
    assert html.count("js/obligee_receive.js") == 1


def test_the_form_receives_the_certificate_and_shows_it_on_the_received_list(
    client, obligee_user, certificate, key
):
    client.force_login(obligee_user)
    response = client.post(
        URL, {"number": certificate.guarantee.number, "key": keys.display_key(key)}, follow=True
    )
    assert response.redirect_chain == [(reverse("obligee_portal:home"), 302)]
    [message] = [str(m) for m in response.context["messages"]]
    assert message == f"保証証書 {certificate.guarantee.number}(第1版)を受領しました。"
    assert certificate.snapshot["works"]["name"] in response.content.decode()
    assert Receipt.objects.get().received_by == obligee_user


def test_contractors_and_staff_get_403(client, alice):
    client.force_login(alice)
    assert client.get(URL).status_code == 403
    client.force_login(UserFactory(contractor=None, obligee=None))
    assert client.get(URL).status_code == 403
    assert client.post(URL).status_code == 403
    assert client.put(URL).status_code == 405


# 認証キー登録の一時停止の解除 in the admin (本店 業務部).


def hold(user):
    """Five wrong pairs in the window: the user is on hold."""
    for _ in range(5):
        rate_limit_hit(USER_LIMIT, str(user.pk))
    assert rate_limit_reached(USER_LIMIT, str(user.pk))


def staff_in(group_name):
    groups = ensure_staff_groups()
    user = UserFactory(contractor=None, is_staff=True)
    user.groups.add(groups[group_name])
    return user


def lift(client, obligee):
    return client.post(
        reverse("admin:obligees_obligee_changelist"),
        {"action": "lift_registration_hold", "_selected_action": [obligee.pk]},
        follow=True,
    )


def test_head_office_lifts_the_hold_of_an_obligees_users_and_it_is_audited(
    client, obligee_user, certificate, key
):
    obligee = obligee_user.obligee
    hold(obligee_user)
    elsewhere = UserFactory(contractor=None, obligee=ObligeeFactory())
    hold(elsewhere)
    head_office = staff_in(HEAD_OFFICE)
    login_verified_staff(client, head_office)
    response = lift(client, obligee)
    assert f"{obligee.name}:一時停止中の利用者 1 人の認証キー登録を再開しました。" in (
        response.content.decode()
    )
    assert not rate_limit_reached(USER_LIMIT, str(obligee_user.pk))
    assert rate_limit_reached(USER_LIMIT, str(elsewhere.pk))  # another obligee's stays
    entry = AuditEntry.objects.get(action="obligee.key_register_unlocked")
    assert entry.user == head_office and entry.object_id == obligee.pk and entry.data == {"held": 1}
    # The user registers again at once.
    client.force_login(obligee_user)
    client.post(
        reverse("obligee_portal:home"),
        {"number": certificate.guarantee.number, "key": keys.display_key(key)},
    )
    assert Receipt.objects.filter(received_by=obligee_user).exists()


def test_branch_staff_cannot_lift_a_hold(client, obligee_user):
    hold(obligee_user)
    login_verified_staff(client, staff_in(BRANCH_STAFF))
    page = client.get(reverse("admin:obligees_obligee_changelist")).content.decode()
    assert "lift_registration_hold" not in page
    lift(client, obligee_user.obligee)
    assert rate_limit_reached(USER_LIMIT, str(obligee_user.pk))
    assert not AuditEntry.objects.filter(action="obligee.key_register_unlocked").exists()
