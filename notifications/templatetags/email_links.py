"""Links in e-mails: absolute addresses of the portal's pages, built on the site address."""

from django import template
from django.urls import reverse

from notifications.services import absolute_url

register = template.Library()


@register.simple_tag
def page_url(view_name: str, *args: object) -> str:
    """The absolute address of the page `view_name` (with `args`), e.g.
    {% page_url "applications:detail" application.pk %}: an e-mail is read away from the site,
    so a path alone would lead nowhere."""
    return absolute_url(reverse(view_name, args=args))
