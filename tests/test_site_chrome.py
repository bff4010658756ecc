"""What every page carries: the icon, the menu and its links."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

ICO_HEADER = b"\x00\x00\x01\x00"  # an icon resource (ICONDIR, type 1)


def icon_links(html: str) -> list[str]:
    return re.findall(r'<link rel="icon" href="([^"]+)"', html)


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"
    with open(finders.find("favicon.ico"), "rb") as icon:
        assert icon.read(4) == ICO_HEADER


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/obligees/", "/verify/", "/help/", "/admin/login/"]
)
def test_every_page_links_the_icon(client, path):
    response = client.get(path)
    assert response.status_code == 200
    links = icon_links(response.content.decode())
    assert links == ["/static/favicon.ico", "/static/favicon.svg"]
    assert all(finders.find(link.removeprefix("/static/")) for link in links)


def test_signed_in_pages_link_the_icon(client, alice):
    client.force_login(alice)
    assert icon_links(client.get("/").content.decode()) == [
        "/static/favicon.ico",
        "/static/favicon.svg",
    ]


MENU = re.compile(r'<div class="collapse navbar-collapse" id="nd-menu">(.*?)</nav>', re.S)


def menu(html: str) -> str:
    return MENU.search(html)[1]


def test_the_pdf_check_is_in_everyones_menu_and_on_the_login_page(client, alice):
    from tests.factories import ElectronicObligeeFactory, UserFactory

    login = client.get("/accounts/login/").content.decode()
    assert '<a class="btn btn-sm btn-outline-dark" href="/verify/">保証証書PDFの確認</a>' in menu(
        login
    )
    main = login.partition('<main id="main"')[2]
    assert re.search(r'href="/verify/" data-testid="verify-link">保証証書PDFの確認</a>', main)
    assert "ログインせずに確認できます" in main

    obligee_user = UserFactory(contractor=None, obligee=ElectronicObligeeFactory())
    for user, path in [(alice, "/"), (obligee_user, "/obligee/")]:
        client.force_login(user)
        assert 'href="/verify/">保証証書PDFの確認</a>' in menu(client.get(path).content.decode())

    client.logout()
    verify = client.get("/verify/").content.decode()
    assert 'href="/verify/" aria-current="page">保証証書PDFの確認</a>' in menu(verify)


def test_the_menu_folds_behind_a_button_that_names_it(client, alice):
    client.force_login(alice)
    html = client.get("/").content.decode()
    assert re.search(
        r'<button class="navbar-toggler nd-menu-toggle" type="button" data-bs-toggle="collapse" '
        r'data-bs-target="#nd-menu" aria-controls="nd-menu" aria-expanded="false">'
        r'<span class="navbar-toggler-icon" aria-hidden="true"></span> メニュー</button>',
        html,
    )
    items = menu(html)
    for text in ["全体トップへ", "保証料計算書一覧", "保証証書PDFの確認", "ヘルプ", "ログアウト"]:
        assert text in items
    # Bootstrap's script opens it (no inline script: the Content-Security-Policy forbids them).
    assert '<script src="/static/vendor/bootstrap/bootstrap.bundle.min.js"></script>' in html
