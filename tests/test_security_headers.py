"""Every page carries the Content-Security-Policy and Permissions-Policy; cookies are secure."""

import pytest
from csp.decorators import csp_exempt, csp_update
from django.http import HttpResponse
from django.urls import path, reverse

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        name: value.strip()
        for name, _sep, value in (part.strip().partition(" ") for part in header.split(";"))
    }


@pytest.mark.parametrize("url", ["/accounts/login/", "/obligees/", "/admin/login/", "/healthz/"])
def test_every_response_carries_the_content_security_policy(client, url):
    policy = directives(client.get(url))

    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert "unsafe-inline" not in str(policy) and "unsafe-eval" not in str(policy)


def test_the_signed_in_pages_carry_it_too(client, alice):
    client.force_login(alice)
    response = client.get(reverse("applications:dashboard"))
    assert directives(response)["script-src"] == "'self'"


def test_the_permissions_policy_keeps_only_the_camera_for_this_site(client):
    header = client.get("/accounts/login/")["Permissions-Policy"]
    features = dict(item.strip().split("=", 1) for item in header.split(","))

    assert features["camera"] == "(self)"
    for feature in ["microphone", "geolocation", "payment", "usb", "display-capture"]:
        assert features[feature] == "()"


def test_the_language_cookie_is_as_protected_as_the_session_cookie(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/obligees/"})
    cookie = response.cookies["django_language"]

    assert response.status_code == 302 and cookie.value == "en"
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@csp_update({"img-src": ["https://maps.example.jp"]})
def view_with_its_own_images(request):
    return HttpResponse("map")


@csp_exempt()
def view_without_policy(request):
    return HttpResponse("legacy")


urlpatterns = [
    path("map/", view_with_its_own_images),
    path("legacy/", view_without_policy),
]


@pytest.mark.urls(__name__)
def test_a_view_may_still_change_the_policy_for_its_own_response(client):
    assert directives(client.get("/map/"))["img-src"] == "'self' data: https://maps.example.jp"
    assert "Content-Security-Policy" not in client.get("/legacy/")
