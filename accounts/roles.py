"""Who may do what in their own organisation: one small question per right, asked by the views
(role_required) and by the templates (`may`, the context processor below), so that a page never
offers what its URL refuses.

Contractor users: 管理者 (people and everything), 申込担当 (apply, keys and documents), 閲覧のみ
(see only). Obligee users: 管理者 (people, receiving) and 担当者 (receiving, searching,
verifying). Staff have no role: their rights are the admin's groups and permissions.

Each function takes any user (anonymous included) and answers False for anyone it does not
concern, so a caller never has to check the persona first.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render

from accounts.http import View
from accounts.models import User

Role = User.Role
AnyUser = AbstractBaseUser | AnonymousUser | User | None


def _portal_user(user: AnyUser) -> User | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return cast(User, user)


def is_org_admin(user: AnyUser) -> bool:
    """The 管理者 of a contractor company or of an obligee: manages its people."""
    person = _portal_user(user)
    return (
        person is not None
        and (person.contractor_id is not None or person.obligee_id is not None)
        and person.role == Role.ADMIN
    )


def is_contractor_admin(user: AnyUser) -> bool:
    person = _portal_user(user)
    return person is not None and person.contractor_id is not None and person.role == Role.ADMIN


def can_apply(user: AnyUser) -> bool:
    """Create, edit, send, copy, withdraw and delete the company's applications."""
    person = _portal_user(user)
    return (
        person is not None
        and person.contractor_id is not None
        and person.role in (Role.ADMIN, Role.APPLICANT)
    )


def can_reveal_key(user: AnyUser) -> bool:
    """Show an 認証キー and make its handover notice (認証キー等のお知らせ)."""
    return can_apply(user)


def can_view_applications(user: AnyUser) -> bool:
    """See the company's applications, certificates and fee statements (every contractor role)."""
    person = _portal_user(user)
    return person is not None and person.contractor_id is not None and bool(person.role)


def can_receive(user: AnyUser) -> bool:
    """Receive, search and verify certificates for the obligee (both obligee roles)."""
    person = _portal_user(user)
    return (
        person is not None
        and person.obligee_id is not None
        and person.role in (Role.ADMIN, Role.CLERK)
    )


def role_required(check: Callable[[Any], bool]) -> Callable[[View], View]:
    """Refuse the view with 403 (the page saying what the role does not allow) unless `check`
    passes for the signed-in user. Put inside the persona's own decorator (contractor_required),
    which has already sent everyone else where they belong."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not check(request.user):
                return role_refused(request)
            return view(request, *args, **kwargs)

        return cast(View, wrapper)

    return decorator


def role_refused(request: HttpRequest) -> HttpResponseBase:
    """403 with the page that names the user's role and what it does not allow."""
    return render(request, "accounts/role_refused.html", status=403)


class _Rights:
    """What the signed-in user may do, as templates ask it: {% if may.apply %}."""

    def __init__(self, user: AnyUser) -> None:
        self._user = user

    @property
    def apply(self) -> bool:
        return can_apply(self._user)

    @property
    def reveal_key(self) -> bool:
        return can_reveal_key(self._user)

    @property
    def manage_people(self) -> bool:
        return is_org_admin(self._user)


def rights(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `may`, so that menus and buttons offer only what the role allows."""
    return {"may": _Rights(getattr(request, "user", None))}
