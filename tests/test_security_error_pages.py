"""Japanese error pages in the portal's look: 400, 403, 404, 500 (and 403 for a failed CSRF check)."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.template import loader
from django.test import Client
from django.urls import path

from netdesk.urls import urlpatterns as site_urlpatterns


def forbidden(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("tampered")


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("test/forbidden/", forbidden),
    path("test/suspicious/", suspicious),
    path("test/broken/", broken),
    *site_urlpatterns,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def assert_portal_page(response, status: int, text: str):
    html = response.content.decode()
    assert response.status_code == status
    assert text in html
    assert '<html lang="ja">' in html and 'class="nd-header' in html
    assert "bootstrap.min" in html and "ネットデスク" in html


def test_an_unknown_address_gives_the_japanese_404_page(client):
    response = client.get("/no-such-page/")
    assert_portal_page(response, 404, "ページが見つかりません")
    assert "全体トップへ戻る" in response.content.decode()


def test_a_refused_page_gives_the_japanese_403_page_with_the_users_header(client, alice):
    client.force_login(alice)
    response = client.get("/test/forbidden/")
    assert_portal_page(response, 403, "このページを表示する権限がありません")
    assert "〇〇建設 株式会社 様" in response.content.decode()


def test_a_suspicious_request_gives_the_japanese_400_page(client):
    assert_portal_page(client.get("/test/suspicious/"), 400, "リクエストを処理できません")


def test_an_unknown_host_gives_the_japanese_400_page(client):
    response = client.get("/", HTTP_HOST="evil.example.com")
    assert_portal_page(response, 400, "リクエストを処理できません")


def test_a_server_error_gives_the_japanese_500_page(settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get("/test/broken/")
    assert_portal_page(response, 500, "システムエラーが発生しました")
    assert "a bug" not in response.content.decode()


def test_the_500_page_renders_with_no_context_at_all():
    html = loader.get_template("500.html").render()
    assert "システムエラーが発生しました" in html and 'class="nd-header' in html


def test_a_failed_csrf_check_gives_a_japanese_403_page(alice):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": alice.email, "password": "x"})
    assert_portal_page(response, 403, "ページの有効期限が切れました")
