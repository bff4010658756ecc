import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_in_with_an_email_address_in_any_case(client, alice):
    response = client.post(
        reverse("accounts:login"), {"username": " Alice@Example.JP ", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("applications:dashboard")
    html = client.get(reverse("applications:dashboard")).content.decode()
    assert "〇〇建設 株式会社 様" in html
    assert "全体トップへ" in html and "ログアウト" in html


def test_a_wrong_password_says_so_in_japanese_and_keeps_the_address(client, alice):
    response = client.post(
        reverse("accounts:login"), {"username": "alice@example.jp", "password": "wrong"}
    )
    html = response.content.decode()
    assert "メールアドレスまたはパスワードが正しくありません。" in html
    assert 'value="alice@example.jp"' in html
    assert "_auth_user_id" not in client.session


def test_sign_out(client, alice):
    client.force_login(alice)
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(client, alice):
    response = client.post(reverse("accounts:password_reset"), {"email": "alice@example.jp"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    (message,) = mail.outbox
    assert message.subject == "【ネットデスク】パスワード再設定のご案内"
    assert message.to == ["alice@example.jp"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "新しいパスワードの設定" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    new = "Kakunin-2026-pass"
    done = client.post(set_url, {"new_password1": new, "new_password2": new})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    alice.refresh_from_db()
    assert alice.check_password(new)


def test_password_reset_for_an_unknown_address_reveals_nothing(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.jp"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_japanese_by_default_whatever_the_browser_asks(client, db):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "ja"
    assert '<html lang="ja">' in response.content.decode()


def test_the_language_switch_changes_to_english(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    response = client.get(reverse("accounts:login"))
    assert response["Content-Language"] == "en"
    assert "Sign in to Net Desk" in response.content.decode()
