from django.urls import reverse

from core.urls import pk_url


def test_pk_url_builds_what_reverse_builds():
    detail = pk_url("applications:detail")
    for pk in [1, 9, 10, 987654321, 12345678901]:
        assert detail(pk) == reverse("applications:detail", args=[pk])


def test_pk_url_follows_the_script_prefix():
    from django.urls import set_script_prefix

    set_script_prefix("/netdesk/")
    try:
        assert pk_url("applications:detail")(7) == "/netdesk/applications/7/"
    finally:
        set_script_prefix("/")


def test_pk_url_finishes_every_url_alike():
    detail = pk_url("applications:detail", finish=lambda url: f"{url}?_changelist_filters=q%3D1")
    assert detail(42) == reverse("applications:detail", args=[42]) + "?_changelist_filters=q%3D1"
