"""The request type of the pages behind a sign-in."""

from collections.abc import Callable
from typing import TypeGuard, TypeVar

from django.http import HttpRequest, HttpResponseBase

from accounts.models import User

# A view function, as the decorators that wrap one take and give it back.
View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose user has signed in: what a view behind login_required (or one of the
    persona decorators) is given. HttpRequest.user may also be AnonymousUser; annotating the
    view's request with this class says that it cannot be here. For type checking only:
    Django builds the requests, so nothing ever constructs one."""

    user: User


def is_signed_in(request: HttpRequest) -> TypeGuard[AuthenticatedHttpRequest]:
    """Whether someone has signed in: past this check a view's request is an
    AuthenticatedHttpRequest."""
    return request.user.is_authenticated
