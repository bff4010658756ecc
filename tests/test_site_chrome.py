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
